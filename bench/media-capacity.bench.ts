// Relay capacity: N concurrent 2 Mb/s 720p camera streams through the built gateway (RTP -> PS demux -> ffmpeg HLS + FLV),
// CPU and memory of the gateway and its ffmpeg children, beside a bare ffmpeg per stream and reference figures.
// BENCH_ZLM_BIN=<path to ZLMediaKit's MediaServer>: the same RTP load through MediaServer too (openRtpServer, HLS on),
// measured in the same run (docs/decisions/media-capacity.md).
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '@gb/runtime';
import type { BenchResult } from './bench-result';
import { BareFfmpegFarm } from './support/bare-ffmpeg';
import { freePort, startBuiltGateway, type BuiltGateway } from './support/built-gateway';
import { CAMERA_CLIP, loadH264Clip } from './support/h264-clip';
import { killAll, loadAverage, processTree, sample, usageBetween, type WindowUsage } from './support/proc-stats';
import { PsRtpClip } from './support/ps-rtp-clip';
import { startReplayCameras, type ReplayCameras } from './support/replay-cameras';
import { RtpReplayer, type ReplayHandle } from './support/rtp-replayer';
import { assertZlmBinary, startZlmServer } from './support/zlm-server';

const GROUP = 'media capacity';
const STEPS = (process.env.BENCH_CAPACITY_STEPS ?? '1,10,50,100,200,400').split(',').map(Number);
/** Whole bench, both phases; larger N are skipped (with a note) when they would not fit. */
const BUDGET_S = Number(process.env.BENCH_CAPACITY_BUDGET_S ?? 180);
const WINDOW_S = 10;
const SETTLE_S = 3;
const PLAY_CONCURRENCY = 8;
/** BENCH_CAPACITY_TRANSPORT=tcp-passive: the cameras connect to the gateway over TCP (RFC 4571) instead of UDP. */
const TRANSPORT = process.env.BENCH_CAPACITY_TRANSPORT === 'tcp-passive' ? 'tcp-passive' : 'udp';
/** % of one core the gateway tree may be predicted to need before a step is skipped (2 shared cores, sender included). */
const MAX_PREDICTED_CPU = Number(process.env.BENCH_CAPACITY_MAX_CPU ?? 150);
/** Product target: 400 streams within 1.4 cores and 1 MB each. */
const TARGET_CPU_PER_STREAM = 140 / 400;
const TARGET_MB_PER_STREAM = 1;
/** Measured on these machines for 100 such streams (reference figures, not re-measured here). */
const REF_ZLM = { name: 'ZLMediaKit HLS-only (ref., 100 streams)', cpu: 32.5 / 100, mb: 101 / 100 };
const REF_FFMPEG_NODE = { name: 'ffmpeg per stream + Node receiver (ref., 100 streams)', cpu: 55 / 100, mb: 1360 / 100 };

interface Step {
  /** Streams playing during the window. */
  n: number;
  /** Streams asked for. */
  attempted: number;
  failures?: string;
  usage: WindowUsage;
  /** Gateway node process alone. */
  jsCpu: number;
  jsRssKb: number;
  /** RTP packets the gateway counted / packets sent, over the window. */
  delivered: number;
  lateFrames: number;
  hlsBytes: number;
  load: string;
}

interface Measured {
  steps: Step[];
  idle: WindowUsage;
  skipped: string[];
}

export async function run(): Promise<BenchResult[]> {
  const zlmBin = process.env.BENCH_ZLM_BIN;
  if (zlmBin) assertZlmBinary(zlmBin);
  const t0 = performance.now();
  const deadline = t0 + BUDGET_S * 1000;
  const clip = new PsRtpClip(loadH264Clip(CAMERA_CLIP));
  clip.selfCheck();
  const maxN = Math.max(...STEPS);
  const load0 = loadAverage();

  const gwPhase = await measureGateway(clip, maxN, deadline);
  const bare = process.env.BENCH_CAPACITY_BARE === '0' ? { steps: [], idle: gwPhase.idle, skipped: ['bare ffmpeg (BENCH_CAPACITY_BARE=0)'] } : await measureBare(clip, STEPS, deadline);
  const zlm = zlmBin ? await measureZlm(clip, zlmBin, STEPS, deadline) : undefined;
  const results: BenchResult[] = [];
  for (const [i, s] of gwPhase.steps.entries()) {
    const cpuPer = s.usage.cpuPercent / s.n;
    const mbPer = (s.usage.rssKb - gwPhase.idle.rssKb) / 1024 / s.n;
    // What each stream added since the previous step: the process's fixed growth under load (V8's young generation,
    // code, pools) stays out of it, which the figure against the idle process counts as if it were per stream.
    const prev = gwPhase.steps[i - 1];
    const marginal = prev ? `; ${((s.usage.rssKb - prev.usage.rssKb) / 1024 / (s.n - prev.n)).toFixed(2)} MB per stream added since N=${prev.n}` : '';
    const pssPer = (s.usage.pssKb - gwPhase.idle.pssKb) / 1024 / s.n;
    // A starved window (sender behind by >2 % of frames, or RTP lost) measures the machine, not the gateway.
    const framesDue = s.n * WINDOW_S * clip.fps;
    const invalid = s.delivered < 0.95 || s.lateFrames > framesDue * 0.02 ? 'NOT VALID (machine overloaded: sender late or RTP lost, the gateway was starved); ' : '';
    const sender = `${invalid}${s.failures ? `${s.attempted} asked, ${s.failures}; ` : ''}RTP delivered (cumulative) ${(100 * s.delivered).toFixed(1)}%, sender late frames ${s.lateFrames}, load ${s.load}`;
    results.push(
      {
        group: GROUP, name: `N=${s.n}: CPU per stream, gateway + ffmpeg`, value: round3(cpuPer), unit: '%core/str', better: 'lower', target: TARGET_CPU_PER_STREAM,
        baseline: { name: REF_ZLM.name, value: REF_ZLM.cpu },
        note: `total ${s.usage.cpuPercent.toFixed(1)}% of a core (gateway JS ${s.jsCpu.toFixed(1)}%, ${s.usage.processes - 1} ffmpeg ${(s.usage.cpuPercent - s.jsCpu).toFixed(1)}%); idle gateway ${gwPhase.idle.cpuPercent.toFixed(1)}%; ${sender}`,
      },
      {
        group: GROUP, name: `N=${s.n}: RSS per added stream, gateway + ffmpeg`, value: round3(mbPer), unit: 'MB/stream', better: 'lower', target: TARGET_MB_PER_STREAM,
        baseline: { name: REF_ZLM.name, value: REF_ZLM.mb },
        note: `${invalid}sum VmRSS ${(s.usage.rssKb / 1024).toFixed(0)} MB (gateway JS ${(s.jsRssKb / 1024).toFixed(0)} MB, whole tree idle ${(gwPhase.idle.rssKb / 1024).toFixed(0)} MB, embedded PGlite included); HLS files held ${(s.hlsBytes / 1e6 / s.n).toFixed(2)} MB/stream (page cache, not in RSS)${marginal}`,
      },
      {
        group: GROUP, name: `N=${s.n}: PSS per added stream, gateway + ffmpeg`, value: round3(pssPer), unit: 'MB/stream', better: 'lower', target: TARGET_MB_PER_STREAM,
        note: `sum Pss ${(s.usage.pssKb / 1024).toFixed(0)} MB, idle ${(gwPhase.idle.pssKb / 1024).toFixed(0)} MB: shared library pages of the ${s.usage.processes - 1} ffmpeg counted once`,
      },
    );
  }
  for (const b of bare.steps) {
    const s = gwPhase.steps.find((x) => x.n === b.n);
    const ratio = s ? `; gateway/bare ${(s.usage.cpuPercent / b.usage.cpuPercent).toFixed(2)}×` : '';
    results.push(
        {
          group: GROUP, name: `N=${b.n}: CPU per stream, bare ffmpeg -c copy (HLS + FLV)`, value: round3(b.usage.cpuPercent / b.n), unit: '%core/str', better: 'lower',
          baseline: { name: REF_FFMPEG_NODE.name, value: REF_FFMPEG_NODE.cpu }, note: `total ${b.usage.cpuPercent.toFixed(1)}% of a core${ratio}; load ${b.load}`,
        },
        {
          group: GROUP, name: `N=${b.n}: RSS per stream, bare ffmpeg -c copy (HLS + FLV)`, value: round3(b.usage.rssKb / 1024 / b.n), unit: 'MB/stream', better: 'lower',
          baseline: { name: REF_FFMPEG_NODE.name, value: REF_FFMPEG_NODE.mb },
          note: `sum VmRSS ${(b.usage.rssKb / 1024).toFixed(0)} MB over ${b.usage.processes} ffmpeg; sum Pss ${(b.usage.pssKb / 1024).toFixed(0)} MB = ${(b.usage.pssKb / 1024 / b.n).toFixed(2)} MB/stream`,
        },
    );
  }
  for (const z of zlm?.steps ?? []) {
    const s = gwPhase.steps.find((x) => x.n === z.n);
    const b = bare.steps.find((x) => x.n === z.n);
    const ratio = `${s ? `; gateway/ZLMediaKit ${(s.usage.cpuPercent / z.usage.cpuPercent).toFixed(2)}×` : ''}${b ? `; bare ffmpeg/ZLMediaKit ${(b.usage.cpuPercent / z.usage.cpuPercent).toFixed(2)}×` : ''}`;
    results.push(
      {
        group: GROUP, name: `N=${z.n}: CPU per stream, ZLMediaKit MediaServer (HLS)`, value: round3(z.usage.cpuPercent / z.n), unit: '%core/str', better: 'lower',
        baseline: { name: REF_ZLM.name, value: REF_ZLM.cpu }, note: `total ${z.usage.cpuPercent.toFixed(1)}% of a core${ratio}; RTP sent late frames ${z.lateFrames}; load ${z.load}`,
      },
      {
        group: GROUP, name: `N=${z.n}: RSS per added stream, ZLMediaKit MediaServer (HLS)`, value: round3((z.usage.rssKb - zlm!.idle.rssKb) / 1024 / z.n), unit: 'MB/stream', better: 'lower',
        baseline: { name: REF_ZLM.name, value: REF_ZLM.mb }, note: `VmRSS ${(z.usage.rssKb / 1024).toFixed(0)} MB, idle ${(zlm!.idle.rssKb / 1024).toFixed(0)} MB`,
      },
    );
  }
  const skipped = [...gwPhase.skipped, ...bare.skipped, ...(zlm?.skipped ?? [])];
  results.push({
    group: GROUP, name: 'load average (1/5/15 min) at the end', value: Number(loadAverage().split(' ')[0]), unit: 'load',
    note: `gateway RTP over ${TRANSPORT}${process.env.DATABASE_URL ? ', database: PostgreSQL (DATABASE_URL, outside the process)' : ', embedded database'}; before ${load0}; bench took ${Math.round((performance.now() - t0) / 1000)} s of a ${BUDGET_S} s budget${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}; 2-core machine shared with other work`,
  });
  return results;
}

/** Gateway phase: streams are added step by step (1, 10, 50, …) and measured over a 10 s window at each step. */
async function measureGateway(clip: PsRtpClip, maxN: number, deadline: number): Promise<Measured> {
  const replayer = new RtpReplayer(clip);
  let gw: BuiltGateway | undefined;
  let cameras: ReplayCameras | undefined;
  const steps: Step[] = [];
  const skipped: string[] = [];
  try {
    gw = await startBuiltGateway({ rtpPorts: 2 * maxN + 20 }); // the pool hands out even ports (RTP), each stream takes two
    cameras = await startReplayCameras(replayer, { sipHost: '127.0.0.1', sipPort: gw.sipPort, channels: maxN });
    await waitOnline(gw, [...new Set(cameras.cameras.map((c) => c.deviceId))]);
    log(`gateway up, ${cameras.cameras.length} channels online`);
    await sleep(2000); // catalog storage of the new channels settles
    const idle = await window(gw.pid, 3);
    let playing = 0;
    let secondsPerPlay = 0.5;
    for (const n of STEPS) {
      const estimate = ((n - playing) * secondsPerPlay) / PLAY_CONCURRENCY + SETTLE_S + WINDOW_S + 2;
      // Keep time for the baseline phase at the same steps, and for stopping the gateway.
      const reserve = (steps.length + 1) * (SETTLE_S + WINDOW_S + 2) + 10 + n * 0.05;
      if (performance.now() + (estimate + reserve) * 1000 > deadline) {
        skipped.push(`gateway N=${n} (would need ~${Math.round(estimate)} s more than the time budget)`);
        break;
      }
      // Two shared cores, and the sender needs its share: past ~150% of a core the figures measure the machine, not the gateway.
      const last = steps.at(-1);
      const predicted = last ? (last.usage.cpuPercent / last.n) * n : 0;
      if (last && (last.delivered < 0.9 || last.failures || predicted > MAX_PREDICTED_CPU)) {
        const why = last.failures
          ? `at N=${last.attempted} ${last.failures}`
          : last.delivered < 0.9
            ? `at N=${last.n} ${(100 - 100 * last.delivered).toFixed(0)}% of RTP was already lost`
            : `would need ~${predicted.toFixed(0)}% of a core at N=${last.n}'s cost per stream`;
        skipped.push(`gateway N=${n}: the machine cannot (${why})`);
        break;
      }
      const tPlay = performance.now();
      const todo = cameras.cameras.slice(playing, n);
      const failures: string[] = [];
      await pool(todo, PLAY_CONCURRENCY, (c) =>
        gw!.api('POST', `/api/devices/${c.deviceId}/channels/${c.channelId}/play`, { transport: TRANSPORT }).catch((e: Error) => failures.push(e.message)),
      );
      secondsPerPlay = Math.max(0.2, ((performance.now() - tPlay) / 1000 / Math.max(1, todo.length)) * PLAY_CONCURRENCY);
      playing = n;
      log(`N=${n}: ${todo.length} plays in ${((performance.now() - tPlay) / 1000).toFixed(1)} s, ${failures.length} failed`);
      await sleep(SETTLE_S * 1000);
      const pids = processTree(gw.pid);
      const live = (await gw.api<{ state: string }[]>('GET', '/api/streams')).filter((x) => x.state === 'playing').length;
      if (live === 0) throw new Error(`no stream playing at N=${n}: ${failures[0] ?? gw.stderr.slice(-500)}`);
      const late0 = replayer.lateFrames;
      const s0 = sample(pids);
      await sleep(WINDOW_S * 1000);
      const s1 = sample(processTree(gw.pid));
      // Cumulative: what the gateway counted against what was sent to it so far (a window ratio swings with socket backlogs).
      const sent = replayer.packetsSent;
      const packets = await streamPackets(gw);
      const usage = usageBetween(s0, s1);
      log(`N=${live}: ${usage.cpuPercent.toFixed(1)}% CPU, ${(usage.rssKb / 1024).toFixed(0)} MB RSS, ${sent ? ((100 * packets) / sent).toFixed(1) : 0}% delivered`);
      const js = usageBetween({ ...s0, ticks: new Map([[gw.pid, s0.ticks.get(gw.pid) ?? 0]]) }, { ...s1, ticks: new Map([[gw.pid, s1.ticks.get(gw.pid) ?? 0]]) });
      steps.push({
        n: live, attempted: n, failures: failures.length > 0 ? `${failures.length} of ${todo.length} plays failed: ${failures[0]!.slice(0, 160)}` : undefined, usage, jsCpu: js.cpuPercent, jsRssKb: s1.rssKb.get(gw.pid) ?? 0, delivered: sent ? packets / sent : 0, lateFrames: replayer.lateFrames - late0,
        hlsBytes: dirBytes(join(gw.dataDir, 'hls')), load: loadAverage(),
      });
    }
    return { steps, idle, skipped };
  } finally {
    replayer.close();
    await cameras?.stop();
    await gw?.stop();
  }
}

/** Baseline phase: the same steps (as far as time and the machine allow) with one bare ffmpeg per stream fed from this process. */
async function measureBare(clip: PsRtpClip, ns: number[], deadline: number): Promise<Measured> {
  const farm = new BareFfmpegFarm(clip, resolveFfmpeg(), mkdtempSync(join(tmpdir(), 'bare-ffmpeg-bench-')));
  const steps: Step[] = [];
  const skipped: string[] = [];
  try {
    for (const n of ns) {
      if (performance.now() + (SETTLE_S + WINDOW_S + 1 + n * 0.02) * 1000 > deadline) {
        skipped.push(`bare ffmpeg N=${n} (time budget)`);
        break;
      }
      const last = steps.at(-1);
      if (last && (last.usage.cpuPercent / last.n) * n > MAX_PREDICTED_CPU) {
        skipped.push(`bare ffmpeg N=${n}: the machine cannot (~${((last.usage.cpuPercent / last.n) * n).toFixed(0)}% of a core)`);
        break;
      }
      while (farm.size < n) farm.add();
      await sleep(SETTLE_S * 1000);
      if (farm.exited) throw new Error(`${farm.exited} bare ffmpeg exited on their own`);
      const s0 = sample(farm.pids);
      await sleep(WINDOW_S * 1000);
      const s1 = sample(farm.pids);
      log(`bare N=${n}: ${usageBetween(s0, s1).cpuPercent.toFixed(1)}% CPU`);
      steps.push({ n, attempted: n, usage: usageBetween(s0, s1), jsCpu: 0, jsRssKb: 0, delivered: 1, lateFrames: 0, hlsBytes: 0, load: loadAverage() });
    }
    return { steps, idle: { cpuPercent: 0, rssKb: 0, pssKb: 0, processes: 0, seconds: 0 }, skipped };
  } finally {
    const pids = farm.pids;
    await farm.close();
    killAll(pids.filter((p) => existsPid(p)));
  }
}

/**
 * ZLMediaKit phase (BENCH_ZLM_BIN): one MediaServer, an openRtpServer receiver per stream, the same clip sent over UDP from
 * this process; MediaServer's own CPU and VmRSS over the same windows. It cannot run where no MediaServer is built (then
 * the phase is not run at all; a given BENCH_ZLM_BIN that does not start fails the bench with MediaServer's message).
 */
async function measureZlm(clip: PsRtpClip, bin: string, ns: number[], deadline: number): Promise<Measured> {
  const maxN = Math.max(...ns);
  const rtpMin = 10_000 + Math.floor(Math.random() * (22_000 - 2 * maxN - 20));
  const zlm = await startZlmServer(bin, await freePort(), [rtpMin, rtpMin + 2 * maxN + 19]);
  const replayer = new RtpReplayer(clip);
  const handles: ReplayHandle[] = [];
  const steps: Step[] = [];
  const skipped: string[] = [];
  try {
    const idle = await window(zlm.pid, 3);
    for (const n of ns) {
      if (performance.now() + (SETTLE_S + WINDOW_S + 1 + n * 0.02) * 1000 > deadline) {
        skipped.push(`ZLMediaKit N=${n} (time budget)`);
        break;
      }
      const last = steps.at(-1);
      if (last && (last.usage.cpuPercent / last.n) * n > MAX_PREDICTED_CPU) {
        skipped.push(`ZLMediaKit N=${n}: the machine cannot (~${((last.usage.cpuPercent / last.n) * n).toFixed(0)}% of a core)`);
        break;
      }
      while (handles.length < n) {
        const i = handles.length;
        const port = await zlm.openRtpServer(`bench${i}`);
        handles.push(await replayer.start({ transport: 'udp', host: '127.0.0.1', port, ssrc: 0x1000_0000 + i }));
      }
      await sleep(SETTLE_S * 1000);
      const late0 = replayer.lateFrames;
      const s0 = sample([zlm.pid]);
      await sleep(WINDOW_S * 1000);
      const s1 = sample([zlm.pid]);
      const usage = usageBetween(s0, s1);
      if (usage.processes === 0) throw new Error(`ZLMediaKit MediaServer exited during the N=${n} window`);
      log(`ZLMediaKit N=${n}: ${usage.cpuPercent.toFixed(1)}% CPU, ${(usage.rssKb / 1024).toFixed(0)} MB RSS`);
      steps.push({ n, attempted: n, usage, jsCpu: 0, jsRssKb: 0, delivered: 1, lateFrames: replayer.lateFrames - late0, hlsBytes: 0, load: loadAverage() });
    }
    return { steps, idle, skipped };
  } finally {
    for (const h of handles) h.stop();
    replayer.close();
    await zlm.stop();
  }
}

async function window(pid: number, seconds: number): Promise<WindowUsage> {
  const s0 = sample(processTree(pid));
  await sleep(seconds * 1000);
  return usageBetween(s0, sample(processTree(pid)));
}

async function streamPackets(gw: BuiltGateway): Promise<number> {
  const list = await gw.api<{ packets: number }[]>('GET', '/api/streams');
  return list.reduce((n, s) => n + s.packets, 0);
}

async function waitOnline(gw: BuiltGateway, deviceIds: string[]): Promise<void> {
  const until = performance.now() + 20_000;
  for (;;) {
    const list = await gw.api<{ deviceId: string; online: boolean }[] | { items: { deviceId: string; online: boolean }[] }>('GET', '/api/devices');
    const items = Array.isArray(list) ? list : list.items;
    if (deviceIds.every((id) => items.some((d) => d.deviceId === id && d.online))) return;
    if (performance.now() > until) throw new Error(`cameras not online in the gateway after 20 s`);
    await sleep(100);
  }
}

async function pool<T>(items: T[], concurrency: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function dirBytes(dir: string): number {
  let n = 0;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      try {
        n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
      } catch {
        /* deleted meanwhile (segment rotation) */
      }
    }
  } catch {
    /* no dir */
  }
  return n;
}

function existsPid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function log(msg: string): void {
  if (process.env.BENCH_VERBOSE === '1') process.stderr.write(`[media-capacity ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function round3(x: number): number {
  return Number(x.toPrecision(3));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
