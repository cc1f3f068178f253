import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { RTMP_HANDSHAKE_BYTES, RtmpPublishSession, isGb28181Error, type FlvAudioCodec, type FlvAudioFrame, type FlvVideoUnit } from '@gb/gb28181';

/** From TCP accept to an accepted publish; past it the connection is closed. */
export const RTMP_PUBLISH_DEADLINE_MS = 10_000;
/** A publishing connection that sends nothing this long is closed (the proxy goes idle). */
export const RTMP_IDLE_TIMEOUT_MS = 10_000;
/** Most RTMP connections at once (publishing or still in handshake/connect). */
export const MAX_RTMP_CONNECTIONS = 256;
/** Unsent replies to a publisher beyond this close it (a peer that does not read). */
export const MAX_RTMP_WRITE_BUFFER_BYTES = 1024 * 1024;

/** The verdict on a publish: a sink for its pictures and audio (null: an audio tag dropped), or a refusal with its code (e.g. PUSH_KEY_REJECTED). */
export type PushVerdict =
  | {
    ok: true;
    unit: (u: FlvVideoUnit) => void;
    /** A frame, null for a tag dropped, or the codec alone when the publisher announced it (sequence header, onMetaData). */
    audio: (f: FlvAudioFrame | FlvAudioCodec | null) => void;
    end: (code: string, message: string) => void;
  }
  | { ok: false; code: string; message: string };

export interface PushAuthorizer {
  /** Called for each publish with the app, the stream name (without query), its query and the connection. */
  publish(req: { app: string; name: string; query: Record<string, string>; remote: string; close: (reason: string) => void }): Promise<PushVerdict>;
}

/**
 * The RTMP listener of push proxies: one RtmpPublishSession (libs/gb28181/src/rtmp) per TCP connection; the publish is
 * checked by the authorizer (the proxies service: channel, key, one publisher) and its video goes to the sink it
 * returns. Any protocol error, a refusal, a stalled peer or the deadline closes that connection only.
 */
export class RtmpPushServer {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    private readonly auth: PushAuthorizer,
    private readonly log: (level: 'log' | 'warn', m: string) => void,
  ) {}

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = net.createServer((sock) => this.onConnection(sock));
      s.maxConnections = MAX_RTMP_CONNECTIONS;
      s.once('error', reject);
      s.listen({ port, host }, () => {
        s.off('error', reject);
        s.on('error', (e) => this.log('warn', `RTMP listener: ${e.message}`));
        this.server = s;
        resolve(this.port!);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private onConnection(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.setNoDelay(true);
    const remote = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
    let sink: Extract<PushVerdict, { ok: true }> | undefined;
    let closed = false;
    const close = (code: string, reason: string) => {
      if (closed) return;
      closed = true;
      clearTimeout(deadline);
      sink?.end(code, reason);
      sink = undefined;
      sock.end();
      setTimeout(() => sock.destroy(), 500).unref(); // let the refusal's onStatus reach the encoder first
    };
    const deadline = setTimeout(() => close('PUSH_TIMEOUT', `no publish within ${RTMP_PUBLISH_DEADLINE_MS} ms`), RTMP_PUBLISH_DEADLINE_MS);
    sock.setTimeout(RTMP_IDLE_TIMEOUT_MS, () => close('PUSH_TIMEOUT', `nothing received for ${RTMP_IDLE_TIMEOUT_MS} ms`));
    const session = new RtmpPublishSession({
      random: randomBytes(RTMP_HANDSHAKE_BYTES),
      send: (b) => {
        if (closed || sock.destroyed) return;
        if (sock.writableLength > MAX_RTMP_WRITE_BUFFER_BYTES) return close('PUSH_PROTOCOL_ERROR', 'the publisher does not read');
        sock.write(b);
      },
    });
    sock.on('data', (d: Buffer) => {
      if (closed) return;
      try {
        for (const ev of session.push(d)) {
          if (ev.kind === 'publish') {
            // Until the verdict, the session drops video (the encoder waits for NetStream.Publish.Start anyway).
            this.auth
              .publish({ app: ev.app, name: ev.name, query: ev.query, remote, close: (r) => close('PUSH_STOPPED', r) })
              .catch((e: Error): PushVerdict => ({ ok: false, code: 'PUSH_ERROR', message: e.message }))
              .then((v) => {
                if (!v.ok) {
                  session.reject(v.code === 'PUSH_BUSY' ? 'NetStream.Publish.BadName' : 'NetStream.Publish.Unauthorized', `${v.code}: ${v.message}`);
                  this.log('warn', `RTMP ${remote}: publish ${ev.app}/${ev.name} refused: ${v.code}: ${v.message}`);
                  return close(v.code, v.message);
                }
                if (closed) return v.end('PUSH_STOPPED', 'the encoder closed the connection');
                sink = v;
                clearTimeout(deadline);
                session.accept();
                this.log('log', `RTMP ${remote}: publishing ${ev.app}/${ev.name}`);
              });
          } else if (ev.kind === 'video') sink?.unit(ev.unit);
          else if (ev.kind === 'audio') sink?.audio(ev.frame);
          else if (ev.kind === 'audioDropped') sink?.audio(null);
          else if (ev.kind === 'audioAnnounced') sink?.audio(ev.codec);
          else if (ev.kind === 'unpublish') close('PUSH_STOPPED', 'the encoder stopped publishing');
        }
      } catch (e) {
        const code = isGb28181Error(e) ? e.code : 'PUSH_PROTOCOL_ERROR';
        this.log('warn', `RTMP ${remote}: ${code}: ${(e as Error).message}`);
        close(code, (e as Error).message);
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.sockets.delete(sock);
      close('PUSH_STOPPED', 'the encoder closed the connection');
      sock.destroy();
    });
  }
}
