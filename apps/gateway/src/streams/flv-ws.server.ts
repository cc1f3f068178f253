import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { STREAM_ID_RE } from '../api/devices.dto';
import { rejectUpgrade, type UpgradeRoute } from '../api/upgrade-router';
import type { FlvSink } from '../media/flv-fanout';
import type { MediaSession } from '../media/media-session';
import { MediaTokens } from './media-tokens';
import { StreamsService } from './streams.service';
import { H264RenditionsService } from './h264-renditions.service';

/** The path of an FLV stream, for HTTP-FLV (GET) and WS-FLV (upgrade) alike. */
export const FLV_PATH_RE = /^\/flv\/([^/]+)\.flv$/;
/** Largest frame a WS-FLV viewer may send us (we read none; this bounds what ws buffers). */
export const FLV_WS_MAX_INBOUND_BYTES = 1024;

/** WebSocket close codes (RFC 6455 §7.4.2: 4000–4999 private use; the last three digits follow HTTP's) and normal ones. */
export const FLV_WS_CLOSE = {
  /** The stream ended (stopped, failed, device gone): every tag queued before was sent. */
  STREAM_ENDED: 1000,
  /** The gateway is shutting down. */
  SHUTDOWN: 1001,
  /** Missing, expired or wrong media token. */
  UNAUTHORIZED: 4401,
  /** No such stream running. */
  NOT_FOUND: 4404,
  /** FLV carries H.264 only; the stream is H.265. */
  UNSUPPORTED_CODEC: 4415,
} as const;

/** The subset of the streams service a WS-FLV viewer needs (a spec may serve a stand-in). */
export interface FlvStreamSource {
  get(streamId: string): { media: Pick<MediaSession, 'flv' | 'info'> } | undefined;
}

/**
 * A WebSocket as an FLV viewer: each FLV chunk is one binary message. backlog = ws's unsent bytes (its queue and the
 * socket's); close() sends the close frame after what is queued; destroy() (a viewer past FLV_MAX_SINK_BACKLOG) resets
 * the TCP connection so the kernel's send queue goes too, as for HTTP-FLV.
 */
export function webSocketFlvSink(ws: WebSocket, tcp: Duplex & { resetAndDestroy?(): unknown }): FlvSink {
  return {
    write: (b) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(b, { binary: true });
    },
    get backlog() {
      return ws.bufferedAmount;
    },
    close: () => ws.close(FLV_WS_CLOSE.STREAM_ENDED, 'stream ended'),
    destroy: () => {
      if (typeof tcp.resetAndDestroy === 'function') tcp.resetAndDestroy();
      ws.terminate();
    },
  };
}

/**
 * WS-FLV (`ws(s)://…/flv/<streamId>.flv?token=…`, what mpegts.js reads with `type: 'flv', url: 'ws://…'`): the same
 * fan-out as HTTP-FLV (FlvFanout: file header, configs and the current GOP first, then every tag; the same backlog bound),
 * counted as a viewer the same way (a subscriber of the stream's fan-out), the same media token. The handshake always
 * completes so a browser can read why it was refused: the socket is then closed with a code of FLV_WS_CLOSE and a reason.
 */
@Injectable()
export class FlvWebSocketServer implements OnModuleDestroy {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: FLV_WS_MAX_INBOUND_BYTES, clientTracking: false, perMessageDeflate: false });
  private readonly clients = new Set<WebSocket>();
  private closed = false;

  readonly upgradeRoute: UpgradeRoute = {
    matches: (pathname) => FLV_PATH_RE.test(pathname),
    handle: (req, socket, head) => this.onUpgrade(req, socket, head),
  };

  constructor(
    @Inject(StreamsService) private readonly streams: FlvStreamSource,
    private readonly tokens: MediaTokens,
    /** H.264 renditions of H.265 streams (`<id>_h264`): looked up (and started on demand) when no stream has the ID. */
    @Optional() private readonly renditions?: H264RenditionsService,
  ) {}

  /** Open WS-FLV connections. */
  get clientCount(): number {
    return this.clients.size;
  }

  onModuleDestroy(): void {
    this.close();
  }

  /** Closes every viewer (1001) and refuses further upgrades. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const ws of this.clients) ws.close(FLV_WS_CLOSE.SHUTDOWN, 'server shutting down');
    this.clients.clear();
    this.wss.close();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closed) return rejectUpgrade(socket, 503, 'SERVICE_UNAVAILABLE', 'The gateway is shutting down');
    this.wss.handleUpgrade(req, socket, head, (ws) => void this.addViewer(ws, req, socket));
  }

  private async addViewer(ws: WebSocket, req: IncomingMessage, socket: Duplex): Promise<void> {
    ws.on('error', () => ws.terminate());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const streamId = FLV_PATH_RE.exec(url.pathname)?.[1] ?? '';
    if (!STREAM_ID_RE.test(streamId) || !this.tokens.verify(streamId, url.searchParams.get('token') ?? undefined)) {
      return ws.close(FLV_WS_CLOSE.UNAUTHORIZED, 'missing, expired or wrong media token');
    }
    let refused = '';
    const s = this.streams.get(streamId) ?? (await this.renditions?.find(streamId).catch((e: Error) => void (refused = e.message)));
    if (!s) return ws.close(FLV_WS_CLOSE.NOT_FOUND, (refused || `stream ${streamId} is not running`).slice(0, 120));
    const codec = s.media.info().codec;
    if (codec && codec !== 'h264') return ws.close(FLV_WS_CLOSE.UNSUPPORTED_CODEC, `FLV carries H.264 only; this stream is ${codec}: use the HLS URL`);
    if (this.closed) return ws.close(FLV_WS_CLOSE.SHUTDOWN, 'server shutting down');
    this.clients.add(ws);
    const unsubscribe = s.media.flv.subscribe(webSocketFlvSink(ws, socket));
    ws.on('close', () => {
      unsubscribe();
      this.clients.delete(ws);
    });
  }
}
