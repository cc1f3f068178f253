import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FfmpegFrameSource } from './ffmpeg-frame-source';
import { findFfmpeg } from '@gb/runtime';

const MEDIA = resolve(process.cwd(), '../shared/media/traffic');

describe('FfmpegFrameSource', () => {
  it('findFfmpeg() (libs/runtime, shared with gateway and simulator) finds an ffmpeg binary (install ffmpeg or set FFMPEG_PATH if this fails)', () => {
    const p = findFfmpeg();
    expect(p, 'ffmpeg missing: apt-get install ffmpeg, or set FFMPEG_PATH').not.toBeNull();
    expect(existsSync(p!)).toBe(true);
  });

  it('iterating the 768×432 intel clip at 2 fps yields 640×360 RGB frames at t = 0, 0.5, 1 … and close() stops ffmpeg', async () => {
    const src = new FfmpegFrameSource(resolve(MEDIA, 'intel_car-detection.mp4'), { fps: 2 });
    const ts: number[] = [];
    for await (const { t, frame } of src) {
      expect([frame.width, frame.height, frame.data.length]).toEqual([640, 360, 640 * 360 * 3]);
      ts.push(t);
      if (ts.length === 4) break;
    }
    expect(ts).toEqual([0, 0.5, 1, 1.5]);
    src.close();
  });

  it('iterating a still image yields exactly one frame', async () => {
    const frames = [];
    for await (const f of new FfmpegFrameSource(resolve(MEDIA, 'trancos_jam_cam1_000042.jpg'))) frames.push(f);
    expect(frames).toHaveLength(1);
    expect(frames[0].frame.width).toBe(640);
  });

  it('iterating a file that is not media fails with VISION_DECODE_FAILED carrying ffmpeg stderr', async () => {
    const src = new FfmpegFrameSource(resolve(MEDIA, 'vn_dense_8004.xml'));
    await expect((async () => { for await (const _ of src) void _; })()).rejects.toMatchObject({ code: 'VISION_DECODE_FAILED' });
  });
});
