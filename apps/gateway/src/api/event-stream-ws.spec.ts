import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { DeviceDto } from '@gb/contracts';
import { startApiTestApp, type ApiTestApp } from './testing/api-test-app';

interface Rejection {
  status: number;
  body: string;
}

/** Opens a WebSocket; resolves with the socket once open, or with the HTTP status and body of a refused upgrade. */
function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket | Rejection> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve) => ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()))));
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve(-1);
    else ws.once('close', (code: number) => resolve(code));
  });
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('event stream WebSocket /api/events', () => {
  let t: ApiTestApp | undefined;
  const open: WebSocket[] = [];
  afterEach(async () => {
    for (const ws of open.splice(0)) ws.terminate();
    await t?.close();
    t = undefined;
  });

  it('an upgrade without a token is refused with HTTP 401 and no socket', async () => {
    t = await startApiTestApp();
    const r = await connect(`${t.wsUrl}/api/events`);
    expect(r).not.toBeInstanceOf(WebSocket);
    expect((r as Rejection).status).toBe(401);
    expect(JSON.parse((r as Rejection).body)).toEqual({ statusCode: 401, code: 'UNAUTHORIZED', message: 'Missing bearer token' });
    expect(t.events.clientCount).toBe(0);
  });

  it('an upgrade with a bad token in the query is refused with HTTP 401', async () => {
    t = await startApiTestApp();
    const r = await connect(`${t.wsUrl}/api/events?access_token=${t.token}x`);
    expect((r as Rejection).status).toBe(401);
  });

  it('an upgrade on another path is answered 404 rather than left hanging', async () => {
    t = await startApiTestApp();
    const r = await connect(`${t.wsUrl}/api/other?access_token=${t.token}`);
    expect((r as Rejection).status).toBe(404);
  });

  it('a client with ?access_token= receives each published event as JSON {type, at, data}', async () => {
    t = await startApiTestApp();
    const ws = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    open.push(ws);
    expect(ws).toBeInstanceOf(WebSocket);
    await until(() => t!.events.clientCount === 1);
    const msg = nextMessage(ws);
    t.bus.publish('device.online', { deviceId: '34020000001320000001', remoteAddress: '10.0.0.2:5060' });
    const got = (await msg) as { type: string; at: string; data: unknown };
    expect(got.type).toBe('device.online');
    expect(new Date(got.at).toISOString()).toBe(got.at);
    expect(got.data).toEqual({ deviceId: '34020000001320000001', remoteAddress: '10.0.0.2:5060' });
  });

  it('a client with an Authorization header receives events too, in publication order', async () => {
    t = await startApiTestApp();
    const ws = (await connect(`${t.wsUrl}/api/events`, { authorization: `Bearer ${t.token}` })) as WebSocket;
    open.push(ws);
    await until(() => t!.events.clientCount === 1);
    const received: string[] = [];
    ws.on('message', (d: Buffer) => received.push((JSON.parse(d.toString()) as { type: string }).type));
    t.bus.publish('catalog.progress', { deviceId: '34020000001320000001', sn: 1, received: 1, sumNum: 2, done: false });
    t.bus.publish('catalog.updated', { deviceId: '34020000001320000001', channelCount: 2, complete: true });
    await until(() => received.length === 2);
    expect(received).toEqual(['catalog.progress', 'catalog.updated']);
  });

  it('closing a client removes it; later events go only to the remaining ones', async () => {
    t = await startApiTestApp();
    const a = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    const b = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    open.push(a, b);
    await until(() => t!.events.clientCount === 2);
    a.close();
    await until(() => t!.events.clientCount === 1);
    const msg = nextMessage(b);
    t.bus.publish('device.offline', { deviceId: '34020000001320000001', reason: 'expired' });
    expect(((await msg) as { type: string }).type).toBe('device.offline');
  });

  it('a client that stops reading is dropped once its unsent data passes maxBufferedBytes, and others keep receiving', async () => {
    t = await startApiTestApp({ eventStream: { maxBufferedBytes: 256 * 1024 } });
    const slow = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    const fast = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    open.push(slow, fast);
    await until(() => t!.events.clientCount === 2);
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    let fastCount = 0;
    fast.on('message', () => fastCount++);
    const big = { deviceId: '34020000001320000001', name: 'x'.repeat(64 * 1024) } as unknown as DeviceDto;
    let published = 0;
    while (t.events.droppedSlowClients === 0 && published < 2000) {
      t.bus.publish('device.registered', big);
      published++;
      await new Promise((r) => setImmediate(r));
    }
    expect(t.events.droppedSlowClients).toBe(1);
    expect(t.events.clientCount).toBe(1);
    await until(() => fastCount === published, 10_000);
  });

  it('a client is closed with code 4001 when its token expires', async () => {
    t = await startApiTestApp({ env: { JWT_TTL_S: '3' } });
    const ws = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    open.push(ws);
    expect(await closed(ws)).toBe(4001);
    await until(() => t!.events.clientCount === 0);
  });

  it('an upgrade beyond maxClients is refused with HTTP 503 while existing clients stay connected', async () => {
    t = await startApiTestApp({ eventStream: { maxClients: 1 } });
    const first = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    open.push(first);
    await until(() => t!.events.clientCount === 1);
    const second = await connect(`${t.wsUrl}/api/events?access_token=${t.token}`);
    expect((second as Rejection).status).toBe(503);
    expect(first.readyState).toBe(WebSocket.OPEN);
  });

  it('a client sending a frame over maxInboundBytes is disconnected; the stream keeps serving others', async () => {
    t = await startApiTestApp();
    const rude = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    const polite = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    open.push(rude, polite);
    await until(() => t!.events.clientCount === 2);
    const rudeClosed = closed(rude);
    rude.send(Buffer.alloc(64 * 1024));
    expect(await rudeClosed).toBe(1009); // RFC 6455 §7.4.1: message too big
    await until(() => t!.events.clientCount === 1);
    const msg = nextMessage(polite);
    t.bus.publish('device.offline', { deviceId: '34020000001320000001', reason: 'deleted' });
    expect(((await msg) as { type: string }).type).toBe('device.offline');
  });

  it('app.close() closes connected clients and detaches from the HTTP server', async () => {
    t = await startApiTestApp();
    const ws = (await connect(`${t.wsUrl}/api/events?access_token=${t.token}`)) as WebSocket;
    open.push(ws);
    await until(() => t!.events.clientCount === 1);
    const done = closed(ws);
    await t.close();
    expect(await done).toBeGreaterThan(0);
    expect(t.events.clientCount).toBe(0);
    t.events.close(); // idempotent
  });
});
