import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { encodePtzCmd, type PtzCommand } from '@gb/gb28181';
import { z } from 'zod';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { channelIdSchema, deviceIdSchema } from '../api/devices.dto';
import { DevicesService } from '../devices/devices.service';
import { DeviceQueriesService } from '../devices/device-queries.service';
import { EventBus } from '../events/event-bus';

const dir = z.union([z.literal(-1), z.literal(0), z.literal(1)]);
export const ptzSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('move'),
      pan: dir.default(0).describe('-1 left, 1 right'),
      tilt: dir.default(0).describe('-1 down, 1 up'),
      zoom: dir.default(0).describe('-1 zoom out (wide), 1 zoom in (tele)'),
      speed: z.number().int().min(0).max(255).default(128).describe('pan/tilt speed 0–255'),
      zoomSpeed: z.number().int().min(0).max(15).default(8).describe('zoom speed 0–15'),
    })
    .strict()
    .refine((m) => m.pan !== 0 || m.tilt !== 0 || m.zoom !== 0, { message: 'move needs pan, tilt or zoom (use action "stop" to stop)' }),
  z.object({ action: z.literal('stop') }).strict(),
  z.object({ action: z.literal('preset'), op: z.enum(['set', 'call', 'delete']), index: z.number().int().min(1).max(255) }).strict(),
]);

/**
 * PTZ of a channel (GB/T 28181 §9.3.2, Annex A.3): a DeviceControl MESSAGE with the 8-byte PTZCmd. Cameras keep
 * moving until "stop"; the dashboard sends move on press and stop on release.
 */
@ApiTags('streams')
@ApiBearerAuth()
@Controller()
export class PtzController {
  constructor(
    private readonly queries: DeviceQueriesService,
    private readonly devices: DevicesService,
    private readonly events: EventBus,
  ) {}

  @Post('devices/:deviceId/channels/:channelId/ptz')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pan / tilt / zoom: {action:"move",pan,tilt,zoom,speed,zoomSpeed} | {action:"stop"} | {action:"preset",op,index}' })
  async ptz(
    @Param('deviceId', new ZodValidationPipe(deviceIdSchema, 'deviceId')) deviceId: string,
    @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string,
    @Body(new ZodValidationPipe(ptzSchema, 'body')) body: z.output<typeof ptzSchema>,
  ): Promise<{ deviceId: string; channelId: string; ptzCmd: string; sn: number }> {
    await this.devices.requireChannel(deviceId, channelId);
    const cmd: PtzCommand = body.action === 'move' ? { kind: 'move', pan: body.pan, tilt: body.tilt, zoom: body.zoom, speed: body.speed, zoomSpeed: body.zoomSpeed } : body.action === 'stop' ? { kind: 'stop' } : { kind: 'preset', op: body.op, index: body.index };
    const ptzCmd = encodePtzCmd(cmd, 1);
    const { sn } = await this.queries.sendControl(deviceId, channelId, 'DeviceControl', { PTZCmd: ptzCmd });
    // A move or a preset call changes the picture (congestion scoring forgets the scene's fixtures); a stop does not.
    const movesCamera = body.action === 'move' || (body.action === 'preset' && body.op === 'call');
    this.events.publish('ptz.sent', { deviceId, channelId, action: body.action, movesCamera });
    return { deviceId, channelId, ptzCmd, sn };
  }
}
