import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gb28181Error } from '../errors';
import { AnnexBAuSplitter, type SplitAccessUnit } from './annexb-au.splitter';
import { HlsSegmenter } from './hls-segmenter';
import { h265NalType, isH264Keyframe, splitAnnexB } from './nal';
import { fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { mpegCrc32, readPesTimestamp } from './ps-stream-types';
import { MediaTimeline, TIMESTAMP_WRAP_90K } from './timestamps';
import { TS_MAX_AU_BYTES, TS_PACKET_SIZE, TS_PCR_DELAY_90K, TS_PID_AUDIO, TS_PID_PMT, TS_PID_VIDEO, TS_STREAM_TYPE_H265, TS_TIMESTAMP_WRAP, TsMuxer, readPcrBase, writePcr } from './ts-muxer';

const SPS = Buffer.from('6742c01e95a0b0497cb8088000000300800000190478b175', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const sc = Buffer.from([0, 0, 0, 1]);
const AUD = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);

interface Packet {
  pid: number;
  pusi: boolean;
  cc: number;
  afLength: number | null;
  randomAccess: boolean;
  pcr: number | null;
  payload: Buffer;
}

/** Reads 188-byte packets back (ISO/IEC 13818-1 §2.4.3.2), checking the layout as it goes. */
function parsePackets(ts: Buffer): Packet[] {
  expect(ts.length % TS_PACKET_SIZE).toBe(0);
  const out: Packet[] = [];
  for (let o = 0; o < ts.length; o += TS_PACKET_SIZE) {
    const p = ts.subarray(o, o + TS_PACKET_SIZE);
    expect(p[0]).toBe(0x47);
    const afc = (p[3]! >> 4) & 3;
    let w = 4;
    let afLength: number | null = null;
    let randomAccess = false;
    let pcr: number | null = null;
    if (afc & 2) {
      afLength = p[4]!;
      if (afLength > 0) {
        randomAccess = (p[5]! & 0x40) !== 0;
        if (p[5]! & 0x10) pcr = readPcrBase(p, 6);
      }
      w = 5 + afLength;
    }
    out.push({ pid: ((p[1]! & 0x1f) << 8) | p[2]!, pusi: (p[1]! & 0x40) !== 0, cc: p[3]! & 0x0f, afLength, randomAccess, pcr, payload: afc & 1 ? p.subarray(w) : Buffer.alloc(0) });
  }
  return out;
}

function frame(len: number, type = 0x41): Buffer {
  const body = Buffer.alloc(Math.max(1, len), 0xab);
  body[0] = type;
  return Buffer.concat([sc, body]);
}

describe('TsMuxer.tables()', () => {
  it('without audio: a PAT pointing program 1 at PID 0x1000 and a PMT with H.264 (0x1B) on PID 0x100 carrying the PCR, both CRC-valid', () => {
    const [pat, pmt] = parsePackets(new TsMuxer().tables());
    expect([pat!.pid, pat!.pusi, pat!.cc]).toEqual([0, true, 0]);
    const patSec = pat!.payload.subarray(1); // after pointer_field 0
    const patLen = patSec.readUInt16BE(1) & 0x0fff;
    expect(patSec[0]).toBe(0x00);
    expect(patSec.readUInt16BE(8)).toBe(1); // program_number
    expect(patSec.readUInt16BE(10) & 0x1fff).toBe(TS_PID_PMT);
    // CRC over the section including its CRC is 0 for the MPEG CRC-32
    expect(mpegCrc32(patSec.subarray(0, 3 + patLen))).toBe(0);
    expect(patSec.subarray(3 + patLen).every((b) => b === 0xff)).toBe(true);

    expect(pmt!.pid).toBe(TS_PID_PMT);
    const pmtSec = pmt!.payload.subarray(1);
    const pmtLen = pmtSec.readUInt16BE(1) & 0x0fff;
    expect(pmtSec[0]).toBe(0x02);
    expect(pmtSec.readUInt16BE(8) & 0x1fff).toBe(TS_PID_VIDEO); // PCR_PID
    expect([pmtSec[12], pmtSec.readUInt16BE(13) & 0x1fff]).toEqual([0x1b, TS_PID_VIDEO]);
    expect(pmtLen).toBe(9 + 4 + 5); // header rest + CRC + one stream
    expect(mpegCrc32(pmtSec.subarray(0, 3 + pmtLen))).toBe(0);
  });

  it('with audio aac: the PMT lists AAC (0x0F) on PID 0x101 after the video', () => {
    const [, pmt] = parsePackets(new TsMuxer({ audio: 'aac' }).tables());
    const sec = pmt!.payload.subarray(1);
    const len = sec.readUInt16BE(1) & 0x0fff;
    expect([sec[17], sec.readUInt16BE(18) & 0x1fff]).toEqual([0x0f, TS_PID_AUDIO]);
    expect(mpegCrc32(sec.subarray(0, 3 + len))).toBe(0);
  });

  it('called 17 times: each table PID counts its continuity counter 0..15 then wraps to 0', () => {
    const m = new TsMuxer();
    const ccs = Array.from({ length: 17 }, () => parsePackets(m.tables()).map((p) => p.cc));
    expect(ccs.map((c) => c[0])).toEqual([...Array.from({ length: 16 }, (_, i) => i), 0]);
    expect(ccs.map((c) => c[1])).toEqual([...Array.from({ length: 16 }, (_, i) => i), 0]);
  });
});

describe('TsMuxer.muxVideo()', () => {
  // Sizes around the packet boundaries: first packet holds 184 - 8 (PCR field) - 14/19 (PES header) bytes.
  it.each([1, 100, 150, 151, 152, 157, 158, 170, 176, 177, 330, 336, 337, 338, 1000, 70_000])(
    'a %i-byte frame reassembles from its packets to PES header + AUD + frame, in 188-byte packets with stuffing only in the adaptation field',
    (len) => {
      const au = frame(len);
      const ts = new TsMuxer().muxVideo(au, 90_000, 90_000, false);
      const pk = parsePackets(ts);
      expect(pk.every((p) => p.pid === TS_PID_VIDEO)).toBe(true);
      expect(pk.map((p) => p.pusi)).toEqual(pk.map((_, i) => i === 0));
      expect(pk.map((p) => p.cc)).toEqual(pk.map((_, i) => i % 16));
      const pes = Buffer.concat(pk.map((p) => p.payload));
      expect(pes.subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0xe0]));
      expect(pes.readUInt16BE(4)).toBe(0);
      expect(pes[7]).toBe(0x80); // PTS only when DTS == PTS
      expect(pes.subarray(9 + pes[8]!)).toEqual(Buffer.concat([AUD, au]));
      // only the last packet (and the PCR-carrying first) may have an adaptation field
      pk.slice(1, -1).forEach((p) => expect(p.afLength).toBeNull());
    },
  );

  it('a keyframe with PTS != DTS: PTS (prefix 0011) and DTS (0001) decode back, the first packet has the PCR = DTS - delay and random_access_indicator', () => {
    const au = Buffer.concat([sc, SPS, sc, PPS, sc, Buffer.from([0x65, 0x88, 0x84]), Buffer.alloc(400, 0x11)]);
    const pts = 123_456_789;
    const dts = 123_450_000;
    const pk = parsePackets(new TsMuxer().muxVideo(au, pts, dts, true));
    expect(pk[0]!.afLength).toBe(7);
    expect(pk[0]!.randomAccess).toBe(true);
    expect(pk[0]!.pcr).toBe(dts - TS_PCR_DELAY_90K);
    const pes = Buffer.concat(pk.map((p) => p.payload));
    expect([pes[6], pes[7], pes[8]]).toEqual([0x84, 0xc0, 10]);
    expect(pes[9]! >> 4).toBe(0b0011);
    expect(pes[14]! >> 4).toBe(0b0001);
    expect(readPesTimestamp(pes, 9)).toBe(pts);
    expect(readPesTimestamp(pes, 14)).toBe(dts);
  });

  it('a non-key frame: PCR present, random_access_indicator clear', () => {
    const [first] = parsePackets(new TsMuxer().muxVideo(frame(50), 90_000, 90_000, false));
    expect(first!.pcr).toBe(90_000 - TS_PCR_DELAY_90K);
    expect(first!.randomAccess).toBe(false);
  });

  it('timestamps past 2^33 or negative wrap modulo 2^33 in PTS and PCR', () => {
    const pes = (ts: Buffer) => Buffer.concat(parsePackets(ts).map((p) => p.payload));
    expect(readPesTimestamp(pes(new TsMuxer().muxVideo(frame(10), TS_TIMESTAMP_WRAP + 5, TS_TIMESTAMP_WRAP + 5, false)), 9)).toBe(5);
    expect(readPesTimestamp(pes(new TsMuxer().muxVideo(frame(10), -1, -1, false)), 9)).toBe(TS_TIMESTAMP_WRAP - 1);
    const [first] = parsePackets(new TsMuxer().muxVideo(frame(10), 100, 100, false));
    expect(first!.pcr).toBe(TS_TIMESTAMP_WRAP + 100 - TS_PCR_DELAY_90K);
  });

  it('a camera whose PTS/DTS cross 2^33, through MediaTimeline (origin 1 s): PES PTS, DTS and PCR rise one frame (3600) at a time, with no wrap', () => {
    const t = new MediaTimeline({ origin90k: 90_000 });
    const m = new TsMuxer();
    const start = TIMESTAMP_WRAP_90K - 5 * 3600;
    const got: { pts: number; dts: number; pcr: number }[] = [];
    for (let i = 0; i < 12; i++) {
      const dts = (start + i * 3600) % TIMESTAMP_WRAP_90K;
      const s = t.stamp((dts + 7200) % TIMESTAMP_WRAP_90K, dts);
      const pk = parsePackets(m.muxVideo(frame(300), s.pts, s.dts, i === 0));
      const pes = Buffer.concat(pk.map((p) => p.payload));
      got.push({ pts: readPesTimestamp(pes, 9), dts: readPesTimestamp(pes, 14), pcr: pk[0]!.pcr! });
    }
    expect(got.map((g) => g.dts)).toEqual(Array.from({ length: 12 }, (_, i) => 90_000 + i * 3600));
    expect(got.map((g) => g.pts)).toEqual(got.map((g) => g.dts + 7200));
    expect(got.map((g) => g.pcr)).toEqual(got.map((g) => g.dts - TS_PCR_DELAY_90K));
  });

  it('writePcr()/readPcrBase() round-trip the 33-bit base, with the 6 reserved bits set', () => {
    for (const v of [0, 1, 2, 0xffffffff, 0x100000000, TS_TIMESTAMP_WRAP - 1]) {
      const b = Buffer.alloc(6);
      writePcr(b, 0, v);
      expect(readPcrBase(b, 0)).toBe(v);
      expect(b[4]! & 0x7e).toBe(0x7e);
    }
  });

  it('an access unit that starts with an AUD gets no second one', () => {
    const au = Buffer.concat([AUD, frame(20)]);
    const pes = Buffer.concat(parsePackets(new TsMuxer().muxVideo(au, 0, 0, false)).map((p) => p.payload));
    expect(pes.subarray(14)).toEqual(au);
  });

  it('a keyframe without SPS/PPS after one with them gets the last SPS and PPS inserted after the AUD', () => {
    const m = new TsMuxer();
    m.muxVideo(Buffer.concat([sc, SPS, sc, PPS, sc, Buffer.from([0x65, 1])]), 0, 0, true);
    const idr = Buffer.concat([sc, Buffer.from([0x65, 2, 3])]);
    const pes = Buffer.concat(parsePackets(m.muxVideo(idr, 3600, 3600, true)).map((p) => p.payload));
    expect(pes.subarray(14)).toEqual(Buffer.concat([AUD, sc, SPS, sc, PPS, idr]));
  });

  it('video continuity counters run across frames and wrap after 15', () => {
    const m = new TsMuxer();
    const ccs = Array.from({ length: 20 }, () => parsePackets(m.muxVideo(frame(10), 0, 0, false))[0]!.cc);
    expect(ccs).toEqual(Array.from({ length: 20 }, (_, i) => i % 16));
  });

  it.each([
    [NaN, 'TS_BAD_TIMESTAMP'],
    [Infinity, 'TS_BAD_TIMESTAMP'],
  ])('a PTS of %s throws Gb28181Error %s', (pts, code) => {
    expect(() => new TsMuxer().muxVideo(frame(10), pts, 0, false)).toThrow(expect.objectContaining({ code }));
  });

  it('an access unit over TS_MAX_AU_BYTES throws TS_AU_TOO_LARGE', () => {
    expect(() => new TsMuxer().muxVideo(Buffer.alloc(TS_MAX_AU_BYTES + 1), 0, 0, false)).toThrow(expect.objectContaining({ code: 'TS_AU_TOO_LARGE' }));
  });
});

describe('TsMuxer.muxAudio()', () => {
  it('with audio aac: one PES with stream id 0xC0, PES_packet_length set and a PTS, on PID 0x101 without PCR', () => {
    const adts = Buffer.from([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const pk = parsePackets(new TsMuxer({ audio: 'aac' }).muxAudio(adts, 45_000));
    expect(pk).toHaveLength(1);
    expect(pk[0]!.pid).toBe(TS_PID_AUDIO);
    expect(pk[0]!.pcr).toBeNull();
    const pes = pk[0]!.payload;
    expect(pes.subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0xc0]));
    expect(pes.readUInt16BE(4)).toBe(8 + adts.length);
    expect(readPesTimestamp(pes, 9)).toBe(45_000);
    expect(pes.subarray(14)).toEqual(adts);
  });

  it('without an audio stream throws TS_NO_AUDIO_STREAM', () => {
    expect(() => new TsMuxer().muxAudio(Buffer.alloc(10), 0)).toThrow(expect.objectContaining({ code: 'TS_NO_AUDIO_STREAM' }));
  });
});

describe('TsMuxer fuzz', () => {
  it('random frame sizes, timestamps and flags: only Gb28181Error escapes and output is whole 188-byte packets with sync bytes (seed 1381801)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            bytes: fc.uint8Array({ maxLength: 3000 }),
            pts: fc.oneof(fc.double(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
            dts: fc.oneof(fc.double(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
            key: fc.boolean(),
            audio: fc.boolean(),
          }),
          { maxLength: 20 },
        ),
        (units) => {
          const m = new TsMuxer({ audio: 'aac' });
          for (const u of units) {
            try {
              const out = u.audio ? m.muxAudio(Buffer.from(u.bytes), u.pts) : m.muxVideo(Buffer.from(u.bytes), u.pts, u.dts, u.key);
              expect(out.length % TS_PACKET_SIZE).toBe(0);
              for (let o = 0; o < out.length; o += TS_PACKET_SIZE) expect(out[o]).toBe(0x47);
            } catch (e) {
              expect(e).toBeInstanceOf(Gb28181Error);
            }
          }
        },
      ),
      { seed: 1381801, numRuns: 300 },
    );
  });
});

describe('TsMuxer + HlsSegmenter golden', () => {
  it('ffmpeg-encoded 4 s H.264 (GOP 25) muxed to 1 s segments: ffprobe reads each as h264 320x240 with 25 frames, and the playlist as 75 frames', () => {
    if (!existsSync('/usr/bin/ffmpeg') && !process.env.FFMPEG_PATH) throw new Error('ffmpeg not found: install Debian package ffmpeg');
    const ff = process.env.FFMPEG_PATH ?? 'ffmpeg';
    const dir = mkdtempSync(join(tmpdir(), 'tsmux-'));
    try {
      const es = execFileSync(ff, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '4', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'h264', 'pipe:1'], { maxBuffer: 64 << 20 });
      const split = new AnnexBAuSplitter('h264', 8 << 20);
      const units: SplitAccessUnit[] = [];
      split.push(es, undefined, undefined, units);
      split.push(AUD, undefined, undefined, units); // an AUD ends the last unit
      expect(units).toHaveLength(100);
      const m = new TsMuxer();
      const seg = new HlsSegmenter({ targetDurationS: 1, windowSize: 6 });
      let current: Buffer[] = [];
      const written: string[] = [];
      units.forEach((u, i) => {
        const pts = 900_000 + i * 3600;
        const step = seg.push(pts, isH264Keyframe(u.data));
        if (!step.accept) return;
        if (step.closed) {
          writeFileSync(join(dir, step.closed.uri), Buffer.concat(current));
          written.push(step.closed.uri);
          current = [];
        }
        if (step.opened !== null) current.push(m.tables());
        current.push(m.muxVideo(u.data, pts, pts, isH264Keyframe(u.data)));
      });
      expect(written).toEqual(['seg_00000.ts', 'seg_00001.ts', 'seg_00002.ts']);
      const probe = (file: string) =>         {
          // a TS lists its streams once per program too: read the stream section only
          const j = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file], { timeout: 20_000 }).toString()) as { streams: Record<string, unknown>[] };
          const st = j.streams[0]!;
          return [st.codec_name, st.width, st.height, st.nb_read_frames].join(',');
        };
      for (const f of written) expect(probe(join(dir, f))).toBe('h264,320,240,25');
      const playlist = seg.playlist()!;
      expect(playlist).toContain('#EXTINF:1.000,\nseg_00000.ts');
      // ffprobe keeps polling a live playlist: close it as a finished event would be to read it to the end
      writeFileSync(join(dir, 'index.m3u8'), playlist + '#EXT-X-ENDLIST\n');
      expect(probe(join(dir, 'index.m3u8'))).toBe('h264,320,240,75');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('TsMuxer with video h265', () => {
  it('the PMT lists H.265 (0x24); each frame starts with an HEVC AUD; a keyframe without parameter sets gets the last VPS/SPS/PPS; ffprobe decodes hevc 200x120, 30 frames', () => {
    const frames = fixtureFrames('h265-200x120-30f');
    const m = new TsMuxer({ video: 'h265' });
    const tables = m.tables();
    expect(tables[TS_PACKET_SIZE + 5 + 12]).toBe(TS_STREAM_TYPE_H265);
    const out: Buffer[] = [tables];
    frames.forEach((f, i) => {
      // the second keyframe's parameter sets are left out: the muxer repeats the first one's
      const data = i > 0 && f.key ? stripParameterSets(f.data) : f.data;
      out.push(m.muxVideo(data, 90_000 + i * 3600, 90_000 + i * 3600, f.key));
    });
    const vps = splitAnnexB(frames[0]!.data).find((n) => h265NalType(n) === 32)!;
    const secondKey = frames.findIndex((f, i) => i > 0 && f.key);
    expect(stripParameterSets(frames[secondKey]!.data).includes(vps)).toBe(false);
    expect(out[secondKey + 1]!.includes(vps)).toBe(true);
    const firstPes = out[1]!;
    const payload = firstPes.subarray(4 + 1 + firstPes[4]!); // after the adaptation field (PCR)
    const pesHeaderLength = 9 + payload[8]!;
    expect([...payload.subarray(pesHeaderLength, pesHeaderLength + 7)]).toEqual([0, 0, 0, 1, 0x46, 0x01, 0x50]);
    const dir = mkdtempSync(join(tmpdir(), 'tsmux-h265-'));
    try {
      const file = join(dir, 'a.ts');
      writeFileSync(file, Buffer.concat(out));
      const j = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file], { timeout: 20_000 }).toString()) as { streams: Record<string, unknown>[] };
      const st = j.streams[0]!;
      expect([st.codec_name, st.width, st.height, st.nb_read_frames].join(',')).toBe('hevc,200,120,30');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The access unit without its VPS/SPS/PPS NAL units. */
function stripParameterSets(au: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (const n of splitAnnexB(au)) if (![32, 33, 34].includes(h265NalType(n))) parts.push(sc, n);
  return Buffer.concat(parts);
}
