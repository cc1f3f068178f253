import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { AnnexBAuSplitter, findResolution, type PsAccessUnit, type SplitAccessUnit } from '@gb/gb28181';
import { resolveFfmpeg } from '@gb/runtime';
import { H264Transcoder, TimestampQueue, h264TranscodeArgs } from './h264-transcoder';

describe('h264TranscodeArgs()', () => {
  it('Annex B H.265 in, libx264 ultrafast zerolatency 8-bit 4:2:0 out, frames passed through 1:1, no audio', () => {
    const a = h264TranscodeArgs().join(' ');
    expect(a).toContain('-f hevc -i pipe:0');
    expect(a).toContain('-c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p');
    expect(a).toContain('-fps_mode passthrough');
    expect(a).toContain('-an');
    expect(a).toMatch(/-f h264 pipe:1$/);
    expect(a).not.toContain('scale=');
  });
  it('a height cap scales down to at most that many lines (even), keeping the aspect ratio', () => {
    expect(h264TranscodeArgs({ maxHeight: 721 })).toContain("scale=-2:'min(ih,720)'");
    expect(h264TranscodeArgs({ gopFrames: 50 }).join(' ')).toContain('-g 50 -keyint_min 25');
  });
});

describe('TimestampQueue', () => {
  it('pairs frames in order; past its bound it drops the oldest and counts them', () => {
    const q = new TimestampQueue(2);
    q.push(1, 1);
    q.push(2, 2);
    q.push(3, 3);
    expect(q.overflow).toBe(1);
    expect(q.shift()).toEqual({ pts: 2, dts: 2 });
    expect(q.shift()).toEqual({ pts: 3, dts: 3 });
    expect(q.shift()).toEqual({ pts: undefined, dts: undefined });
  });
});

/** 20 frames of H.265 (libx265, 320x180, keyframe every 10), cut into access units. */
function h265Units(ffmpeg: string): SplitAccessUnit[] {
  const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-frames:v', '20', '-c:v', 'libx265',
    '-x265-params', 'keyint=10:min-keyint=10:scenecut=0:repeat-headers=1:bframes=0:log-level=error', '-f', 'hevc', 'pipe:1'], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`this test needs ffmpeg with libx265 (apt-get install ffmpeg): ${r.stderr.toString().slice(0, 300)}`);
  const out: SplitAccessUnit[] = [];
  const s = new AnnexBAuSplitter('h265', 8 << 20);
  s.push(r.stdout, undefined, undefined, out);
  s.endOfUnit(out);
  return out;
}

describe('H264Transcoder (real ffmpeg)', () => {
  it('20 H.265 frames (from a keyframe) in, then the end of input: 20 H.264 frames out at 320x180, keyframe first, each with its source frame\'s PTS, in order; at most 3 in flight while the input stays open', async () => {
    const ffmpeg = resolveFfmpeg(process.env);
    const units = h265Units(ffmpeg);
    expect(units.length).toBe(20);
    const t = new H264Transcoder({ ffmpegPath: ffmpeg });
    const got: PsAccessUnit[] = [];
    t.on('unit', (u) => got.push(u));
    const exited = new Promise((ok) => t.once('exit', ok));
    try {
      // a unit before the first keyframe is dropped (a viewer joining mid-GOP)
      t.write({ kind: 'video', codec: 'h265', streamId: 0xe0, pts: 1, keyframe: false, data: units[1]!.data });
      units.forEach((u, i) => t.write({ kind: 'video', codec: 'h265', streamId: 0xe0, pts: 90_000 + i * 3600, dts: 90_000 + i * 3600, keyframe: u.keyframe, data: u.data }));
      const deadline = Date.now() + 10_000;
      while (got.length < 17 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(got.length).toBeGreaterThanOrEqual(17);
      t.end();
      await exited;
      expect(t.framesDropped).toBe(1);
      expect(t.framesIn).toBe(20);
      expect(got.length).toBe(20);
      expect(got[0]!.keyframe).toBe(true);
      expect(findResolution(got[0]!.data, 'h264')).toMatchObject({ width: 320, height: 180 });
      expect(got.map((u) => u.pts)).toEqual(Array.from({ length: 20 }, (_, i) => 90_000 + i * 3600));
      expect(got.every((u) => u.codec === 'h264' && u.kind === 'video')).toBe(true);
    } finally {
      await t.close();
      await t.close(); // safe twice
    }
  }, 20_000);
});
