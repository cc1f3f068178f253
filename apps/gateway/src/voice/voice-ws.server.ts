import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { rejectUpgrade, type UpgradeRoute } from '../api/upgrade-router';
import { MediaTokens } from '../streams/media-tokens';
import { VOICE_MAX_FRAME_BYTES, VOICE_WS_CLOSE } from './voice-session';
import { VoiceService } from './voice.service';

/** The voice WebSocket of a session: `ws(s)://…/voice/<sessionId>?token=<media token of "voice-<sessionId>">`. */
export const VOICE_WS_PATH_RE = /^\/voice\/([0-9a-f]{24})$/;

/** The media-token subject of a voice session (tokens are per subject; a stream's token opens no voice session). */
export function voiceTokenSubject(sessionId: string): string {
  return `voice-${sessionId}`;
}

/**
 * The page's side of a voice session (as WS-FLV: handshake always completed, refusals as close codes with a reason):
 * binary frames of 8 kHz mono 16-bit little-endian PCM (20 ms = 320 bytes; at most VOICE_MAX_FRAME_BYTES) in, the
 * device's audio as the same PCM out (talk), text frames `{type:"ready"|"ended",…}` from us. ws's maxPayload is the
 * frame bound, so a larger frame never gets buffered whole.
 */
@Injectable()
export class VoiceWebSocketServer implements OnModuleDestroy {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: VOICE_MAX_FRAME_BYTES, clientTracking: false, perMessageDeflate: false });
  private closed = false;

  readonly upgradeRoute: UpgradeRoute = {
    matches: (pathname) => pathname.startsWith('/voice/'),
    handle: (req, socket, head) => this.onUpgrade(req, socket, head),
  };

  constructor(
    @Inject(VoiceService) private readonly voice: VoiceService,
    @Inject(MediaTokens) private readonly tokens: MediaTokens,
  ) {}

  onModuleDestroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.wss.close();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) return rejectUpgrade(socket, 503, 'SERVICE_UNAVAILABLE', 'The gateway is shutting down');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws, req));
  }

  private add(ws: WebSocket, req: IncomingMessage): void {
    ws.on('error', () => ws.terminate());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const id = VOICE_WS_PATH_RE.exec(url.pathname)?.[1];
    if (!id || !this.tokens.verify(voiceTokenSubject(id), url.searchParams.get('token') ?? undefined)) {
      return ws.close(VOICE_WS_CLOSE.UNAUTHORIZED, 'missing, expired or wrong media token');
    }
    const s = this.voice.get(id);
    if (!s) return ws.close(VOICE_WS_CLOSE.NOT_FOUND, `no open voice session ${id}`);
    s.attach(ws);
  }
}
