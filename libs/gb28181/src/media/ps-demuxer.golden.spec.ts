// Golden tests against a peer we did not write: ffmpeg makes the PS at test time, ffprobe judges our output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REAL_CAMERA_PS } from '../../../../test/fixtures/media/media-fixtures';
import { PsDemuxer, type PsAccessUnit } from './ps-demuxer';
import { packetizePs, PsMuxer } from './ps-muxer';

const FFMPEG = '/usr/bin/ffmpeg';
const FFPROBE = '/usr/bin/ffprobe';
let dir = '';

function requireTools(): void {
  for (const t of [FFMPEG, FFPROBE]) {
    if (!existsSync(t)) throw new Error(`${t} is missing: install ffmpeg (apt-get install ffmpeg) to run the PS golden tests`);
  }
}

function ffmpeg(args: string[]): void {
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Frames ffprobe decodes from an Annex B file, and its size. */
function probe(file: string, format: 'h264' | 'hevc'): { frames: number; width: number; height: number } {
  const json = execFileSync(FFPROBE, ['-v', 'error', '-f', format, '-count_frames', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', file], { encoding: 'utf8' });
  const s = (JSON.parse(json) as { streams: { nb_read_frames: string; width: number; height: number }[] }).streams[0];
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height };
}

function demuxFile(buf: Buffer, payload = 1400): { units: PsAccessUnit[]; d: PsDemuxer } {
  const d = new PsDemuxer();
  const units = [...packetizePs(buf, payload).flatMap((c) => d.push(c)), ...d.flush()];
  return { units, d };
}

function expectMonotonicPts(units: PsAccessUnit[]): void {
  const pts = units.map((u) => u.pts).filter((p): p is number => p !== undefined);
  expect(pts.length).toBeGreaterThan(units.length / 2);
  for (let i = 1; i < pts.length; i++) expect(pts[i]).toBeGreaterThan(pts[i - 1]);
}

beforeAll(() => {
  requireTools();
  dir = mkdtempSync(join(tmpdir(), 'ps-golden-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PsDemuxer golden tests', () => {
  const src = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '2'];
  const cases: [string, string[], 'h264' | 'h265'][] = [
    ['ffmpeg -f vob (MPEG-2 PS, H.264 on 0xE2, no PSM)', [...src, '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'vob'], 'h264'],
    ['ffmpeg -f mpeg (MPEG-1 system stream, H.264)', [...src, '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'mpeg'], 'h264'],
    ['ffmpeg -f vob (MPEG-2 PS, H.265, no PSM)', [...src, '-c:v', 'libx265', '-x265-params', 'log-level=error:keyint=25:bframes=0', '-f', 'vob'], 'h265'],
  ];
  it.each(cases)('demux of %s gives 50 frames, a keyframe each second, monotonic PTS, and Annex B that ffprobe decodes', (_name, args, codec) => {
    const file = join(dir, `${codec}-${args.at(-1)}.ps`);
    ffmpeg([...args, file]);
    const { units, d } = demuxFile(readFileSync(file));
    expect(units).toHaveLength(50);
    expect(units.map((u, i) => (u.keyframe ? i : -1)).filter((i) => i >= 0)).toEqual([0, 25]);
    expect(units.every((u) => u.kind === 'video' && u.codec === codec)).toBe(true);
    expectMonotonicPts(units);
    expect(d.streams[0]).toMatchObject({ codec, source: 'guess', width: 320, height: 240 });
    const es = join(dir, `${codec}-${args.at(-1)}.es`);
    writeFileSync(es, Buffer.concat(units.map((u) => u.data)));
    expect(probe(es, codec === 'h264' ? 'h264' : 'hevc')).toEqual({ frames: 50, width: 320, height: 240 });
  });

  it('PsMuxer output of an ffmpeg-made H.265 stream at 2 Mb/s is read back by ffprobe as PS and by PsDemuxer frame for frame', () => {
    const hevc = join(dir, 'in.hevc');
    ffmpeg([...src, '-c:v', 'libx265', '-b:v', '2M', '-x265-params', 'log-level=error:keyint=25:bframes=0', '-f', 'hevc', hevc]);
    // Frame boundaries come from ffprobe, not from our own splitter.
    const packets = JSON.parse(
      execFileSync(FFPROBE, ['-v', 'error', '-show_packets', '-show_entries', 'packet=pos,size,flags', '-of', 'json', hevc], { encoding: 'utf8' }),
    ).packets as { pos: string; size: string; flags: string }[];
    const es = readFileSync(hevc);
    const m = new PsMuxer({ video: 'h265' });
    const ps = Buffer.concat(packets.map((p, i) => m.muxVideo(es.subarray(Number(p.pos), Number(p.pos) + Number(p.size)), i * 3600, p.flags.startsWith('K'))));
    const psFile = join(dir, 'muxed.ps');
    writeFileSync(psFile, ps);
    const info = execFileSync(FFPROBE, ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'csv=p=0', psFile], { encoding: 'utf8' });
    expect(info.trim()).toBe('hevc,50');
    const { units } = demuxFile(ps);
    expect(units).toHaveLength(50);
    expect(units.filter((u) => u.keyframe)).toHaveLength(2);
  });

  it('demux of the real camera recording (starts mid-frame) gives H.264 1920x1080 from the PSM, 650 frames from the first keyframe, decodable by ffprobe', () => {
    const { units, d } = demuxFile(readFileSync(REAL_CAMERA_PS));
    expect(d.streams).toEqual([{ streamId: 0xe0, kind: 'video', codec: 'h264', streamType: 0x1b, source: 'psm', width: 1920, height: 1080 }]);
    expect(units[0].keyframe).toBe(true);
    expect(units).toHaveLength(650);
    expect(units.filter((u) => u.keyframe)).toHaveLength(8);
    expectMonotonicPts(units);
    expect(d.stats.garbageBytes).toBe(1651); // the partial frame before the first pack header
    const es = join(dir, 'cam.h264');
    writeFileSync(es, Buffer.concat(units.map((u) => u.data)));
    expect(probe(es, 'h264')).toEqual({ frames: 650, width: 1920, height: 1080 });
  });
});
