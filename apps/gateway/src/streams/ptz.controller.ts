import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PTZ_MAX_12BIT, PTZ_MAX_GROUP, encodePtzCmd, type PtzCommand } from '@gb/gb28181';
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
  z
    .object({
      action: z.literal('focusIris'),
      focus: dir.default(0).describe('-1 near, 1 far, 0 none'),
      iris: dir.default(0).describe('-1 close, 1 open, 0 none'),
      speed: z.number().int().min(0).max(255).default(128).describe('focus and iris speed 0–255'),
    })
    .strict()
    .describe('FI command (Annex A.3.3); both 0 stops focus and iris'),
  z
    .object({
      action: z.literal('cruise'),
      op: z.enum(['add', 'remove', 'speed', 'stay', 'start', 'stop']),
      group: z.number().int().min(0).max(PTZ_MAX_GROUP).default(1).describe('cruise group'),
      preset: z.number().int().min(0).max(255).optional().describe('add/remove: the preset (remove without one: the whole cruise)'),
      value: z.number().int().min(0).max(PTZ_MAX_12BIT).optional().describe('speed: the speed; stay: seconds at each preset'),
    })
    .strict()
    .refine((c) => c.op !== 'add' || (c.preset ?? 0) >= 1, { message: 'add needs a preset 1–255', path: ['preset'] })
    .refine((c) => (c.op !== 'speed' && c.op !== 'stay') || c.value !== undefined, { message: 'speed and stay need a value', path: ['value'] }),
  z
    .object({
      action: z.literal('scan'),
      op: z.enum(['start', 'left', 'right', 'speed', 'stop']),
      group: z.number().int().min(0).max(PTZ_MAX_GROUP).default(1).describe('scan group'),
      value: z.number().int().min(0).max(PTZ_MAX_12BIT).optional().describe('speed: the scan speed'),
    })
    .strict()
    .refine((c) => c.op !== 'speed' || c.value !== undefined, { message: 'speed needs a value', path: ['value'] }),
]);

type PtzBody = z.output<typeof ptzSchema>;

/** The PTZCmd for a request body; cruise and scan stop with the PTZ stop (Annex A.3.5/A.3.6). */
export function ptzCommandOf(body: PtzBody): PtzCommand {
  switch (body.action) {
    case 'move':
      return { kind: 'move', pan: body.pan, tilt: body.tilt, zoom: body.zoom, speed: body.speed, zoomSpeed: body.zoomSpeed };
    case 'stop':
      return { kind: 'stop' };
    case 'preset':
      return { kind: 'preset', op: body.op, index: body.index };
    case 'focusIris':
      return { kind: 'fi', focus: body.focus, iris: body.iris, focusSpeed: body.speed, irisSpeed: body.speed };
    case 'cruise':
      if (body.op === 'stop') return { kind: 'stop' };
      if (body.op === 'add') return { kind: 'cruise', op: 'add', group: body.group, preset: body.preset ?? 1 };
      if (body.op === 'remove') return { kind: 'cruise', op: 'remove', group: body.group, ...(body.preset !== undefined ? { preset: body.preset } : {}) };
      if (body.op === 'speed') return { kind: 'cruise', op: 'speed', group: body.group, speed: body.value ?? 0 };
      if (body.op === 'stay') return { kind: 'cruise', op: 'stay', group: body.group, seconds: body.value ?? 0 };
      return { kind: 'cruise', op: 'start', group: body.group };
    case 'scan':
      if (body.op === 'stop') return { kind: 'stop' };
      if (body.op === 'speed') return { kind: 'scan', op: 'speed', group: body.group, speed: body.value ?? 0 };
      return { kind: 'scan', op: body.op, group: body.group };
  }
}

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
  @ApiOperation({ summary: 'Pan / tilt / zoom: {action:"move",pan,tilt,zoom,speed,zoomSpeed} | {action:"stop"} | {action:"preset",op,index} | {action:"focusIris",focus,iris,speed} | {action:"cruise",op:add|remove|speed|stay|start|stop,group,preset?,value?} | {action:"scan",op:start|left|right|speed|stop,group,value?}' })
  async ptz(
    @Param('deviceId', new ZodValidationPipe(deviceIdSchema, 'deviceId')) deviceId: string,
    @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string,
    @Body(new ZodValidationPipe(ptzSchema, 'body')) body: PtzBody,
  ): Promise<{ deviceId: string; channelId: string; ptzCmd: string; sn: number }> {
    await this.devices.requireChannel(deviceId, channelId);
    const ptzCmd = encodePtzCmd(ptzCommandOf(body), 1);
    const { sn } = await this.queries.sendControl(deviceId, channelId, 'DeviceControl', { PTZCmd: ptzCmd });
    // A move or a preset call changes the picture (congestion scoring forgets the scene's fixtures); a stop does not.
    const movesCamera = body.action === 'move' || (body.action === 'preset' && body.op === 'call') || ((body.action === 'cruise' || body.action === 'scan') && body.op === 'start');
    this.events.publish('ptz.sent', { deviceId, channelId, action: body.action, movesCamera });
    return { deviceId, channelId, ptzCmd, sn };
  }
}
