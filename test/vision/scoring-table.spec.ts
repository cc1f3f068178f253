import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CongestionScore } from '../../apps/vision-worker/src/contracts';
import { FfmpegFrameSource } from '../../apps/vision-worker/src/frames/ffmpeg-frame-source';
import { OnnxDetector } from '../../apps/vision-worker/src/model/onnx-detector';
import { FramePipeline } from '../../apps/vision-worker/src/pipeline/frame-pipeline';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
const JAM = resolve(process.cwd(), '../shared/media/traffic/trancos_jam_cam1_000042.jpg');
const CAR_PARK = resolve(process.cwd(), '../shared/media/traffic/intel_car-detection.mp4');

/**
 * The scoring table with the real model on real pictures, frame by frame through detect -> track -> score
 * (the live path), one clip per row, each 6 s at 5 frames/s. Clips are made from the shared media with ffmpeg:
 * - empty: a flat grey picture;
 * - free: the car park clip (0–2 cars);
 * - dense standstill: a queued-motorway still held for 6 s (nothing moves);
 * - dense moving: the same queue under a camera pan of 40 px/s (every vehicle moves across the picture);
 * - night-like: the standstill at 25 % brightness (low contrast, as at dusk).
 * Levels read over the last 3 s (motion is known after 2 s).
 */
const ROWS: { name: string; ffmpeg: string[]; expect: (tail: CongestionScore[]) => void }[] = [
  {
    name: 'empty',
    ffmpeg: ['-f', 'lavfi', '-i', 'color=c=gray:s=640x480:r=10:d=6'],
    expect: (tail) => tail.forEach((s) => expect(s).toMatchObject({ level: 'free', index: 0, vehicles: 0 })),
  },
  {
    name: 'free',
    ffmpeg: ['-i', CAR_PARK, '-t', '6'],
    expect: (tail) => tail.forEach((s) => expect(s.level).toBe('free')),
  },
  {
    name: 'dense standstill',
    ffmpeg: ['-loop', '1', '-i', JAM, '-t', '6', '-r', '10'],
    expect: (tail) => tail.forEach((s) => expect(s).toMatchObject({ level: 'severe', basis: 'motion', stationaryShare: 1 })),
  },
  {
    name: 'dense moving',
    ffmpeg: ['-loop', '1', '-i', JAM, '-t', '6', '-r', '10', '-vf', 'crop=400:360:x=t*40:y=60'],
    expect: (tail) => tail.forEach((s) => {
      expect(s.vehicles).toBeGreaterThanOrEqual(5);
      expect(s.stationaryShare!).toBeLessThan(0.5);
      expect(['free', 'light', 'moderate']).toContain(s.level);
    }),
  },
  {
    name: 'night-like (25 % brightness)',
    ffmpeg: ['-loop', '1', '-i', JAM, '-t', '6', '-r', '10', '-vf', 'lutrgb=r=val*0.25:g=val*0.25:b=val*0.25'],
    expect: (tail) => tail.forEach((s) => expect(['heavy', 'severe']).toContain(s.level)),
  },
];

describe('congestion scoring table (real YOLOX-Nano, live path)', () => {
  let det: OnnxDetector;
  let tmp: string;
  beforeAll(async () => {
    const probe = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    if (probe.status !== 0 || !probe.stdout.includes('libx264')) throw new Error('this test needs ffmpeg with libx264 on PATH: apt-get install -y ffmpeg');
    det = await OnnxDetector.load(MODEL);
    tmp = await mkdtemp(join(tmpdir(), 'vision-table-'));
  });
  afterAll(async () => {
    await det?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  for (const row of ROWS) {
    it(`${row.name}`, async () => {
      const clip = join(tmp, `${row.name.replace(/\W+/g, '_')}.mp4`);
      const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...row.ffmpeg, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip], { encoding: 'utf8' });
      expect(enc.status, enc.stderr).toBe(0);
      const pipeline = new FramePipeline(det);
      const scores: CongestionScore[] = [];
      for await (const { t, frame } of new FfmpegFrameSource(clip, { fps: 5 })) scores.push(...(await pipeline.processVideoFrame(frame, t)).scores);
      expect(scores.length).toBeGreaterThanOrEqual(28);
      const tail = scores.filter((s) => s.t >= 3);
      row.expect(tail);
    }, 60_000);
  }
});
