import { describe, it, expect, beforeAll, afterEach, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { AnnexBAuSplitter, H264_NAL, h264NalType, splitAnnexB, type PsAccessUnit, type SplitAccessUnit } from '@gb/gb28181';
import type { GatewayErrorCode } from '../common/gateway-error';
import { resolveFfmpeg } from '@gb/runtime';
import { FfmpegJpegFrameEncoder, type JpegFrameEncoder } from './jpeg-frame.encoder';
import { SnapshotService, type SnapshotStreams } from './snapshot.service';

const W = 320;
const H = 240;

/** Real H.264 access units (Annex B) from ffmpeg's test pattern: one IDR every 5 frames. */
function encodePattern(): SplitAccessUnit[] {
  const r = spawnSync(resolveFfmpeg(), [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=${W}x${H}:rate=25`, '-frames:v', '10',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '5', '-bf', '0', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', '-',
  ], { maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`this test needs ffmpeg with libx264 (apt-get install -y ffmpeg): ${r.stderr?.toString()}`);
  const out: SplitAccessUnit[] = [];
  const splitter = new AnnexBAuSplitter('h264', 4 * 1024 * 1024);
  splitter.push(r.stdout, undefined, undefined, out);
  splitter.endOfUnit(out);
  return out;
}

function unit(au: SplitAccessUnit, i: number): PsAccessUnit {
  return { kind: 'video', codec: 'h264', streamId: 0xe0, pts: i * 3600, keyframe: au.keyframe, data: au.data } as PsAccessUnit;
}

/** Drops SPS/PPS NAL units from an access unit (a camera that sends them once, before the first IDR only). */
function withoutParamSets(data: Buffer): Buffer {
  return Buffer.concat(splitAnnexB(data).filter((n) => h264NalType(n) !== H264_NAL.SPS && h264NalType(n) !== H264_NAL.PPS).flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));
}

class FakeLive implements SnapshotStreams {
  readonly media = new EventEmitter<{ accessUnit: [PsAccessUnit] }>();
  state = 'playing';
  error: string | null = null;
  errorCode: GatewayErrorCode | null = null;
  touches = 0;
  plays: string[] = [];
  hang = false;
  async play(deviceId: string, channelId: string) {
    this.plays.push(`${deviceId}/${channelId}`);
    if (this.hang) return new Promise<never>(() => undefined);
    return { streamId: `${deviceId}_${channelId}` };
  }
  get() {
    return this.state === 'gone' ? undefined : { state: this.state, error: this.error, errorCode: this.errorCode, media: this.media };
  }
  touch() {
    this.touches++;
  }
}

const DEVICE = '34020000001110000001';
const CHANNEL = '34020000001320000001';

describe('SnapshotService', () => {
  let aus: SplitAccessUnit[];
  beforeAll(() => {
    aus = encodePattern();
  });
  afterEach(() => vi.useRealTimers());

  it('the ffmpeg encoder decodes a real H.264 IDR access unit to a JPEG of the source size', async () => {
    const jpeg = await new FfmpegJpegFrameEncoder(resolveFfmpeg()).encode('h264', aus[0]!.data);
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    expect(jpegSize(jpeg)).toEqual({ width: W, height: H });
  });

  it('the ffmpeg encoder given bytes that are not video fails with a message naming ffmpeg', async () => {
    await expect(new FfmpegJpegFrameEncoder(resolveFfmpeg()).encode('h264', Buffer.from('not a video at all'))).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/ffmpeg could not decode/) });
  });

  it('take() joins the live stream and encodes the next keyframe, skipping the P-frames before it', async () => {
    const live = new FakeLive();
    const seen: Buffer[] = [];
    const encoder: JpegFrameEncoder = { encode: async (_c, d) => (seen.push(d), Buffer.from([0xff, 0xd8, 0xff, 0xd9])) };
    const svc = new SnapshotService(live, encoder);
    const p = svc.take(DEVICE, CHANNEL);
    await new Promise((r) => setImmediate(r));
    const firstKey = aus.findIndex((a, i) => i > 0 && a.keyframe);
    for (let i = 1; i <= firstKey; i++) live.media.emit('accessUnit', unit(aus[i]!, i));
    const s = await p;
    expect(live.plays).toEqual([`${DEVICE}/${CHANNEL}`]);
    expect(seen).toEqual([aus[firstKey]!.data]);
    expect(s).toMatchObject({ codec: 'h264', streamId: `${DEVICE}_${CHANNEL}` });
    expect(live.touches).toBeGreaterThan(0);
    expect(live.media.listenerCount('accessUnit')).toBe(0);
  });

  it('take() puts the SPS/PPS seen earlier in front of a keyframe that lacks them, so the real decoder gives a JPEG', async () => {
    const live = new FakeLive();
    const svc = new SnapshotService(live, new FfmpegJpegFrameEncoder(resolveFfmpeg()));
    const p = svc.take(DEVICE, CHANNEL);
    await new Promise((r) => setImmediate(r));
    const first = aus[0]!.data;
    const sets = splitAnnexB(first).filter((n) => h264NalType(n) === H264_NAL.SPS || h264NalType(n) === H264_NAL.PPS);
    expect(sets).toHaveLength(2);
    // Parameter sets alone (non-key unit), then an IDR stripped of them.
    live.media.emit('accessUnit', { ...unit(aus[0]!, 0), keyframe: false, data: Buffer.concat(sets.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n])) });
    live.media.emit('accessUnit', { ...unit(aus[0]!, 0), data: withoutParamSets(first) });
    const s = await p;
    expect(jpegSize(s.jpeg)).toEqual({ width: W, height: H });
  });

  it('take() with no keyframe within the bound fails with MEDIA_NO_KEYFRAME (504) and keeps touching the stream while it waits', async () => {
    vi.useFakeTimers();
    const live = new FakeLive();
    const svc = new SnapshotService(live, { encode: async () => Buffer.alloc(0) });
    const outcome = svc.take(DEVICE, CHANNEL, 3000).then(() => 'resolved', (e: unknown) => e);
    await vi.advanceTimersByTimeAsync(3001);
    expect(await outcome).toMatchObject({ code: 'MEDIA_NO_KEYFRAME', message: expect.stringMatching(/no decodable video keyframe .* within 3000 ms/) });
    expect(live.touches).toBeGreaterThanOrEqual(3);
    expect(live.media.listenerCount('accessUnit')).toBe(0);
  });

  it('take() whose live stream fails while play() is still pending answers at once with the stream\'s own error', async () => {
    vi.useFakeTimers();
    const live = new FakeLive();
    live.hang = true;
    const svc = new SnapshotService(live, { encode: async () => Buffer.alloc(0) });
    const outcome = svc.take(DEVICE, CHANNEL).then(() => 'resolved', (e: unknown) => e);
    await vi.advanceTimersByTimeAsync(500);
    live.state = 'failed';
    live.error = 'no media within 3000 ms: no packet at all arrived at 127.0.0.1:40000 (udp)';
    live.errorCode = 'MEDIA_NO_RTP';
    await vi.advanceTimersByTimeAsync(300);
    expect(await outcome).toMatchObject({ code: 'MEDIA_NO_RTP', message: live.error });
  });

  it('take() whose stream closes while waiting fails at once instead of waiting out the bound', async () => {
    vi.useFakeTimers();
    const live = new FakeLive();
    const svc = new SnapshotService(live, { encode: async () => Buffer.alloc(0) });
    const outcome = svc.take(DEVICE, CHANNEL, 10_000).then(() => 'resolved', (e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    live.state = 'failed';
    await vi.advanceTimersByTimeAsync(1000);
    expect(await outcome).toMatchObject({ code: 'STREAM_NOT_FOUND', message: expect.stringMatching(/closed before a keyframe/) });
  });
});

/** Width and height from a JPEG's SOF0/SOF2 marker (ITU T.81 §B.2.2). */
function jpegSize(b: Buffer): { width: number; height: number } {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) throw new Error(`not a JPEG marker at ${i}`);
    const marker = b[i + 1]!;
    const len = b.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc2) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}
