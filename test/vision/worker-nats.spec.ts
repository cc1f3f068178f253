import { fork, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { afterEach, describe, expect, it } from 'vitest';
import { visionSubjects, type GatewayToWorkerMessage, type WorkerToGatewayMessage } from '@gb/contracts';
import { NatsVisionLink } from '../../apps/gateway/src/congestion/nats-vision.link';
import type { RgbFrame } from '../../apps/vision-worker/src/frames/rgb-frame';
import { DetectorHolder } from '../../apps/vision-worker/src/live/detector-holder';
import type { LiveFrameSource } from '../../apps/vision-worker/src/live/live-frame-source';
import { NatsWorkerTransport } from '../../apps/vision-worker/src/live/nats-worker.transport';
import { VisionWorker } from '../../apps/vision-worker/src/live/vision-worker';
import { channelIdFor, HIGHWAY, MessageLog, requireFfmpeg, WORKER_ENTRY } from './vision-worker-harness';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const HEARTBEAT_MS = 300;

async function requireNats(): Promise<void> {
  const u = new URL(NATS_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const s = createConnection({ host: u.hostname, port: Number(u.port || 4222) }, () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
  });
  if (!ok) throw new Error(`this test needs a NATS server at ${NATS_URL}: install nats-server and run it, or set TEST_NATS_URL`);
}

const children: ChildProcess[] = [];
const links: NatsVisionLink[] = [];
const workers: VisionWorker[] = [];
const connections: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  await Promise.all(workers.splice(0).map((w) => w.close()));
  await Promise.all(connections.splice(0).map((c) => c.drain()));
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Every message published under `<prefix>.vision.>`, with its subject, as the wire carries it. */
async function tap(prefix: string): Promise<{ subject: string; m: (GatewayToWorkerMessage | WorkerToGatewayMessage) & { node?: string } }[]> {
  const nc = await connect({ servers: NATS_URL, name: 'test-tap' });
  connections.push(nc);
  const seen: Awaited<ReturnType<typeof tap>> = [];
  nc.subscribe(`${prefix}.vision.>`, { callback: (err, msg) => !err && seen.push({ subject: msg.subject, m: JSON.parse(Buffer.from(msg.data).toString('utf8')) }) });
  await nc.flush();
  return seen;
}

function startWorker(id: string, prefix: string): ChildProcess {
  const c = fork(WORKER_ENTRY, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NATS_URL, VISION_NATS_PREFIX: prefix, VISION_WORKER_ID: id, VISION_HEARTBEAT_MS: String(HEARTBEAT_MS), VISION_RETRY_MS: '500' },
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  children.push(c);
  return c;
}

describe('distributed vision workers on NATS (queue group vision-workers)', () => {
  it('two workers share four channels, each scored by exactly one; killing one moves its channels to the other and scores keep coming', async () => {
    requireFfmpeg();
    await requireNats();
    const prefix = `test${randomBytes(4).toString('hex')}`;
    const log = new MessageLog();
    const link = new NatsVisionLink({ url: NATS_URL, prefix, node: 'n1', heartbeatMs: HEARTBEAT_MS, missedHeartbeats: 3 });
    links.push(link);
    await link.start(log.push);
    // Workers heartbeat to a node only while they hold its channels; the shared heartbeat says they are up.
    const wire = await tap(prefix);
    const a = startWorker('wa', prefix);
    startWorker('wb', prefix);
    const shared = visionSubjects(prefix).heartbeat('');
    await log.until('both workers heartbeating', () => new Set(wire.filter((w) => w.subject.startsWith(shared)).map((w) => (w.m as { workerId: string }).workerId)).size === 2, 30_000);

    const channels = [1, 2, 3, 4].map((n) => channelIdFor(100 + n));
    for (const ch of channels) link.watch({ type: 'watch', channelId: ch, deviceId: 'dev', sourceUrl: HIGHWAY, rois: [], fps: 1 });
    await log.until('every channel scored', () => channels.every((ch) => log.of('score', ch).length > 0), 60_000);

    // Exactly one holder per channel, as the workers themselves report it.
    const lastBeat = (id: string) => log.of('heartbeat').filter((h) => h.workerId === id).at(-1)?.channels ?? [];
    await log.until('heartbeats list all four channels once', () => {
      const held = [...lastBeat('wa'), ...lastBeat('wb')].sort();
      return held.length === 4 && held.join() === [...channels].sort().join();
    });
    const ofA = channels.filter((ch) => link.workerOf(ch) === 'wa');
    expect(channels.every((ch) => ['wa', 'wb'].includes(link.workerOf(ch)!))).toBe(true);
    // The queue group picks a member at random per request, so the split varies; kill a worker that holds some.
    const victim = ofA.length > 0 ? 'wa' : 'wb';
    const moved = channels.filter((ch) => link.workerOf(ch) === victim);
    expect(moved.length).toBeGreaterThan(0);

    (victim === 'wa' ? a : children[1]!).kill('SIGKILL');
    const killedAt = Date.now();
    const survivor = victim === 'wa' ? 'wb' : 'wa';
    await log.until('moved channels assigned to the survivor', () => moved.every((ch) => link.workerOf(ch) === survivor), 30_000);
    const counts = new Map(moved.map((ch) => [ch, log.of('score', ch).length]));
    await log.until('scores after the move', () => moved.every((ch) => log.of('score', ch).length >= counts.get(ch)! + 2), 60_000);
    await log.until('survivor holds all four', () => lastBeat(survivor).length === 4);
    console.info(`[vision nats] ${moved.length} channel(s) moved; reassigned within ${Date.now() - killedAt} ms of the kill (heartbeat ${HEARTBEAT_MS} ms × 3)`);

    // Unwatch reaches whichever worker holds the channel.
    link.unwatch(channels[0]!);
    await log.until('unwatched channel dropped', () => !lastBeat(survivor).includes(channels[0]!));
  }, 150_000);
});

/** Frames every 40 ms until closed: no ffmpeg. */
function tickingSource(): LiveFrameSource {
  const f: RgbFrame = { width: 32, height: 24, data: Buffer.alloc(32 * 24 * 3, 90) };
  let closed = false;
  let wake = () => undefined as void;
  return {
    async run(onFrame) {
      while (!closed) {
        onFrame(f);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 40);
          wake = () => (clearTimeout(t), r());
        });
      }
    },
    close() {
      closed = true;
      wake();
    },
  };
}

describe('gateway nodes sharing one pool of vision workers on NATS', () => {
  it('nodes a and b watching ch1 and ch2: over several heartbeats neither is unwatched and each node hears only its channel; a.unwatch(ch1) drops only ch1', async () => {
    await requireNats();
    const prefix = `test${randomBytes(4).toString('hex')}`;
    const wire = await tap(prefix);
    for (const id of ['w1', 'w2']) {
      const detector = { async detect() { return []; }, async close() {} };
      const w = new VisionWorker({ workerId: id, transport: new NatsWorkerTransport(NATS_URL, id, prefix), detectors: new DetectorHolder(async () => detector, 50), openSource: tickingSource, heartbeatMs: HEARTBEAT_MS, retryMs: 100 });
      workers.push(w);
      await w.start();
    }
    const [logA, logB] = [new MessageLog(), new MessageLog()];
    const [a, b] = [new NatsVisionLink({ url: NATS_URL, prefix, node: 'a', heartbeatMs: HEARTBEAT_MS, missedHeartbeats: 3 }), new NatsVisionLink({ url: NATS_URL, prefix, node: 'b', heartbeatMs: HEARTBEAT_MS, missedHeartbeats: 3 })];
    links.push(a, b);
    await a.start(logA.push);
    await b.start(logB.push);
    const [ch1, ch2] = [channelIdFor(1), channelIdFor(2)];
    a.watch({ type: 'watch', channelId: ch1, deviceId: 'dev', sourceUrl: 'fake://ch1', rois: [], fps: 5 });
    b.watch({ type: 'watch', channelId: ch2, deviceId: 'dev', sourceUrl: 'fake://ch2', rois: [], fps: 5 });
    await logA.until('ch1 scored at a', () => logA.of('score', ch1).length > 0, 10_000);
    await logB.until('ch2 scored at b', () => logB.of('score', ch2).length > 0, 10_000);

    // Both workers together hold exactly {ch1, ch2}, at every look over eight heartbeat periods.
    const held = () => workers.flatMap((w) => w.channels).sort();
    for (const end = Date.now() + 8 * HEARTBEAT_MS; Date.now() < end; await new Promise((r) => setTimeout(r, HEARTBEAT_MS / 10))) {
      expect(held()).toEqual([ch1, ch2]);
    }
    expect(wire.filter((w) => w.m.type === 'unwatch')).toEqual([]);
    expect(logA.of('heartbeat').length).toBeGreaterThanOrEqual(6);
    expect(logB.of('heartbeat').length).toBeGreaterThanOrEqual(6);
    for (const [log, own] of [[logA, ch1], [logB, ch2]] as const) {
      expect(new Set(log.all.map((m) => (m.type === 'heartbeat' ? m.channels.join() : m.channelId)))).toEqual(new Set([own]));
      expect(log.of('status').map((s) => s.state)).not.toContain('stopped');
    }
    expect([a.workerOf(ch1), b.workerOf(ch2)].every((w) => w === 'w1' || w === 'w2')).toBe(true);
    // Scores travel on their node's subjects.
    expect(new Set(wire.filter((w) => w.m.type === 'score').map((w) => w.subject.split('.').slice(1, -1).join('.') + ':' + (w.m as { channelId: string }).channelId))).toEqual(
      new Set([`vision.node.a.score:${ch1}`, `vision.node.b.score:${ch2}`]),
    );

    const fromB = logB.all.length;
    a.unwatch(ch1);
    await logA.until('ch1 dropped by its worker', () => held().join() === ch2, 10_000);
    // The link forgets an unwatched channel at once (and drops its late messages); the 'stopped' goes to node a only.
    await logA.until('ch1 stopped on node a', () => wire.some((w) => w.subject === `${prefix}.vision.node.a.status.${ch1}` && (w.m as { state?: string }).state === 'stopped'));
    await logB.until('three more heartbeats at b', () => logB.all.slice(fromB).filter((m) => m.type === 'heartbeat').length >= 3);
    expect(held()).toEqual([ch2]);
    expect(logB.all.slice(fromB).every((m) => (m.type === 'heartbeat' ? m.channels.join() === ch2 : m.channelId === ch2))).toBe(true);
    expect(wire.filter((w) => w.m.type === 'unwatch').map((w) => [w.subject, w.m])).toEqual([[`${prefix}.vision.node.a.unwatch`, { type: 'unwatch', channelId: ch1, node: 'a' }]]);
  }, 60_000);
});
