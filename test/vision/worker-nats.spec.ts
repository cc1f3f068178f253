import { fork, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { NatsVisionLink } from '../../apps/gateway/src/congestion/nats-vision.link';
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
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

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
    const link = new NatsVisionLink({ url: NATS_URL, prefix, heartbeatMs: HEARTBEAT_MS, missedHeartbeats: 3 });
    links.push(link);
    await link.start(log.push);
    const a = startWorker('wa', prefix);
    startWorker('wb', prefix);
    await log.until('both workers heartbeating', () => new Set(log.of('heartbeat').map((h) => h.workerId)).size === 2, 30_000);

    const channels = [1, 2, 3, 4].map((n) => channelIdFor(100 + n));
    for (const ch of channels) link.watch({ type: 'watch', channelId: ch, deviceId: 'dev', sourceUrl: HIGHWAY, rois: [], fps: 1 });
    await log.until('every channel scored', () => channels.every((ch) => log.of('score', ch).length > 0), 60_000);

    // Exactly one holder per channel, as the workers themselves report it.
    const lastBeat = (id: string) => log.of('heartbeat').filter((h) => h.workerId === id).at(-1)!.channels;
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
