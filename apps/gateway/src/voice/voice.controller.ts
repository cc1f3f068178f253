import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { channelIdSchema, deviceIdSchema } from '../api/devices.dto';
import { MediaTokens } from '../streams/media-tokens';
import type { VoiceSessionDto } from './voice-session';
import { VoiceService } from './voice.service';
import { voiceTokenSubject } from './voice-ws.server';

export const voiceStartSchema = z
  .object({
    deviceId: deviceIdSchema,
    channelId: channelIdSchema.optional().describe("the device's audio output channel (broadcast TargetID) or the channel to talk with; default the device"),
    mode: z.enum(['broadcast', 'talk']),
    transport: z.enum(['udp', 'tcp']).optional().describe('talk only: how the audio travels (broadcast: as the device offers)'),
  })
  .strict();

const sessionIdSchema = z.string().regex(/^[0-9a-f]{24}$/, 'a voice session ID is 24 hex digits');

/**
 * Voice sessions (docs/decisions/voice.md): POST starts a broadcast or a talk with a device and answers once the
 * device's audio path is up, with the WebSocket the page sends its microphone on; DELETE ends it (BYE).
 */
@ApiTags('voice')
@ApiBearerAuth()
@Controller('voice')
export class VoiceController {
  constructor(
    private readonly voice: VoiceService,
    private readonly tokens: MediaTokens,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Open voice sessions, then the last ended ones (with why they ended)' })
  list(): VoiceSessionDto[] {
    return this.voice.list();
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Start a voice broadcast or talk {deviceId, channelId?, mode, transport?}: {session, wsUrl}; 409 VOICE_BUSY when the device has one' })
  async start(@Body(new ZodValidationPipe(voiceStartSchema, 'body')) body: z.output<typeof voiceStartSchema>): Promise<{ session: VoiceSessionDto; wsUrl: string }> {
    const s = await this.voice.start(body);
    return { session: s.toDto(), wsUrl: `/voice/${s.id}?token=${this.tokens.sign(voiceTokenSubject(s.id))}` };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'End a voice session (BYE to the device, the WebSocket closed)' })
  async stop(@Param('id', new ZodValidationPipe(sessionIdSchema, 'id')) id: string): Promise<VoiceSessionDto> {
    return this.voice.stop(id);
  }
}
