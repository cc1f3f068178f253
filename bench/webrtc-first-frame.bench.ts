// WebRTC (WHEP) first frame in real Chromium beside HTTP-FLV from the same play, and the gateway's CPU per WebRTC viewer.
// Its own file (`npm run bench webrtc`): it needs Chromium and takes about a minute.
import type { Page } from 'playwright-core';
import type { BenchResult } from './bench-result';
import { startBuiltGateway, type BuiltGateway } from './support/built-gateway';
import { firstFlvPicture, percentile } from './support/first-frame';
import { CAMERA_CLIP, loadH264Clip } from './support/h264-clip';
import { PsRtpClip } from './support/ps-rtp-clip';
import { startReplayCameras, type ReplayCameras } from './support/replay-cameras';
import { RtpReplayer } from './support/rtp-replayer';
import { launchChromium, type TestBrowser } from '../test/support/chromium';

const GROUP = 'webrtc first frame';
const RUNS = Number(process.env.BENCH_WEBRTC_RUNS ?? 20);
/** Issue 12: WebRTC ≤ 0.5 s after the first keyframe reaches the gateway (the play answer comes once it has). */
const WEBRTC_AFTER_KEYFRAME_TARGET_MS = 500;
const FLV_TARGET_MS = 1000;
const VIEWERS_FOR_CPU = 8;

interface PlayDto {
  streamId: string;
  urls: { flv: string; player: string };
}

interface Run {
  /** Play request -> API answer (the first keyframe is in). */
  play: number;
  /** Play request -> Chromium's inbound-rtp framesDecoded > 0. */
  webrtc: number;
  /** Play request -> first FLV video tag over HTTP. */
  flv: number;
}

export async function run(): Promise<BenchResult[]> {
  const clip = new PsRtpClip(loadH264Clip(CAMERA_CLIP));
  const gopS = clip.clip.gopFrames / clip.fps;
  const replayer = new RtpReplayer(clip);
  let gw: BuiltGateway | undefined;
  let cameras: ReplayCameras | undefined;
  let browser: TestBrowser | undefined;
  try {
    [gw, browser] = await Promise.all([startBuiltGateway({ rtpPorts: 100, env: { WEBRTC_MAX_PEERS: '64', WEBRTC_PUBLIC_HOST: '127.0.0.1' } }), launchChromium()]);
    cameras = await startReplayCameras(replayer, { sipHost: '127.0.0.1', sipPort: gw.sipPort, channels: 1 });
    const cam = cameras.cameras[0]!;
    if (!(await waitFor(async () => (await gw!.api<{ online: boolean }>('GET', `/api/devices/${cam.deviceId}`)).online, 15_000))) throw new Error('camera did not come online');
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await playOnce(gw, browser, cameras, cam);
      runs.push(r);
      process.stderr.write(`  webrtc run ${i + 1}/${RUNS}: API ${Math.round(r.play)} ms, WebRTC frame ${Math.round(r.webrtc)} ms, FLV ${Math.round(r.flv)} ms\n`);
    }
    const w = runs.map((r) => r.webrtc);
    const afterKey = runs.map((r) => r.webrtc - r.play);
    const flv = runs.map((r) => r.flv);
    const note = `${RUNS} runs in headless Chromium; source GOP ${gopS.toFixed(2)} s, started at a random frame; a WebRTC viewer starts at the next keyframe after ICE+DTLS`;
    const results: BenchResult[] = [
      { group: GROUP, name: 'play -> first WebRTC frame decoded, p50', value: Math.round(percentile(w, 50)), unit: 'ms', better: 'lower', note },
      { group: GROUP, name: 'play -> first WebRTC frame decoded, p95', value: Math.round(percentile(w, 95)), unit: 'ms', better: 'lower', note: `max ${Math.round(Math.max(...w))} ms` },
      { group: GROUP, name: 'keyframe in (API answer) -> WebRTC frame decoded, p50', value: Math.round(percentile(afterKey, 50)), unit: 'ms', better: 'lower', target: WEBRTC_AFTER_KEYFRAME_TARGET_MS },
      { group: GROUP, name: 'keyframe in (API answer) -> WebRTC frame decoded, p95', value: Math.round(percentile(afterKey, 95)), unit: 'ms', better: 'lower', target: WEBRTC_AFTER_KEYFRAME_TARGET_MS },
      { group: GROUP, name: 'play -> first FLV picture (same plays), p50', value: Math.round(percentile(flv, 50)), unit: 'ms', better: 'lower', target: FLV_TARGET_MS },
      { group: GROUP, name: 'play -> first FLV picture (same plays), p95', value: Math.round(percentile(flv, 95)), unit: 'ms', better: 'lower', target: FLV_TARGET_MS },
    ];
    results.push(await cpuPerViewer(gw, browser, cam));
    return results;
  } finally {
    replayer.close();
    await browser?.close().catch(() => undefined);
    await cameras?.stop();
    await gw?.stop();
  }
}

/** Decoded frames of the page's peer connection (webrtc player page: window.__pc). */
const DECODED = `(async () => { if (!window.__pc) return 0; const r = await window.__pc.getStats();
  for (const s of r.values()) if (s.type === 'inbound-rtp' && s.kind === 'video') return s.framesDecoded || 0; return 0; })()`;

async function playOnce(gw: BuiltGateway, browser: TestBrowser, cameras: ReplayCameras, cam: { deviceId: string; channelId: string }): Promise<Run> {
  const t0 = performance.now();
  const dto = await gw.api<PlayDto>('POST', `/api/devices/${cam.deviceId}/channels/${cam.channelId}/play`, { transport: 'udp' });
  const tPlay = performance.now();
  const page = await browser.context.newPage();
  try {
    const webrtc = (async () => {
      await page.goto(gw.httpUrl + dto.urls.player.replace('/play/', '/webrtc/') + '&wait=10000'); // measure, do not fall back
      const until = performance.now() + 10_000;
      while (performance.now() < until) {
        if (!page.url().includes('/webrtc/')) throw new Error(`fell back: ${decodeURIComponent(page.url())}`);
        const n = (await page.evaluate(DECODED).catch(() => 0)) as number; // the page may be navigating away (fallback)
        if (n > 0) return performance.now();
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('no WebRTC frame decoded in 10 s');
    })();
    const [tW, flv] = await Promise.all([webrtc, firstFlvPicture(gw.httpUrl + dto.urls.flv, 10_000)]);
    return { play: tPlay - t0, webrtc: tW - t0, flv: flv.at - t0 };
  } finally {
    await page.close();
    await gw.api('DELETE', `/api/streams/${dto.streamId}`);
    await waitFor(() => cameras.sending === 0, 3000);
  }
}

/** Gateway process CPU (user+system, /proc) over 10 s with one stream and 0 vs VIEWERS_FOR_CPU WebRTC viewers. */
async function cpuPerViewer(gw: BuiltGateway, browser: TestBrowser, cam: { deviceId: string; channelId: string }): Promise<BenchResult> {
  const dto = await gw.api<PlayDto>('POST', `/api/devices/${cam.deviceId}/channels/${cam.channelId}/play`, { transport: 'udp' });
  const pages: Page[] = [];
  try {
    const flvHold = new AbortController();
    void fetch(gw.httpUrl + dto.urls.flv, { signal: flvHold.signal }).then((r) => r.body?.pipeTo(new WritableStream())).catch(() => undefined); // keeps the stream watched
    const base = await cpuOver(gw.pid, 10_000);
    for (let i = 0; i < VIEWERS_FOR_CPU; i++) {
      const p = await browser.context.newPage();
      pages.push(p);
      await p.goto(gw.httpUrl + dto.urls.player.replace('/play/', '/webrtc/') + '&wait=10000');
    }
    await waitFor(async () => (await Promise.all(pages.map((p) => p.evaluate(DECODED) as Promise<number>))).every((n) => n > 0), 10_000);
    const loaded = await cpuOver(gw.pid, 10_000);
    flvHold.abort();
    const per = (loaded - base) / VIEWERS_FOR_CPU;
    return { group: GROUP, name: 'gateway CPU per WebRTC viewer (720p 2 Mb/s H.264)', value: Math.round(per * 10) / 10, unit: '% core', better: 'lower', note: `one stream: ${base.toFixed(1)} % with 1 FLV viewer, ${loaded.toFixed(1)} % with ${VIEWERS_FOR_CPU} WebRTC viewers more (werift: SRTP in JS)` };
  } finally {
    await Promise.all(pages.map((p) => p.close()));
    await gw.api('DELETE', `/api/streams/${dto.streamId}`);
  }
}

async function cpuOver(pid: number, ms: number): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const ticks = () => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (clock ticks, 100 Hz)
  };
  const a = ticks();
  await new Promise((r) => setTimeout(r, ms));
  return ((ticks() - a) / 100 / (ms / 1000)) * 100;
}

async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    try {
      if (await fn()) return true;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}
