import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnexBAuSplitter, TIMESTAMP_WRAP_90K, isH264Keyframe, type PsAccessUnit, type SplitAccessUnit } from '@gb/gb28181';
import { HlsStore } from './hls-store';
import { InternalHlsRemuxer } from './internal-hls-remuxer';

let root: string;
let units: PsAccessUnit[] = [];
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** 8 s of ffmpeg-encoded H.264 at 25 fps, one keyframe a second, as the demuxer hands them over. */
beforeAll(() => {
  if (!existsSync('/usr/bin/ffmpeg') && !process.env.FFMPEG_PATH) throw new Error('ffmpeg not found: install Debian package ffmpeg');
  const es = execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '8', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'h264', 'pipe:1'], { maxBuffer: 64 << 20 });
  const split = new AnnexBAuSplitter('h264', 8 << 20);
  const out: SplitAccessUnit[] = [];
  split.push(es, undefined, undefined, out);
  split.push(Buffer.from([0, 0, 0, 1, 0x09, 0xf0]), undefined, undefined, out);
  units = out.map((u, i) => ({ kind: 'video', codec: 'h264', pts: 90_000 + i * 3600, keyframe: isH264Keyframe(u.data), data: u.data }) as PsAccessUnit);
}, 30_000);

function newDir(): string {
  root = mkdtempSync(join(tmpdir(), 'inthls-'));
  return join(root, 'stream1');
}

function probe(file: string): string {
  const j = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file], { timeout: 20_000 }).toString()) as { streams: Record<string, unknown>[] };
  const s = j.streams[0]!;
  return [s.codec_name, s.width, s.height, s.nb_read_frames].join(',');
}

describe('InternalHlsRemuxer', () => {
  it('8 s of H.264 with hlsListSize 3: the announced playlist lists the last 3 finished segments, older ones are deleted, each plays as 25 frames of 320x240', async () => {
    const dir = newDir();
    const r = new InternalHlsRemuxer({ hlsDir: dir, hlsTime: 1, hlsListSize: 3 });
    for (const u of units) r.write(u);
    await r.idle();
    const playlist = r.hls.playlist!;
    expect(playlist).toMatch(/#EXT-X-MEDIA-SEQUENCE:4\n/);
    const listed = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(listed).toEqual(['seg_00004.ts', 'seg_00005.ts', 'seg_00006.ts']);
    // the segment being written (7) is still in memory (under INTERNAL_HLS_FLUSH_BYTES); no temp files, no playlist file
    expect(readdirSync(dir).sort()).toEqual(listed);
    for (const f of listed) expect(probe(join(dir, f))).toBe('h264,320,240,25');
    // the newest segments are also in memory, byte for byte the files
    expect(r.hls.segmentNames).toEqual(listed);
    for (const f of listed) expect(r.hls.segment(f)!.equals(readFileSync(join(dir, f)))).toBe(true);
    expect(r.stderrTail).toBe('');
  });

  it('announces each playlist on its store once the segments it names are readable: the first after the first finished segment', async () => {
    const dir = newDir();
    const store = new HlsStore();
    const r = new InternalHlsRemuxer({ hlsDir: dir, hlsTime: 1, store });
    const waiting = store.whenPlaylist(10_000);
    const seen: string[] = [];
    store.on('playlist', (p) => seen.push(p.split('\n').filter((l) => l && !l.startsWith('#')).at(-1)!));
    for (const u of units.slice(0, 51)) r.write(u); // keyframes at 0, 25, 50: two segments finished
    const first = await waiting;
    expect(first).toMatch(/#EXTINF:1\.000,\nseg_00000\.ts\n$/);
    await r.idle();
    expect(seen).toEqual(['seg_00000.ts', 'seg_00001.ts']);
    expect(readdirSync(dir).filter((f) => f.endsWith('.ts')).sort()).toEqual(['seg_00000.ts', 'seg_00001.ts']);
  });

  it('a camera whose PTS wraps past 2^33 inside the stream: segments keep 1 s durations and ffprobe reads the playlist as one run of frames', async () => {
    const dir = newDir();
    const r = new InternalHlsRemuxer({ hlsDir: dir, hlsTime: 1, hlsListSize: 10 });
    const start = TIMESTAMP_WRAP_90K - 3 * 90_000; // wraps after 3 s
    for (const [i, u] of units.entries()) r.write({ ...u, pts: (start + i * 3600) % TIMESTAMP_WRAP_90K });
    await r.idle();
    const playlist = r.hls.playlist!;
    expect(playlist.match(/#EXTINF:([\d.]+),/g)).toEqual(Array(7).fill('#EXTINF:1.000,'));
    const listed = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
    writeFileSync(join(dir, 'all.m3u8'), playlist + '#EXT-X-ENDLIST\n');
    expect(probe(join(dir, 'all.m3u8'))).toBe(`h264,320,240,${listed.length * 25}`);
  });

  it('a camera encoder restart (PTS back to 0 at a keyframe, 3 s in): segments keep 1 s durations and the playlist plays as one run of frames', async () => {
    const dir = newDir();
    const r = new InternalHlsRemuxer({ hlsDir: dir, hlsTime: 1, hlsListSize: 10 });
    for (const [i, u] of units.entries()) r.write({ ...u, pts: i < 75 ? 500_000_000 + i * 3600 : (i - 75) * 3600 });
    await r.idle();
    const playlist = r.hls.playlist!;
    expect(playlist.match(/#EXTINF:([\d.]+),/g)).toEqual(Array(7).fill('#EXTINF:1.000,'));
    const listed = playlist.split('\n').filter((l) => l && !l.startsWith('#'));
    writeFileSync(join(dir, 'all.m3u8'), playlist + '#EXT-X-ENDLIST\n');
    expect(probe(join(dir, 'all.m3u8'))).toBe(`h264,320,240,${listed.length * 25}`);
  });

  it('frames before the first keyframe and audio units are left out; segments start at the keyframe', async () => {
    const dir = newDir();
    const r = new InternalHlsRemuxer({ hlsDir: dir, hlsListSize: 6 });
    r.write({ kind: 'audio', codec: 'g711a', pts: 0, keyframe: false, data: Buffer.alloc(160, 0xd5) } as PsAccessUnit);
    for (const u of units.slice(10, 60)) r.write(u); // starts mid-GOP: frames 10..24 have no keyframe before them
    await r.idle();
    const listed = r.hls.playlist!.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(listed).toEqual(['seg_00000.ts']);
    expect(probe(join(dir, 'seg_00000.ts'))).toBe('h264,320,240,25');
  });

  it('writes large segments in several appends and the result is still whole: a 2 s target over 64 KiB frames', async () => {
    const dir = newDir();
    const r = new InternalHlsRemuxer({ hlsDir: dir, hlsTime: 2 });
    const big = units.map((u) => ({ ...u, data: Buffer.concat([u.data, Buffer.from([0, 0, 0, 1, 0x0c]), Buffer.alloc(64 * 1024, 0xff)]) }));
    for (const u of big.slice(0, 40)) r.write(u); // filler NAL units (type 12) pad each frame
    await r.idle();
    // past INTERNAL_HLS_FLUSH_BYTES the unfinished segment is appended to its temp file, never under its final name
    expect(readdirSync(dir)).toEqual(['seg_00000.ts.tmp']);
    for (const u of big.slice(40, 51)) r.write(u);
    await r.idle();
    expect(probe(join(dir, 'seg_00000.ts'))).toBe('h264,320,240,50');
  });

  it('close() removes the directory, empties the store and is safe twice; writes after close are ignored', async () => {
    const dir = newDir();
    const r = new InternalHlsRemuxer({ hlsDir: dir });
    for (const u of units.slice(0, 30)) r.write(u);
    await r.close();
    await r.close();
    r.write(units[50]!);
    expect(existsSync(dir)).toBe(false);
    expect([r.hls.playlist, r.hls.memoryBytes]).toEqual([null, 0]);
  });

  it('a directory that disappears under it: emits exit(1) once and says why in stderrTail', async () => {
    const dir = newDir();
    const r = new InternalHlsRemuxer({ hlsDir: dir });
    const exits: (number | null)[] = [];
    r.on('exit', (code) => exits.push(code));
    await r.idle(); // the directory is made asynchronously
    rmSync(dir, { recursive: true, force: true });
    for (const u of units.slice(0, 80)) r.write(u);
    await r.idle();
    expect(exits).toEqual([1]);
    expect(r.stderrTail).toMatch(/HLS write failed: .*ENOENT/);
  });
});
