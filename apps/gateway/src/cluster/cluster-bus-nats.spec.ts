import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from 'nats';
import type { GatewayConfig } from '../config/config.schema';
import { EventBus, type NodeEvent } from '../events/event-bus';
import { ClusterBus, MAX_CLUSTER_EVENT_BYTES, type ForwardedReply } from './cluster-bus';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Two ClusterBus instances (nodes a and b) on a real NATS server, on a prefix of their own. */
describe('ClusterBus on a real NATS server', () => {
  const prefix = `cb${process.pid}${Date.now().toString(36)}`;
  const cfg = (node: string) => ({ NATS_URL, CLUSTER_NATS_PREFIX: prefix, NODE_ID: node, CLUSTER_REQUEST_TIMEOUT_MS: 1500, PUBLIC_URL: `http://${node}:8080` }) as GatewayConfig;
  const busA = new EventBus();
  const busB = new EventBus();
  const a = new ClusterBus(cfg('a'), busA);
  const b = new ClusterBus(cfg('b'), busB);
  let raw: NatsConnection;

  beforeAll(async () => {
    try {
      raw = await connect({ servers: NATS_URL, timeout: 3000 });
    } catch (e) {
      throw new Error(`this test needs a NATS server at ${NATS_URL}: apt-get install -y nats-server && nats-server -a 127.0.0.1 -p 4222 (${(e as Error).message})`);
    }
    await Promise.all([a.onModuleInit(), b.onModuleInit()]);
  });

  afterAll(async () => {
    await Promise.all([a.onApplicationShutdown(), b.onApplicationShutdown()]);
    await raw?.close();
  });

  it('forwards a request to the owner and returns its reply unchanged', async () => {
    await b.serve(async (r) => ({ status: 201, headers: { 'content-type': 'text/plain' }, body: Buffer.from(`${r.method} ${r.url} from ${r.from} ${Buffer.from(r.body ?? '', 'base64').toString()}`).toString('base64') }));
    const reply = await a.forward('b', { method: 'POST', url: '/api/x?y=1', headers: {}, body: Buffer.from('{"k":1}').toString('base64'), from: 'a' });
    expect(reply.status).toBe(201);
    expect(Buffer.from(reply.body, 'base64').toString()).toBe('POST /api/x?y=1 from a {"k":1}');
  });

  it('a node nobody serves answers NODE_UNAVAILABLE at once; a silent one after the timeout', async () => {
    const started = Date.now();
    const gone = await a.forward('nobody', { method: 'GET', url: '/api/x', headers: {}, body: null, from: 'a' });
    expect(gone.status).toBe(503);
    expect(JSON.parse(Buffer.from(gone.body, 'base64').toString())).toMatchObject({ code: 'NODE_UNAVAILABLE', details: { node: 'nobody' } });
    expect(Date.now() - started).toBeLessThan(1000);
    const sub = raw.subscribe(`${prefix}.cluster.http.silent`); // listens, never answers
    await raw.flush();
    const slow = await a.forward('silent', { method: 'GET', url: '/api/x', headers: {}, body: null, from: 'a' });
    sub.unsubscribe();
    expect(slow.status).toBe(503);
    expect(Buffer.from(slow.body, 'base64').toString()).toMatch(/did not answer within 1500 ms/);
  });

  it('hostile input on the request subject: not JSON, a path without /, huge garbage -> 400 replies, the server keeps serving', async () => {
    for (const data of [Buffer.from('not json'), Buffer.from(JSON.stringify({ method: 'GET', url: 'http://evil/' })), Buffer.alloc(200_000, 0xff), Buffer.from('null')]) {
      const msg = await raw.request(`${prefix}.cluster.http.b`, data, { timeout: 2000 });
      const reply = JSON.parse(Buffer.from(msg.data).toString()) as ForwardedReply;
      expect(reply.status).toBe(400);
    }
    const ok = await a.forward('b', { method: 'GET', url: '/still', headers: {}, body: null, from: 'a' });
    expect(ok.status).toBe(201);
  });

  it('an answer larger than one NATS message becomes NODE_REPLY_TOO_LARGE with the public URL', async () => {
    const big = new ClusterBus(cfg('big'), new EventBus());
    await big.onModuleInit();
    await big.serve(async () => ({ status: 200, headers: {}, body: 'x'.repeat(big.maxReplyBytes + 1) }));
    const r = await a.forward('big', { method: 'GET', url: '/api/downloads/1/file', headers: {}, body: null, from: 'a' });
    await big.onApplicationShutdown();
    expect(r.status).toBe(502);
    expect(JSON.parse(Buffer.from(r.body, 'base64').toString())).toMatchObject({ code: 'NODE_REPLY_TOO_LARGE', details: { publicUrl: 'http://big:8080' } });
  });

  it("a node's events reach the other node's WebSocket listeners with its node ID, and are not acted on there", async () => {
    const allB: NodeEvent[] = [];
    const localB: unknown[] = [];
    busB.subscribeAll((e) => allB.push(e));
    busB.subscribe((e) => localB.push(e));
    busA.publish('device.offline', { deviceId: '34020000001320000001', reason: 'expired' });
    const until = Date.now() + 3000;
    while (allB.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(allB).toEqual([expect.objectContaining({ type: 'device.offline', node: 'a', data: { deviceId: '34020000001320000001', reason: 'expired' } })]);
    expect(localB).toEqual([]);
  });

  it('hostile events and release notices are dropped: oversized, malformed, own node, wrong types', async () => {
    const allB: NodeEvent[] = [];
    const released: string[][] = [];
    busB.subscribeAll((e) => allB.push(e));
    b.onRelease((ids) => released.push(ids));
    raw.publish(`${prefix}.cluster.events`, Buffer.alloc(MAX_CLUSTER_EVENT_BYTES + 1, 0x7b));
    raw.publish(`${prefix}.cluster.events`, Buffer.from('{"from":"x","event":{"type":1}}'));
    raw.publish(`${prefix}.cluster.events`, Buffer.from(JSON.stringify({ from: 'b', event: { type: 'device.online', at: 'now', data: {} } })));
    raw.publish(`${prefix}.cluster.released.b`, Buffer.from('[1,2'));
    raw.publish(`${prefix}.cluster.released.b`, Buffer.from(JSON.stringify({ by: 'a', deviceIds: 'all' })));
    raw.publish(`${prefix}.cluster.released.b`, Buffer.from(JSON.stringify({ by: 'a', deviceIds: ['34020000001320000009', 7, null] })));
    await raw.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(allB).toEqual([]);
    expect(released).toEqual([['34020000001320000009']]);
  });
});
