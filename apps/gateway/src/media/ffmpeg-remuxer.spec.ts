import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnexBAuSplitter, TIMESTAMP_WRAP_90K, isH264Keyframe, type PsAccessUnit, type SplitAccessUnit } from '@gb/gb28181';
import { resolveFfmpeg } from '@gb/runtime';
import { FfmpegRemuxer } from './ffmpeg-remuxer';
import { HlsStore } from './hls-store';

let root: string;
let units: PsAccessUnit[] = [];
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** 6 s of H.264 at 25 fps, one keyframe a second, timed by a camera clock that passes 2^33 after 2 s. */
beforeAll(() => {
  const es = execFileSync(resolveFfmpeg(), ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '6', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'h264', 'pipe:1'], { maxBuffer: 64 << 20 });
  const split = new AnnexBAuSplitter('h264', 8 << 20);
  const out: SplitAccessUnit[] = [];
  split.push(es, undefined, undefined, out);
  split.push(Buffer.from([0, 0, 0, 1, 0x09, 0xf0]), undefined, undefined, out);
  const start = TIMESTAMP_WRAP_90K - 2 * 90_000;
  units = out.map((u, i) => ({ kind: 'video', codec: 'h264', pts: (start + i * 3600) % TIMESTAMP_WRAP_90K, keyframe: isH264Keyframe(u.data), data: u.data }) as PsAccessUnit);
}, 30_000);

describe('FfmpegRemuxer (live HLS)', () => {
  it('announces the playlist ffmpeg writes on its store, read asynchronously; across the camera PTS wrap every segment lasts 1 s', async () => {
    root = mkdtempSync(join(tmpdir(), 'ffremux-'));
    const store = new HlsStore();
    const r = new FfmpegRemuxer({ ffmpegPath: resolveFfmpeg(), video: 'h264', outputs: { hlsDir: join(root, 's'), store }, hlsListSize: 10 });
    const announced: string[] = [];
    store.on('playlist', (p) => announced.push(p));
    for (const u of units) r.write(u);
    const first = await store.whenPlaylist(15_000);
    expect(first).toMatch(/^#EXTM3U\n[\s\S]*#EXTINF:[\d.]+,\nseg_00000\.ts\n/);
    // ffmpeg keeps cutting while it reads; the last segment is written when its input ends (close)
    const deadline = Date.now() + 15_000;
    while (!/seg_00003\.ts/.test(store.playlist ?? '') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    const durations = [...store.playlist!.matchAll(/#EXTINF:([\d.]+),/g)].map((m) => Number(m[1]));
    expect(durations.length).toBeGreaterThanOrEqual(4); // 2 s before the wrap, 2 s after
    for (const d of durations) expect(d).toBeCloseTo(1, 1);
    expect(announced.at(-1)).toBe(store.playlist);
    expect(r.stderrTail).toBe('');
    await r.close();
    expect(existsSync(join(root, 's'))).toBe(false);
    // the store belongs to its owner (the media session): the remuxer does not close it
    expect(store.playlist).not.toBeNull();
  }, 40_000);

  it('close() before ffmpeg started (the directory is still being made) ends cleanly and is safe twice', async () => {
    root = mkdtempSync(join(tmpdir(), 'ffremux-'));
    const r = new FfmpegRemuxer({ ffmpegPath: resolveFfmpeg(), video: 'h264', outputs: { hlsDir: join(root, 's') } });
    r.write(units[0]!);
    await r.close();
    await r.close();
    expect(existsSync(join(root, 's'))).toBe(false);
    expect(r.hls.playlist).toBeNull();
  });
});
