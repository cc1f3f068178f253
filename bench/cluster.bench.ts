// Scale-out: registrations/s with two gateway nodes on one PostgreSQL (beside one node on the same database), and the
// extra latency of a play forwarded over NATS to the device's owner.
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { DeviceFleet, DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId } from '../apps/device-sim/src';
import type { StreamDto } from '@gb/contracts';
import type { BenchResult } from './bench-result';
import { CLOCK_TICKS_PER_S, cpuTicks, loadAverage } from './support/proc-stats';
import { createTestDatabase, makeLogDir, requireServices, startGatewayNode, type GatewayNode } from '../test/support/cluster-harness';

/**
 * Two built gateway nodes (a, b) as separate processes on one fresh PostgreSQL database and one NATS, with the
 * simulated devices in this process; nothing is pinned: on the 2-core machine both nodes, the simulator, PostgreSQL
 * and NATS share both cores, so the figures are what the pair manages there, not a per-core capacity.
 *
 * 1. Registrations: the offered rate steps up (STEPS, each step STEP_S seconds of fresh devices with new IDs, a
 *    DeviceFleet at that rate, split evenly over a and b); each step records achieved registrations/s, p50/p95 of the
 *    simulator's register time (first REGISTER to its 200, digest round included) and its retransmissions (T1 500 ms).
 *    The ramp stops at the first step with a retransmission or a failed registration, or when the next step would
 *    pass MAX_DEVICES. The same steps against a alone (b up and idle) are the one-node baseline, run first.
 * 2. Plays: one media camera registered with b; PLAYS plays on b (local) and PLAYS on a (forwarded to b over NATS),
 *    alternating, each stopped (DELETE /api/streams/<id> on the node it was started from) and gone before the next;
 *    p50/p95 of the POST play response time.
 *
 * BENCH_CLUSTER_STEP_S, BENCH_CLUSTER_MAX_RATE and BENCH_CLUSTER_PLAYS shorten or lengthen it.
 */
const GROUP = 'cluster';
const PASSWORD = 'bench-cluster-password';
const STEP_S = Number(process.env.BENCH_CLUSTER_STEP_S ?? 3);
const MAX_RATE = Number(process.env.BENCH_CLUSTER_MAX_RATE ?? 3200);
const STEPS = [100, 150, 200, 300, 400, 600, 800, 1200, 1600, 2400, 3200].filter((r) => r <= MAX_RATE);
/** Serials stay below 10,000 within one ID space (the simulator's channel IDs are serial × 100 + index). */
const MAX_DEVICES = 9_900;
const PLAYS = Number(process.env.BENCH_CLUSTER_PLAYS ?? 20);
/** Settling time after a step: the nodes' DeviceInfo and Catalog queries to the new devices are answered. */
const SETTLE_MS = 2_000;
// The 14th digit of the ID (first of the serial part) is also the channel IDs' 14th: a distinct space per run.
const ONE_NODE_FIRST = '34020000001321000001';
const TWO_NODES_FIRST = '34020000001322000001';
const CAMERA = '34020000001323000001';
const WARM_UP_FIRST = '34020000001324000001';
const WARM_UP_DEVICES = 200;
const NODE_ENV = {
  SIP_PASSWORD: PASSWORD,
  // Devices of finished steps are closed without unregistering: they must not go offline (a write each) mid-bench.
  KEEPALIVE_INTERVAL_S: '600',
  LOG_LEVEL: 'warn',
  STREAM_IDLE_TIMEOUT_MS: '60000',
};

interface StepResult {
  offered: number;
  devices: number;
  registered: number;
  achieved: number;
  p50: number;
  p95: number;
  retransmissions: number;
  failed: number;
  /** CPU share over the step, % of one core: this process (the simulator) and each node. */
  cpu: string;
}

export async function run(): Promise<BenchResult[]> {
  await requireServices();
  const load0 = loadAverage();
  const db = await createTestDatabase('gb_bench_cluster');
  const logDir = makeLogDir();
  const prefix = `b${process.pid}${Date.now().toString(36)}`;
  const nodes: GatewayNode[] = [];
  const media = new DeviceMediaSimulator({ fps: 10, gop: 10 });
  let camera: SimulatedDevice | undefined;
  let failed = false;
  try {
    const [a, b] = await Promise.all(['a', 'b'].map((nodeId) => startGatewayNode({ nodeId, databaseUrl: db.url, prefix, logDir, env: NODE_ENV })));
    nodes.push(a!, b!);

    // Warm-up, not counted (JIT, pools, first inserts), on both nodes, so the baseline run first is not the cold one.
    await warmUp([a!, b!]);
    const oneNode = await ramp([a!], ONE_NODE_FIRST, [a!, b!]);
    const twoNodes = await ramp([a!, b!], TWO_NODES_FIRST, [a!, b!]);

    camera = new SimulatedDevice(
      {
        deviceId: CAMERA, serverHost: '127.0.0.1', serverPort: b!.sipPort, serverId: '34020000002000000001', domain: '3402000000', password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(CAMERA, 0, 1), manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1', name: 'bench-camera', retryDelayMs: 1000,
      },
      { onInvite: media.hook },
    );
    if ((await camera.start()) !== 'registered') throw new Error('the media camera did not register with b');
    const plays = await playLatencies(a!, b!, media);

    const where = `2 nodes + simulator + PostgreSQL + NATS sharing ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'cpu'}), unpinned; load ${load0} -> ${loadAverage()}`;
    return [...registrationResults(oneNode, twoNodes, where), ...playResults(plays, where)];
  } catch (e) {
    failed = true;
    const tails = nodes.map((n) => `--- ${n.nodeId} (${n.logFile})\n${n.tail(15)}`).join('\n');
    throw new Error(`${(e as Error).message}\n${tails}`, { cause: e });
  } finally {
    media.close();
    await camera?.stop({ unregister: false, timeoutMs: 200 }).catch(() => undefined);
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await db.drop();
    if (!failed || !process.env.KEEP_CLUSTER_LOGS) rmSync(logDir, { recursive: true, force: true });
  }
}

/** Steps the offered rate up against `targets` (split evenly) until a step has retransmissions or failures. */
async function ramp(targets: GatewayNode[], firstDeviceId: string, all: GatewayNode[]): Promise<StepResult[]> {
  const out: StepResult[] = [];
  let used = 0;
  for (const offered of STEPS) {
    const devices = Math.round(offered * STEP_S);
    if (used + devices > MAX_DEVICES) break;
    const per = Math.floor(devices / targets.length);
    const fleets = targets.map((node, i) => fleetFor(node, offsetId(firstDeviceId, used + i * per), per, offered / targets.length));
    used += per * targets.length;
    try {
      const t0 = performance.now();
      const sim0 = process.cpuUsage();
      const ticks0 = all.map((n) => cpuTicks(n.child.pid!) ?? 0);
      const outcomes = (await Promise.all(fleets.map((f) => f.start()))).flat();
      const wallS = (performance.now() - t0) / 1000;
      const simUs = process.cpuUsage(sim0);
      const pct = (cpuS: number) => `${Math.round((100 * cpuS) / wallS)}%`;
      const cpu = [`simulator ${pct((simUs.user + simUs.system) / 1e6)}`, ...all.map((n, i) => `${n.nodeId} ${pct(((cpuTicks(n.child.pid!) ?? 0) - ticks0[i]!) / CLOCK_TICKS_PER_S)}`)].join(', ');
      const s = merge(fleets);
      const registered = outcomes.filter((o) => o === 'registered').length;
      out.push({
        offered, devices: per * targets.length, registered, achieved: registered / wallS,
        p50: s.registerMs?.p50 ?? NaN, p95: s.registerMs?.p95 ?? NaN, retransmissions: s.retransmissions, failed: outcomes.length - registered, cpu,
      });
      await sleep(SETTLE_MS);
    } finally {
      await Promise.all(fleets.map((f) => f.stop({ unregister: false, timeoutMs: 200 }).catch(() => undefined)));
    }
    const last = out[out.length - 1]!;
    if (last.retransmissions > 0 || last.failed > 0) break;
  }
  return out;
}

async function warmUp(targets: GatewayNode[]): Promise<void> {
  const per = WARM_UP_DEVICES / targets.length;
  const fleets = targets.map((node, i) => fleetFor(node, offsetId(WARM_UP_FIRST, i * per), per, 100 / targets.length));
  try {
    await Promise.all(fleets.map((f) => f.start()));
    await sleep(SETTLE_MS);
  } finally {
    await Promise.all(fleets.map((f) => f.stop({ unregister: false, timeoutMs: 200 }).catch(() => undefined)));
  }
}

function fleetFor(node: GatewayNode, firstDeviceId: string, count: number, ratePerSecond: number): DeviceFleet {
  const fleet = new DeviceFleet({
    count, ratePerSecond, firstDeviceId, channelsPerDevice: 1, serverHost: '127.0.0.1', serverPort: node.sipPort,
    serverId: '34020000002000000001', domain: '3402000000', password: PASSWORD, transport: 'udp', localHost: '127.0.0.1',
    expires: 3600, keepaliveSeconds: 600, charset: 'GB2312', catalogPerMessage: 2, manufacturer: 'GBSIM', model: 'SIM', firmware: '1',
    retryDelayMs: 5000,
  });
  fleet.on('error', () => undefined);
  return fleet;
}

/** Retransmissions summed, register-time percentiles over the union of the fleets' devices. */
function merge(fleets: DeviceFleet[]): { retransmissions: number; registerMs: { p50: number; p95: number } | null } {
  const times = fleets.flatMap((f) => f.devices.map((d) => d.stats.lastRegisterMs)).filter((t): t is number => t !== null).sort((x, y) => x - y);
  return {
    retransmissions: fleets.reduce((x, f) => x + f.stats().retransmissions, 0),
    registerMs: times.length ? { p50: quantile(times, 0.5), p95: quantile(times, 0.95) } : null,
  };
}

/** The q-quantile of ascending `xs` (nearest rank, as FleetStats does). */
function quantile(xs: number[], q: number): number {
  return xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
}

/** Alternating local (b) and forwarded (a -> b) plays of the camera's channel; POST play response times in ms. */
async function playLatencies(a: GatewayNode, b: GatewayNode, media: DeviceMediaSimulator): Promise<{ local: number[]; forwarded: number[] }> {
  const ch = channelId(CAMERA, 1);
  await waitUntil('the camera catalog on b', async () => ((await b.api<unknown[]>(`/api/devices/${CAMERA}/channels`)).body as unknown[])?.length === 1, 20_000);
  const once = async (node: GatewayNode): Promise<number> => {
    const t0 = performance.now();
    const r = await node.api<StreamDto>(`/api/devices/${CAMERA}/channels/${ch}/play`, { method: 'POST', body: '{}' });
    const ms = performance.now() - t0;
    if (r.status !== 200) throw new Error(`play on ${node.nodeId}: ${r.status} ${JSON.stringify(r.body)}`);
    const d = await node.api(`/api/streams/${encodeURIComponent(r.body.streamId)}`, { method: 'DELETE' });
    if (d.status !== 204) throw new Error(`stop on ${node.nodeId}: ${d.status} ${JSON.stringify(d.body)}`);
    await waitUntil(`stream ${r.body.streamId} gone`, async () => {
      const list = await node.api<StreamDto[]>('/api/streams');
      return media.stats.active === 0 && Array.isArray(list.body) && !list.body.some((s) => s.streamId === r.body.streamId && s.state !== 'closed' && s.state !== 'failed');
    }, 15_000);
    return ms;
  };
  // Warm-up, not counted: first INVITE, first ffmpeg, the NATS subscription's first request.
  await once(b);
  await once(a);
  const local: number[] = [];
  const forwarded: number[] = [];
  for (let i = 0; i < PLAYS; i++) {
    if (i % 2 === 0) {
      local.push(await once(b));
      forwarded.push(await once(a));
    } else {
      forwarded.push(await once(a));
      local.push(await once(b));
    }
  }
  return { local, forwarded };
}

function registrationResults(one: StepResult[], two: StepResult[], where: string): BenchResult[] {
  const out: BenchResult[] = [];
  const stepNote = (s: StepResult) => `${s.registered}/${s.devices} registered, register ms p50 ${Math.round(s.p50)} p95 ${Math.round(s.p95)}, ${s.retransmissions} retransmissions${s.failed ? `, ${s.failed} failed` : ''}; CPU ${s.cpu}`;
  for (let i = 0; i < Math.max(one.length, two.length); i++) {
    const t = two[i];
    const o = one[i];
    if (t) out.push({ group: GROUP, name: `two nodes, offered ${t.offered}/s: achieved`, value: Math.round(t.achieved), unit: 'reg/s', baseline: o ? { name: 'one node', value: Math.round(o.achieved) } : undefined, note: stepNote(t) });
    if (o) out.push({ group: GROUP, name: `one node, offered ${o.offered}/s: achieved`, value: Math.round(o.achieved), unit: 'reg/s', note: stepNote(o) });
  }
  const clean = (xs: StepResult[]) => xs.filter((s) => s.retransmissions === 0 && s.failed === 0).at(-1);
  const stopped = (xs: StepResult[]) => {
    const last = xs.at(-1);
    return !last ? 'no step ran' : last.retransmissions || last.failed ? `retransmissions from ${last.offered}/s` : `no retransmissions up to ${last.offered}/s (cap: ${MAX_RATE}/s or ${MAX_DEVICES} devices)`;
  };
  const c2 = clean(two);
  const c1 = clean(one);
  out.push({
    group: GROUP, name: 'two nodes: last offered rate without retransmissions', value: c2?.offered ?? 0, unit: 'reg/s',
    baseline: c1 ? { name: 'one node', value: c1.offered } : undefined, note: `two nodes: ${stopped(two)}; one node: ${stopped(one)}; ${STEP_S} s steps; ${where}`,
  });
  if (c2 && c1) {
    out.push({ group: GROUP, name: 'two nodes: achieved reg/s at that rate', value: Math.round(c2.achieved), unit: 'reg/s', baseline: { name: 'one node at its own', value: Math.round(c1.achieved) }, note: `p95 register ${Math.round(c2.p95)} ms vs ${Math.round(c1.p95)} ms` });
  }
  return out;
}

function playResults(p: { local: number[]; forwarded: number[] }, where: string): BenchResult[] {
  const q = (xs: number[], f: number) => quantile([...xs].sort((x, y) => x - y), f);
  const r = (x: number) => Math.round(x * 10) / 10;
  const [l50, l95, f50, f95] = [q(p.local, 0.5), q(p.local, 0.95), q(p.forwarded, 0.5), q(p.forwarded, 0.95)];
  const n = `${p.local.length} + ${p.forwarded.length} plays, alternating, each stopped and gone before the next; camera registered with b`;
  return [
    { group: GROUP, name: 'play on the owner (b), POST response p50', value: r(l50), unit: 'ms', better: 'lower', note: n },
    { group: GROUP, name: 'play on the owner (b), POST response p95', value: r(l95), unit: 'ms', better: 'lower' },
    { group: GROUP, name: 'play forwarded a -> b over NATS, p50', value: r(f50), unit: 'ms', better: 'lower', baseline: { name: 'local', value: r(l50) } },
    { group: GROUP, name: 'play forwarded a -> b over NATS, p95', value: r(f95), unit: 'ms', better: 'lower', baseline: { name: 'local', value: r(l95) } },
    { group: GROUP, name: 'extra latency of forwarding, p50 (forwarded - local)', value: r(f50 - l50), unit: 'ms', better: 'lower', note: where },
    { group: GROUP, name: 'extra latency of forwarding, p95 (forwarded - local)', value: r(f95 - l95), unit: 'ms', better: 'lower' },
  ];
}

function offsetId(id: string, delta: number): string {
  return id.slice(0, 14) + String(Number(id.slice(14)) + delta).padStart(6, '0');
}

async function waitUntil(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
