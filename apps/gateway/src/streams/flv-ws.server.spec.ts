import { afterEach, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import type { GatewayConfig } from '../config/config.schema';
import { routeUpgrades } from '../api/upgrade-router';
import { FLV_MAX_SINK_BACKLOG, FlvFanout } from '../media/flv-fanout';
import type { MediaSessionInfo } from '../media/media-session';
import type { StreamsService } from './streams.service';
import { FLV_WS_CLOSE, FlvWebSocketServer, type FlvStreamSource } from './flv-ws.server';
import { MediaTokens } from './media-tokens';

const STREAM = '34020000001320000001_34020000001310000001';

/** FLV file header (video only) + PreviousTagSize0, and one AVC tag of `bytes` payload (Adobe FLV v10 §E.4.3). */
const header = () => Buffer.from([0x46, 0x4c, 0x56, 1, 0x01, 0, 0, 0, 9, 0, 0, 0, 0]);
function videoTag(bytes: number, ts: number, key = true, packetType = 1): Buffer {
  const size = 5 + bytes;
  const tag = Buffer.alloc(11 + size + 4);
  tag[0] = 9;
  tag.writeUIntBE(size, 1, 3);
  tag.writeUIntBE(ts & 0xffffff, 4, 3);
  tag[11] = (key ? 0x10 : 0x20) | 7;
  tag[12] = packetType;
  tag.writeUInt32BE(11 + size, 11 + size);
  return tag;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real HTTP server whose upgrades go through routeUpgrades() to a FlvWebSocketServer serving one stream's fan-out. */
async function serve(codec: 'h264' | 'h265' = 'h264') {
  const fanout = new FlvFanout();
  const info = () => ({ codec }) as MediaSessionInfo;
  const source: FlvStreamSource = { get: (id) => (id === STREAM ? { media: { flv: fanout, info } } : undefined) };
  const tokens = new MediaTokens({ MEDIA_TOKEN_TTL_S: 600 } as GatewayConfig);
  const ws = new FlvWebSocketServer(source as unknown as StreamsService, tokens);
  const server = http.createServer((_req, res) => res.end());
  const unroute = routeUpgrades(server, [ws.upgradeRoute]);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    unroute();
    ws.close();
    fanout.close();
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { fanout, ws, tokens, base, url: (token = tokens.sign(STREAM)) => `${base}/flv/${STREAM}.flv?token=${encodeURIComponent(token)}` };
}

/** Connects and collects binary messages until the socket closes; resolves the close code and reason. */
function viewer(url: string) {
  const c = new WebSocket(url);
  const messages: Buffer[] = [];
  c.on('message', (d: Buffer, isBinary: boolean) => {
    if (isBinary) messages.push(d);
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => c.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  const opened = new Promise<void>((r, j) => {
    c.once('open', () => r());
    c.once('error', j);
  });
  cleanups.push(() => c.terminate());
  return { c, messages, closed, opened };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WS-FLV (FlvWebSocketServer)', () => {
  it('a viewer with a good token gets the header, the decoder config and the current GOP at once, then each new tag, as binary messages; it counts as a subscriber', async () => {
    const s = await serve();
    s.fanout.pushHeader(header());
    const config = videoTag(10, 0, true, 0);
    const key = videoTag(100, 0);
    const p1 = videoTag(50, 40, false);
    for (const t of [config, key, p1]) s.fanout.pushTag(t);
    const v = viewer(s.url());
    await v.opened;
    await until(() => v.messages.length >= 4);
    expect(Buffer.concat(v.messages)).toEqual(Buffer.concat([header(), config, key, p1]));
    expect(s.fanout.subscribers).toBe(1);
    expect(s.ws.clientCount).toBe(1);
    const p2 = videoTag(60, 80, false);
    s.fanout.pushTag(p2);
    await until(() => v.messages.length === 5);
    expect(v.messages[4]).toEqual(p2);
  });

  it('the stream ends (fan-out closed): the viewer gets what was queued, then close 1000 "stream ended"; the subscriber is gone', async () => {
    const s = await serve();
    s.fanout.pushHeader(header());
    const v = viewer(s.url());
    await v.opened;
    await until(() => s.fanout.subscribers === 1);
    s.fanout.pushTag(videoTag(10, 0));
    s.fanout.close();
    expect(await v.closed).toEqual({ code: FLV_WS_CLOSE.STREAM_ENDED, reason: 'stream ended' });
    expect(v.messages).toHaveLength(2);
    await until(() => s.ws.clientCount === 0);
  });

  it('a missing or wrong token, an unknown stream and an H.265 stream are closed with 4401 / 4404 / 4415 and a reason, nothing subscribed', async () => {
    const s = await serve();
    expect(await viewer(`${s.base}/flv/${STREAM}.flv`).closed).toEqual({ code: 4401, reason: 'missing, expired or wrong media token' });
    expect((await viewer(s.url(`${s.tokens.sign(STREAM).split('.')[0]}.${'0'.repeat(32)}`)).closed).code).toBe(FLV_WS_CLOSE.UNAUTHORIZED);
    const other = '34020000001320000001_34020000001310000002';
    expect(await viewer(`${s.base}/flv/${other}.flv?token=${s.tokens.sign(other)}`).closed).toEqual({ code: 4404, reason: `stream ${other} is not running` });
    const h265 = await serve('h265');
    expect((await viewer(h265.url()).closed).code).toBe(FLV_WS_CLOSE.UNSUPPORTED_CODEC);
    expect(s.fanout.subscribers + h265.fanout.subscribers).toBe(0);
  });

  it('an upgrade on a path no route serves is answered 404 by the router', async () => {
    const s = await serve();
    const status = await new Promise<number>((r) => {
      const c = new WebSocket(`${s.base}/live/x/index.m3u8`);
      c.on('unexpected-response', (_req, res) => r(res.statusCode ?? 0));
      c.on('error', () => r(-1));
    });
    expect(status).toBe(404);
  });

  it('a viewer that stops reading is dropped once its backlog passes FLV_MAX_SINK_BACKLOG, its TCP connection reset, the queued bytes freed', async () => {
    const s = await serve();
    s.fanout.pushHeader(header());
    const port = Number(new URL(s.base).port);
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => void client.destroy());
    const clientClosed = new Promise<string>((r) => {
      client.on('error', (e: NodeJS.ErrnoException) => r(e.code ?? e.message));
      client.on('close', () => r('close'));
    });
    client.write(`GET /flv/${STREAM}.flv?token=${encodeURIComponent(s.tokens.sign(STREAM))} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    client.once('data', () => client.pause()); // the 101 arrived; from now on nothing is read
    await until(() => s.fanout.subscribers === 1);
    let pushed = 0;
    let maxQueued = 0;
    for (let i = 0; s.fanout.subscribers > 0; i++) {
      if (pushed > 512 * 1024 * 1024) throw new Error('the slow viewer was never dropped');
      const tag = videoTag(64 * 1024, i * 40);
      s.fanout.pushTag(tag);
      pushed += tag.length;
      maxQueued = Math.max(maxQueued, s.fanout.queuedBytes);
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(s.fanout.dropped).toBe(1);
    expect(maxQueued).toBeLessThanOrEqual(FLV_MAX_SINK_BACKLOG + 2 * 64 * 1024 + 1024);
    client.resume();
    expect(await clientClosed).toMatch(/ECONNRESET|close/);
    await until(() => s.ws.clientCount === 0);
  });
});
