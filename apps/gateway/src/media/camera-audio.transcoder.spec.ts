import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { AAC_SAMPLES_PER_FRAME, GATEWAY_AAC_CONFIG, TIMESTAMP_WRAP_90K, adtsFrame, encodeG711, type AacConfig, type PsAccessUnit } from '@gb/gb28181';
import { resolveFfmpeg } from '@gb/runtime';
import { CameraAudioTranscoder, runningAudioTranscoders, transcodeArgs, type TranscodedAacFrame } from './camera-audio.transcoder';

const ffmpeg = resolveFfmpeg();
const open: CameraAudioTranscoder[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** A 440 Hz tone at 8 kHz, `ms` long, from sample `from` on (so consecutive calls continue the wave). */
function tone(from: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * (from + i)) / 8000)));
}

/** G.711 units of 20 ms (160 samples) as a camera sends them, PTS 1800 apart from `pts0`. */
function g711Units(law: 'alaw' | 'ulaw', pts0: number, count: number, skip: (i: number) => boolean = () => false): PsAccessUnit[] {
  const out: PsAccessUnit[] = [];
  for (let i = 0; i < count; i++) {
    if (skip(i)) continue;
    out.push({ kind: 'audio', codec: law === 'alaw' ? 'g711a' : 'g711u', streamId: 0xc0, pts: (pts0 + i * 1800) % TIMESTAMP_WRAP_90K, keyframe: true, data: encodeG711(law, tone(i * 160, 160)) });
  }
  return out;
}

function transcoder(frames: TranscodedAacFrame[]): CameraAudioTranscoder {
  const t = new CameraAudioTranscoder({ ffmpegPath: ffmpeg, onFrame: (f) => frames.push(f) });
  open.push(t);
  return t;
}

async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Decodes AAC frames (as ADTS) with ffmpeg to 16-bit PCM and returns the RMS of each 1024-sample frame. */
function rmsPerFrame(frames: TranscodedAacFrame[], config: AacConfig = GATEWAY_AAC_CONFIG): number[] {
  const adts = Buffer.concat(frames.map((f) => adtsFrame(config, f.raw)));
  const r = spawnSync(ffmpeg, ['-v', 'error', '-f', 'aac', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', 'pipe:1'], { input: adts, maxBuffer: 64 << 20 });
  const pcm = r.stdout;
  const out: number[] = [];
  for (let f = 0; (f + 1) * 2048 <= pcm.length; f++) {
    let sum = 0;
    for (let i = 0; i < 1024; i++) sum += pcm.readInt16LE(f * 2048 + i * 2) ** 2;
    out.push(Math.sqrt(sum / 1024));
  }
  return out;
}

describe('CameraAudioTranscoder', () => {
  it('G.711 A-law in 20 ms units -> AAC-LC 16 kHz mono frames timed on the camera clock from the first unit, 5760 ticks apart, decoding to the tone', async () => {
    const frames: TranscodedAacFrame[] = [];
    const t = transcoder(frames);
    const pts0 = 123_456;
    for (const u of g711Units('alaw', pts0, 100)) t.write(u); // 2 s
    await until(() => frames.length >= 28);
    expect(frames[0]!.pts).toBe(pts0);
    expect(frames.slice(1).map((f, i) => f.pts - frames[i]!.pts).every((d) => d === 5760)).toBe(true);
    const rms = rmsPerFrame(frames);
    // the tone's RMS is 8000/√2 ≈ 5657; the encoder's first frame ramps in
    expect(rms.slice(2, 20).every((r) => r > 4000 && r < 7000), `RMS per frame ${rms.map((r) => r.toFixed(0)).join(' ')}`).toBe(true);
    expect(t.dropped).toBe(0);
  }, 30_000);

  it('µ-law works the same, and a 100 ms gap in the camera audio is filled: the frames after it stay on the camera timestamps', async () => {
    const frames: TranscodedAacFrame[] = [];
    const t = transcoder(frames);
    // units 20..24 lost (100 ms)
    for (const u of g711Units('ulaw', 0, 100, (i) => i >= 20 && i < 25)) t.write(u);
    await until(() => frames.length >= 28);
    expect(frames.map((f) => f.pts).slice(0, 28)).toEqual(Array.from({ length: 28 }, (_, i) => i * 5760));
  }, 30_000);

  it('runs across the 33-bit wrap of the camera clock', async () => {
    const frames: TranscodedAacFrame[] = [];
    const t = transcoder(frames);
    const pts0 = TIMESTAMP_WRAP_90K - 90_000; // wraps 1 s in
    for (const u of g711Units('alaw', pts0, 100)) t.write(u);
    await until(() => frames.length >= 28);
    const steps = frames.slice(1).map((f, i) => (f.pts - frames[i]!.pts + TIMESTAMP_WRAP_90K) % TIMESTAMP_WRAP_90K);
    expect(new Set(steps)).toEqual(new Set([5760]));
    expect(frames.some((f) => f.pts < 90_000)).toBe(true);
  }, 30_000);

  it('AAC already in the gateway configuration passes through unchanged, no encoder started', async () => {
    const frames: TranscodedAacFrame[] = [];
    const t = transcoder(frames);
    const raw = Buffer.from([0x21, 0x10, 0x05]);
    const two = Buffer.concat([adtsFrame(GATEWAY_AAC_CONFIG, raw), adtsFrame(GATEWAY_AAC_CONFIG, raw)]);
    t.write({ kind: 'audio', codec: 'aac', streamId: 0xc0, pts: 1000, keyframe: true, data: two });
    expect(frames).toEqual([{ raw, pts: 1000 }, { raw, pts: 1000 + 5760 }]);
    expect(t.pid).toBeUndefined();
  });

  it('AAC of another configuration (8 kHz, as the simulator sends) is transcoded to 16 kHz mono, timed from its first frame', async () => {
    const enc = spawnSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000:duration=2', '-c:a', 'aac', '-b:a', '24k', '-f', 'adts', 'pipe:1'], { maxBuffer: 8 << 20 });
    const frames: TranscodedAacFrame[] = [];
    const t = transcoder(frames);
    let pts = 9000;
    for (let off = 0; off < enc.stdout.length; ) {
      const len = ((enc.stdout[off + 3]! & 3) << 11) | (enc.stdout[off + 4]! << 3) | (enc.stdout[off + 5]! >> 5);
      t.write({ kind: 'audio', codec: 'aac', streamId: 0xc0, pts, keyframe: true, data: enc.stdout.subarray(off, off + len) });
      pts += (AAC_SAMPLES_PER_FRAME * 90_000) / 8000;
      off += len;
    }
    await until(() => frames.length >= 20);
    expect(frames[0]!.pts).toBe(9000);
    expect(frames[1]!.pts - frames[0]!.pts).toBe(5760);
    const rms = rmsPerFrame(frames);
    expect(Math.max(...rms.slice(3, 18))).toBeGreaterThan(1000);
  }, 30_000);

  it('an encoder that dies is replaced on the next unit; past AAC_TRANSCODE_MAX_RESTARTS deaths within a minute audio is given up (failure says why)', async () => {
    const frames: TranscodedAacFrame[] = [];
    const t = transcoder(frames);
    let i = 0;
    for (let death = 0; death < 4; death++) {
      for (const u of g711Units('alaw', i * 1800, 5)) t.write(u);
      i += 5;
      await until(() => t.pid !== undefined);
      const pid = t.pid!;
      process.kill(pid, 'SIGKILL');
      await until(() => t.pid !== pid);
    }
    expect(t.restarts).toBe(3);
    expect(t.failure).toMatch(/died 4 times within 60 s/);
    for (const u of g711Units('alaw', i * 1800, 5)) t.write(u);
    expect(t.pid).toBeUndefined();
  }, 30_000);

  it('close() stops the encoder and is safe twice; the ffmpeg reads PCM or ADTS without probing and writes flushed ADTS', async () => {
    const t = transcoder([]);
    for (const u of g711Units('alaw', 0, 3)) t.write(u);
    expect(runningAudioTranscoders()).toBeGreaterThan(0);
    await t.close();
    await t.close();
    expect(t.pid).toBeUndefined();
    expect(transcodeArgs({ pcmRate: 16000 }).join(' ')).toContain('-f s16le -ar 16000 -ac 1 -i pipe:0 -vn -c:a aac -b:a 32k -ar 16000 -ac 1 -flush_packets 1 -f adts pipe:1');
    expect(transcodeArgs({ adts: true }).join(' ')).toContain('-f aac -i pipe:0');
  });
});
