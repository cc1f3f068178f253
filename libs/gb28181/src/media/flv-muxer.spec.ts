import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLV_TAG_AUDIO, FlvMuxer, avcDecoderConfig } from './flv-muxer';
import { GATEWAY_AAC_CONFIG, aacSilentFrame } from './aac.codec';
import { AnnexBAuSplitter, type SplitAccessUnit } from './annexb-au.splitter';
import { isH264Keyframe } from './nal';
import { MediaTimeline, TIMESTAMP_WRAP_90K } from './timestamps';

const SPS = Buffer.from('6742c01e95a0b0497cb8088000000300800000190478b175', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const sc = Buffer.from([0, 0, 0, 1]);

describe('FlvMuxer.videoTags()', () => {
  it('emits nothing before a keyframe with SPS and PPS, then the decoder configuration before the first frame', () => {
    const m = new FlvMuxer();
    expect(m.videoTags(Buffer.concat([sc, Buffer.from([0x41, 0x9a, 0x00])]), 0, 0, false)).toEqual([]);
    const idr = Buffer.concat([sc, SPS, sc, PPS, sc, Buffer.from([0x65, 0x88, 0x84, 0x21])]);
    const tags = m.videoTags(idr, 3600, 3600, true);
    expect(tags).toHaveLength(2);
    expect(tags[0]![0]).toBe(9);
    expect(tags[0]![11]).toBe(0x17);
    expect(tags[0]![12]).toBe(0);
    expect(tags[1]![11]).toBe(0x17);
    expect(tags[1]![12]).toBe(1);
    // one NAL with a 4-byte length: 4 bytes of IDR payload
    expect(tags[1]!.readUInt32BE(16)).toBe(4);
    // PreviousTagSize = 11 + data size
    const t = tags[1]!;
    expect(t.readUInt32BE(t.length - 4)).toBe(t.length - 4);
  });

  it('times tags in ms from the first frame and writes the composition offset', () => {
    const m = new FlvMuxer();
    const idr = Buffer.concat([sc, SPS, sc, PPS, sc, Buffer.from([0x65, 0x88])]);
    m.videoTags(idr, 90_000, 90_000, true);
    const [p] = m.videoTags(Buffer.concat([sc, Buffer.from([0x41, 0x9a])]), 90_000 + 7200, 90_000 + 3600, false);
    expect(p!.readUIntBE(4, 3)).toBe(40);
    expect(p![11]).toBe(0x27);
    expect(p!.readIntBE(13, 3)).toBe(40);
  });

  it('a camera whose PTS crosses 2^33, through MediaTimeline: tag times start at 0 and rise 40 ms a frame across the wrap (never stuck at 0)', () => {
    const m = new FlvMuxer();
    const t = new MediaTimeline();
    const idr = Buffer.concat([sc, SPS, sc, PPS, sc, Buffer.from([0x65, 0x88])]);
    const p = Buffer.concat([sc, Buffer.from([0x41, 0x9a])]);
    const start = TIMESTAMP_WRAP_90K - 10 * 3600; // 0.4 s before the wrap
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const rawPts = (start + i * 3600) % TIMESTAMP_WRAP_90K;
      const s = t.stamp(rawPts);
      const tags = m.videoTags(i % 25 === 0 ? idr : p, s.pts, s.dts, i % 25 === 0);
      const frameTag = tags.at(-1)!;
      times.push(frameTag.readUIntBE(4, 3) + frameTag[7]! * 0x1000000);
    }
    expect(times).toEqual(Array.from({ length: 30 }, (_, i) => i * 40));
  });

  it('a camera encoder restart (PTS jumps back to 0), through MediaTimeline: tag times keep rising 40 ms a frame', () => {
    const m = new FlvMuxer();
    const t = new MediaTimeline();
    const idr = Buffer.concat([sc, SPS, sc, PPS, sc, Buffer.from([0x65, 0x88])]);
    const p = Buffer.concat([sc, Buffer.from([0x41, 0x9a])]);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = t.stamp(i < 10 ? 7_000_000 + i * 3600 : (i - 10) * 3600);
      const tag = m.videoTags(i % 10 === 0 ? idr : p, s.pts, s.dts, i % 10 === 0).at(-1)!;
      times.push(tag.readUIntBE(4, 3) + tag[7]! * 0x1000000);
    }
    expect(times).toEqual(Array.from({ length: 20 }, (_, i) => i * 40));
  });

  it('timeline times past 2^24 ms use the extended byte; a DTS that goes back keeps the previous tag time', () => {
    const m = new FlvMuxer();
    const idr = Buffer.concat([sc, SPS, sc, PPS, sc, Buffer.from([0x65, 0x88])]);
    const p = Buffer.concat([sc, Buffer.from([0x41, 0x9a])]);
    m.videoTags(idr, 0, 0, true);
    const late = 27 * 3600 * 90_000; // 27 h: past the 33-bit wrap and past 2^24 ms
    const [a] = m.videoTags(p, late, late, false);
    expect(a!.readUIntBE(4, 3) + a![7]! * 0x1000000).toBe(27 * 3600 * 1000);
    expect(a![7]).toBe(Math.floor((27 * 3600 * 1000) / 0x1000000));
    const [b] = m.videoTags(p, late - 90_000, late - 90_000, false);
    expect(b!.readUIntBE(4, 3) + b![7]! * 0x1000000).toBe(27 * 3600 * 1000);
  });

  it('avcDecoderConfig() carries profile, compatibility and level from the SPS', () => {
    const c = avcDecoderConfig(SPS, PPS);
    expect([...c.subarray(0, 6)]).toEqual([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1]);
    expect(c.readUInt16BE(6)).toBe(SPS.length);
  });

  it('an ffmpeg-encoded H.264 stream muxed to FLV is decoded by ffprobe frame for frame', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flvmux-'));
    try {
      if (!existsSync('/usr/bin/ffmpeg') && !process.env.FFMPEG_PATH) throw new Error('ffmpeg not found: install Debian package ffmpeg');
      const ff = process.env.FFMPEG_PATH ?? 'ffmpeg';
      const es = execFileSync(ff, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '2', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'h264', 'pipe:1'], { maxBuffer: 64 << 20 });
      const split = new AnnexBAuSplitter('h264', 8 << 20);
      const units: SplitAccessUnit[] = [];
      split.push(es, undefined, undefined, units);
      split.push(Buffer.concat([sc, Buffer.from([0x09, 0xf0])]), undefined, undefined, units); // an AUD ends the last unit
      const aus = units.map((u) => u.data);
      const m = new FlvMuxer();
      const parts = [FlvMuxer.header()];
      aus.forEach((au, i) => parts.push(...m.videoTags(au, i * 3600, i * 3600, isH264Keyframe(au))));
      const file = join(dir, 'out.flv');
      writeFileSync(file, Buffer.concat(parts));
      const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'csv=p=0', file]).toString().trim();
      expect(out).toBe('h264,320,240,50');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('FlvMuxer.audioTags()', () => {
  const idr = Buffer.concat([sc, SPS, sc, PPS, sc, Buffer.from([0x65, 0x88, 0x84, 0x21])]);
  const raw = aacSilentFrame(1);
  const time = (t: Buffer) => t.readUIntBE(4, 3) + t[7]! * 0x1000000;

  it('the file header announces audio (flags 0x05) when asked, video only (0x01) otherwise', () => {
    expect(FlvMuxer.header({ audio: true })[4]).toBe(0x05);
    expect(FlvMuxer.header()[4]).toBe(0x01);
  });

  it('audio that starts after the video: the AAC sequence header (AudioSpecificConfig 0x14 0x08) comes with the first frame, then raw frames, timed from the first video frame', () => {
    const m = new FlvMuxer();
    expect(m.audioTags(raw, GATEWAY_AAC_CONFIG, 90_000)).toEqual([]); // before any video: nothing
    m.videoTags(idr, 90_000, 90_000, true);
    const late = 90_000 + 3 * 90_000; // 3 s after the video started
    const [seq, frame] = m.audioTags(raw, GATEWAY_AAC_CONFIG, late);
    expect(seq![0]).toBe(FLV_TAG_AUDIO);
    expect([...seq!.subarray(11, 15)]).toEqual([0xaf, 0x00, 0x14, 0x08]);
    expect(time(seq!)).toBe(3000);
    expect([...frame!.subarray(11, 13)]).toEqual([0xaf, 0x01]);
    expect(frame!.subarray(13, 13 + raw.length)).toEqual(raw);
    expect(frame!.readUIntBE(1, 3)).toBe(2 + raw.length);
    expect(frame!.readUInt32BE(frame!.length - 4)).toBe(frame!.length - 4);
    expect(time(frame!)).toBe(3000);
    const [next] = m.audioTags(raw, GATEWAY_AAC_CONFIG, late + 5760);
    expect(time(next!)).toBe(3064);
    expect(next![12]).toBe(1); // no second sequence header while the config stays
  });

  it('a changed configuration sends a new sequence header; audio before the video start is dropped and tag times never go back', () => {
    const m = new FlvMuxer();
    m.videoTags(idr, 90_000, 90_000, true);
    expect(m.audioTags(raw, GATEWAY_AAC_CONFIG, 80_000)).toEqual([]);
    m.audioTags(raw, GATEWAY_AAC_CONFIG, 180_000);
    const tags = m.audioTags(aacSilentFrame(2), { objectType: 2, rateIndex: 3, channels: 2 }, 170_000);
    expect(tags).toHaveLength(2);
    expect([...tags[0]!.subarray(13, 15)]).toEqual([0x11, 0x90]);
    expect(time(tags[1]!)).toBe(1000);
  });
});

