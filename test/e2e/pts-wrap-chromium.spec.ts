import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { TIMESTAMP_WRAP_90K } from '@gb/gb28181';
import { launchChromium, type TestBrowser } from '../support/chromium';
import { requireTool, startMediaRig, waitForSegments, type MediaRig, type SimCamera, type StreamDto } from '../support/media-probe';

/** The simulated cameras' PTS passes 2^33 this many seconds after their first frame (a clock that has run ~26.5 h). */
const WRAP_AFTER_S = 3;
/** How far past the wrap the players must get (seconds of playback). */
const PAST_WRAP_S = 4;

let rig: MediaRig;
let withAudio: SimCamera;
let browser: TestBrowser;

beforeAll(async () => {
  requireTool('ffmpeg');
  const camera = { codec: 'h264' as const, width: 320, height: 180, startPts90k: TIMESTAMP_WRAP_90K - WRAP_AFTER_S * 90_000 };
  [rig, browser] = await Promise.all([startMediaRig(camera), launchChromium()]);
  // Both go through the in-process HLS muxer (HLS_MUXER=internal); the one with audio carries its AAC track (G.711
  // transcoded) across the wrap too.
  withAudio = await rig.addCamera({ ...camera, audio: 'g711a' });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

/** Opens the player page and resolves with the <video>'s currentTime once it passed `seconds` (or throws with the page state). */
async function playsPast(dto: StreamDto, mode: 'hls' | 'flv', seconds: number, withinMs: number): Promise<number> {
  const page = await browser.context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  try {
    await page.goto(`${rig.url(dto.urls.player)}&mode=${mode}`);
    try {
      // strings, evaluated in the page (this file compiles without the DOM lib)
      await page.waitForFunction(`document.getElementById('v').currentTime > ${seconds} || /error/i.test(document.getElementById('status').textContent)`, undefined, { timeout: withinMs, polling: 200 });
    } catch {
      // reported below with the page's state
    }
    const st = (await page.evaluate(`(() => { const v = document.getElementById('v');
      return { status: document.getElementById('status').textContent, currentTime: v.currentTime, readyState: v.readyState, error: v.error ? v.error.message : null }; })()`)) as { currentTime: number };
    expect(st.currentTime, `${mode.toUpperCase()} player state ${JSON.stringify(st)}; console: ${logs.slice(-8).join(' | ')}`).toBeGreaterThan(seconds);
    return st.currentTime;
  } finally {
    await page.close();
  }
}

/** Reads HTTP-FLV for `ms` and returns the timestamps (ms, with the extended byte) of its video tags, in order. */
async function flvVideoTimes(url: string, ms: number): Promise<number[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const chunks: Buffer[] = [];
  try {
    const r = await fetch(url, { signal: ac.signal });
    const reader = r.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
  }
  const b = Buffer.concat(chunks);
  const times: number[] = [];
  // FLV header (its length at offset 5), PreviousTagSize0, then tags: type(1) size(3) ts(3) tsExt(1) streamId(3) data
  for (let o = b.readUInt32BE(5) + 4; o + 11 <= b.length; ) {
    const size = b.readUIntBE(o + 1, 3);
    if (o + 11 + size > b.length) break;
    if ((b[o]! & 0x1f) === 9 && b[o + 12] === 1) times.push(b.readUIntBE(o + 4, 3) + b[o + 7]! * 0x1000000); // AVC NALU tags
    o += 11 + size + 4;
  }
  return times;
}

describe('a camera whose 33-bit PTS wraps during the stream (simulator startPts90k = 2^33 − 3 s)', () => {
  it('keeps playing in Chromium over HTTP-FLV (mpegts.js) and HLS (hls.js; in-process muxer, video only and with AAC audio) past the wrap point', async () => {
    const plainPlay = rig.play({ transport: 'udp' });
    // The FLV reader starts as soon as its own stream plays, not when the other camera's does too: it then gets the
    // first GOP (tag times from 0) however far apart the two streams start on a loaded machine.
    const tagTimesRead = plainPlay.then((p) => flvVideoTimes(rig.url(p.urls.flv), (WRAP_AFTER_S + 3) * 1000));
    const [plain, audio] = await Promise.all([plainPlay, withAudio.play({ transport: 'udp' })]);
    expect([plain.state, audio.state]).toEqual(['playing', 'playing']);
    // Players opened right after play start at the stream's beginning, so currentTime > WRAP_AFTER_S + PAST_WRAP_S is
    // playback well past the moment the camera's PTS went from 2^33 − 1 to 0.
    const past = WRAP_AFTER_S + PAST_WRAP_S;
    const [flv, hlsInternal, hlsAudio, tagTimes] = await Promise.all([
      playsPast(plain, 'flv', past, 30_000),
      playsPast(plain, 'hls', past, 30_000),
      playsPast(audio, 'hls', past, 30_000),
      tagTimesRead,
    ]);
    // The FLV bytes themselves: tag times start near 0 (relative to the stream, not the camera's ~26.5 h clock) and rise
    // 40 ms a frame straight through the wrap, never stuck (players paper over stuck times; the bytes must not need it).
    expect(tagTimes[0], `first FLV tag times ${tagTimes.slice(0, 5).join(', ')}`).toBeLessThan(1000);
    const steps = tagTimes.slice(1).map((t, i) => t - tagTimes[i]!);
    expect(steps.every((d) => d >= 30 && d <= 50), `FLV tag time steps ${[...new Set(steps)].join(', ')}`).toBe(true);
    expect(tagTimes.at(-1)!, `last FLV tag time of ${tagTimes.length} tags`).toBeGreaterThan((WRAP_AFTER_S + 1) * 1000);
    console.info(`[pts-wrap] currentTime past the wrap: FLV ${flv.toFixed(1)} s, HLS internal ${hlsInternal.toFixed(1)} s, HLS with audio ${hlsAudio.toFixed(1)} s`);
    // Segments around the wrap have ordinary durations (a broken timeline makes one huge or tiny EXTINF).
    for (const dto of [plain, audio]) {
      const hls = await waitForSegments(rig.url(dto.urls.hls), 3);
      const durations = [...hls.playlist.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
      expect(durations.every((d) => d > 0.5 && d < 2.5), `EXTINF ${durations.join(', ')}`).toBe(true);
    }
    expect([...rig.errors, ...withAudio.errors]).toEqual([]);
  }, 90_000);
});
