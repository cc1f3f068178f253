import { Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/public.decorator';
import { STREAM_ID_RE } from '../api/devices.dto';
import { GatewayError } from '../common/gateway-error';
import { MediaTokens } from '../streams/media-tokens';
import { MAX_WHEP_OFFER_BYTES } from './webrtc-sdp';
import { webrtcPlayerPage } from './webrtc-player.page';
import { WebRtcService } from './webrtc.service';

const PEER_ID = /^[0-9a-f-]{36}$/;

/** Reads a text body of at most `max` bytes (an application/sdp body is not parsed by the JSON middleware). */
function readBody(req: Request, max: number): Promise<string> {
  if (typeof req.body === 'string') return Promise.resolve(req.body);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new GatewayError('VALIDATION_FAILED', `SDP offer larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * WHEP (draft-ietf-wish-whep §4): POST an SDP offer to the stream's endpoint, get 201 with the answer
 * (Content-Type: application/sdp) and the session's URL in Location; DELETE that URL ends the session. Authorised,
 * like HLS and FLV, by the stream's signed media token in the URL.
 */
@ApiExcludeController()
@Public()
@Controller()
export class WhepController {
  constructor(
    private readonly webrtc: WebRtcService,
    private readonly tokens: MediaTokens,
  ) {}

  private check(streamId: string, token: string | undefined): void {
    if (!STREAM_ID_RE.test(streamId) || !this.tokens.verify(streamId, token)) throw new GatewayError('UNAUTHORIZED', 'missing, expired or wrong media token');
  }

  @Post('whep/:streamId')
  async offer(@Param('streamId') streamId: string, @Query('token') token: string | undefined, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.check(streamId, token);
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/sdp\b/i.test(type)) throw new GatewayError('VALIDATION_FAILED', 'Content-Type must be application/sdp');
    const offer = await readBody(req, MAX_WHEP_OFFER_BYTES);
    const { peerId, answer } = await this.webrtc.offer(streamId, offer);
    res.status(201);
    res.setHeader('content-type', 'application/sdp');
    res.setHeader('location', `/whep/${streamId}/${peerId}?token=${encodeURIComponent(token!)}`);
    res.setHeader('access-control-expose-headers', 'Location');
    res.send(answer);
  }

  /** The WebRTC player page: WHEP first, the FLV player page when it does not connect within 2 s. */
  @Get('webrtc/:streamId')
  player(@Param('streamId') streamId: string, @Query('token') token: string | undefined, @Query('wait') wait: string | undefined, @Res() res: Response): void {
    this.check(streamId, token);
    const ms = Number(wait);
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.send(webrtcPlayerPage(streamId, token!, Number.isInteger(ms) && ms >= 500 && ms <= 30_000 ? ms : undefined));
  }

  @Delete('whep/:streamId/:peerId')
  @HttpCode(200)
  async remove(@Param('streamId') streamId: string, @Param('peerId') peerId: string, @Query('token') token: string | undefined): Promise<void> {
    this.check(streamId, token);
    if (!PEER_ID.test(peerId)) throw new GatewayError('NOT_FOUND', `no WebRTC session ${peerId}`);
    await this.webrtc.remove(streamId, peerId);
  }
}
