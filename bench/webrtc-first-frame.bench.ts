// First frame over the four browser transports side by side (issue 12's benchmark): WebRTC (WHEP, decoded in real
// Chromium), HTTP-FLV, WS-FLV and HLS from the same plays, with the same two clock origins for each; and the gateway's
// CPU per WebRTC viewer. Its own file (`npm run bench webrtc`): it needs Chromium and takes two to three minutes.
import type { Page } from 'playwright-core';
import type { BenchResult } from './bench-result';
import { startBuiltGateway, type BuiltGateway } from './support/built-gateway';
import { firstFlvPicture, firstHlsSegment, firstWsFlvPicture, percentile } from './support/first-frame';
import { CAMERA_CLIP, loadH264Clip } from './support/h264-clip';
import { loadAverage } from './support/proc-stats';
import { PsRtpClip } from './support/ps-rtp-clip';
import { startReplayCameras, type ReplayCameras } from './support/replay-cameras';
import { RtpReplayer } from './support/rtp-replayer';
import { launchChromium, type TestBrowser } from '../test/support/chromium';
import { waitFor } from './support/poll';

const GROUP = 'first frame';
const RUNS = Number(process.env.BENCH_WEBRTC_RUNS ?? 20);
const VIEWERS_FOR_CPU = 8;

type Transport = 'WebRTC' | 'FLV' | 'WS-FLV' | 'HLS';
const TRANSPORTS: readonly Transport[] = ['WebRTC', 'FLV', 'WS-FLV', 'HLS'];
/**
 * Issue 12's targets, each on its own origin: WebRTC ≤ 0.5 s after the first keyframe reaches the gateway (the play
 * answer comes once it has); FLV ≤ 1 s and HLS ≤ 1.5 s from the play request (WS-FLV: FLV's).
 */
const TARGETS: Record<Transport, { ms: number; from: 'keyframe' | 'play' }> = {
  WebRTC: { ms: 500, from: 'keyframe' },
  FLV: { ms: 1000, from: 'play' },
  'WS-FLV': { ms: 1000, from: 'play' },
  HLS: { ms: 1500, from: 'play' },
};

interface PlayDto {
  streamId: string;
  urls: { flv: string; wsFlv: string; hls: string; player: string; webrtc: string };
}

interface Run {
  /** Play request -> API answer (the first keyframe is in). */
  play: number;
  /** Play request -> first frame, per transport. */
  at: Record<Transport, number>;
}

/**
 * A replay camera sends a 720p 2 Mb/s H.264 clip with a 1 s GOP from a random frame. Each run plays (UDP) and, at
 * once, starts a WHEP viewer in an open Chromium page (first frame = its peer connection's inbound-rtp
 * framesDecoded > 0, WHEP_FIRST_FRAME), opens the HTTP-FLV and WS-FLV URLs (first video tag with a picture) and polls
 * the HLS playlist (first segment listed, what hls.js needs to start); then stops the stream. FLV, WS-FLV and HLS are
 * timed at the wire, WebRTC at the decoder.
 */
export async function run(): Promise<BenchResult[]> {
  const clip = new PsRtpClip(loadH264Clip(CAMERA_CLIP));
  const gopS = clip.clip.gopFrames / clip.fps;
  const replayer = new RtpReplayer(clip);
  const load0 = loadAverage();
  let gw: BuiltGateway | undefined;
  let cameras: ReplayCameras | undefined;
  let browser: TestBrowser | undefined;
  try {
    [gw, browser] = await Promise.all([startBuiltGateway({ rtpPorts: 100, env: { WEBRTC_MAX_PEERS: '64', WEBRTC_PUBLIC_HOST: '127.0.0.1' } }), launchChromium()]);
    cameras = await startReplayCameras(replayer, { sipHost: '127.0.0.1', sipPort: gw.sipPort, channels: 1 });
    const cam = cameras.cameras[0]!;
    if (!(await waitFor(async () => (await gw!.api<{ online: boolean }>('GET', `/api/devices/${cam.deviceId}`)).online, 15_000))) throw new Error('camera did not come online');
    const runs: Run[] = [];
    const page = await browser.context.newPage();
    await page.goto(`${gw.httpUrl}/api/health`); // any page of the gateway's origin: the WHEP POST is same-origin
    for (let i = 0; i < RUNS; i++) {
      const r = await playOnce(gw, page, cameras, cam);
      runs.push(r);
      process.stderr.write(`  run ${i + 1}/${RUNS}: API ${Math.round(r.play)} ms; ${TRANSPORTS.map((t) => `${t} ${Math.round(r.at[t])}`).join(', ')} ms\n`);
    }
    const results: BenchResult[] = [];
    const rows: string[][] = [];
    for (const t of TRANSPORTS) {
      const fromPlay = runs.map((r) => r.at[t]);
      const fromKey = runs.map((r) => r.at[t] - r.play);
      const target = TARGETS[t];
      const measured = target.from === 'play' ? fromPlay : fromKey;
      const p50 = Math.round(percentile(measured, 50));
      const p95 = Math.round(percentile(measured, 95));
      const origin = target.from === 'play' ? 'play request' : 'keyframe in (API answer)';
      results.push(
        { group: GROUP, name: `${t}: ${origin} -> first frame, p50`, value: p50, unit: 'ms', better: 'lower', target: target.ms },
        { group: GROUP, name: `${t}: ${origin} -> first frame, p95`, value: p95, unit: 'ms', better: 'lower', target: target.ms },
      );
      const ms = (xs: number[], p: number) => String(Math.round(percentile(xs, p)));
      rows.push([t, ms(fromPlay, 50), ms(fromPlay, 95), ms(fromKey, 50), ms(fromKey, 95), `≤ ${target.ms} from ${target.from}`, p50 <= target.ms && p95 <= target.ms ? 'met' : p50 <= target.ms ? 'met at p50' : 'MISSED']);
    }
    await page.close();
    const api = runs.map((r) => r.play);
    printTable(rows, `${RUNS} plays; play -> API answer (first keyframe in) p50 ${Math.round(percentile(api, 50))} ms, p95 ${Math.round(percentile(api, 95))} ms; source GOP ${gopS.toFixed(2)} s from a random frame; load average ${load0} before, ${loadAverage()} after`);
    results.push(await cpuPerViewer(gw, browser, cam));
    return results;
  } finally {
    replayer.close();
    await browser?.close().catch(() => undefined);
    await cameras?.stop();
    await gw?.stop();
  }
}

/** The side-by-side table (ms), written before run.ts prints the result lines. */
function printTable(rows: string[][], note: string): void {
  const head = ['transport', 'play->frame p50', 'p95', 'keyframe->frame p50', 'p95', 'target', 'verdict'];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i === 0 || i >= 5 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  process.stdout.write(`\n  first frame, ms (${note})\n${line(head)}\n${rows.map(line).join('\n')}\n`);
}

/** Decoded frames of the page's peer connection (webrtc player page: window.__pc). */
const DECODED = `(async () => { if (!window.__pc) return 0; const r = await window.__pc.getStats();
  for (const s of r.values()) if (s.type === 'inbound-rtp' && s.kind === 'video') return s.framesDecoded || 0; return 0; })()`;

/**
 * A WHEP viewer run inside an already open page on the gateway's origin (as the dashboard's player is when the play
 * answer comes): recvonly video + audio offer, the answer, then getStats() polled in the page every 5 ms until
 * inbound-rtp framesDecoded > 0; resolves with Date.now() at that moment (the bench compares it with its own
 * Date.now(): one machine, one clock), then closes the peer connection and the WHEP session.
 */
const WHEP_FIRST_FRAME = `(async (url) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  let session = null;
  try {
    await pc.setLocalDescription(await pc.createOffer());
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
    if (r.status !== 201) throw new Error('WHEP refused: ' + r.status + ' ' + (await r.text()));
    session = r.headers.get('location');
    await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
    const until = Date.now() + 10000;
    while (Date.now() < until) {
      for (const s of (await pc.getStats()).values()) if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) return Date.now();
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('no WebRTC frame decoded in 10 s (connection ' + pc.connectionState + ')');
  } finally {
    pc.close();
    if (session) fetch(session, { method: 'DELETE' }).catch(() => {});
  }
})`;

async function playOnce(gw: BuiltGateway, page: Page, cameras: ReplayCameras, cam: { deviceId: string; channelId: string }): Promise<Run> {
  const t0 = performance.now();
  const d0 = Date.now();
  const dto = await gw.api<PlayDto>('POST', `/api/devices/${cam.deviceId}/channels/${cam.channelId}/play`, { transport: 'udp' });
  const tPlay = performance.now();
  try {
    const webrtc = (page.evaluate(`${WHEP_FIRST_FRAME}(${JSON.stringify(dto.urls.webrtc)})`) as Promise<number>).then((at) => at - d0);
    const wsUrl = dto.urls.wsFlv.startsWith('/') ? gw.httpUrl.replace(/^http/, 'ws') + dto.urls.wsFlv : dto.urls.wsFlv;
    const [w, flv, ws, hls] = await Promise.all([webrtc, firstFlvPicture(gw.httpUrl + dto.urls.flv, 10_000), firstWsFlvPicture(wsUrl, 10_000), firstHlsSegment(gw.httpUrl + dto.urls.hls, 10_000)]);
    return { play: tPlay - t0, at: { WebRTC: w, FLV: flv.at - t0, 'WS-FLV': ws.at - t0, HLS: hls - t0 } };
  } finally {
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

