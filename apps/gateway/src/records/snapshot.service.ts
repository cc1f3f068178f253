import { Inject, Injectable } from '@nestjs/common';
import { H264_NAL, H265_NAL, h264NalType, h265NalType, splitAnnexB, type PsAccessUnit } from '@gb/gb28181';
import { GatewayError, type GatewayErrorCode } from '../common/gateway-error';
import { StreamsService } from '../streams/streams.service';
import { JPEG_FRAME_ENCODER, type JpegFrameEncoder } from './jpeg-frame.encoder';

/** How long to wait for the next video keyframe of the live stream. */
export const SNAPSHOT_KEYFRAME_TIMEOUT_MS = 10_000;
/** Most snapshots being taken at once (each may run an ffmpeg). */
export const MAX_CONCURRENT_SNAPSHOTS = 8;
/** Backstop on starting (or joining) the live stream; StreamsService bounds it itself (INVITE + no-RTP timeouts). */
export const SNAPSHOT_PLAY_TIMEOUT_MS = 30_000;
/** How often the stream's viewer clock is touched while waiting (well under STREAM_IDLE_TIMEOUT_MS). */
const TOUCH_EVERY_MS = 1000;
/** How often the starting stream's state is checked while play() is pending. */
const WATCH_EVERY_MS = 200;

type AccessUnitListener = (au: PsAccessUnit) => void;

/** What a snapshot needs of the live stream use-cases (StreamsService satisfies it). */
export interface SnapshotStreams {
  play(deviceId: string, channelId: string): Promise<{ streamId: string }>;
  get(streamId: string): { state: string; error: string | null; errorCode?: GatewayErrorCode | null; sipStatus?: number; media: { on(event: 'accessUnit', l: AccessUnitListener): unknown; off(event: 'accessUnit', l: AccessUnitListener): unknown } } | undefined;
  touch(streamId: string): void;
}

export const SNAPSHOT_STREAMS = Symbol('SNAPSHOT_STREAMS');

export interface Snapshot {
  jpeg: Buffer;
  codec: 'h264' | 'h265';
  streamId: string;
}

/**
 * A still of a channel: start (or join) its live stream, take the next video keyframe, decode that one frame
 * to JPEG. Parameter sets (SPS/PPS, VPS for H.265) seen before the keyframe are put in front of it when the
 * keyframe itself lacks them (not every camera repeats them at each IDR).
 */
@Injectable()
export class SnapshotService {
  private inFlight = 0;

  constructor(
    @Inject(SNAPSHOT_STREAMS) private readonly streams: SnapshotStreams,
    @Inject(JPEG_FRAME_ENCODER) private readonly encoder: JpegFrameEncoder,
  ) {}

  async take(deviceId: string, channelId: string, timeoutMs = SNAPSHOT_KEYFRAME_TIMEOUT_MS): Promise<Snapshot> {
    if (this.inFlight >= MAX_CONCURRENT_SNAPSHOTS) throw new GatewayError('CONFLICT', `${MAX_CONCURRENT_SNAPSHOTS} snapshots are already being taken; try again shortly`);
    this.inFlight++;
    try {
      const { streamId } = await this.playWatched(deviceId, channelId);
      const key = await this.nextKeyframe(streamId, timeoutMs);
      const jpeg = await this.encoder.encode(key.codec, key.data);
      return { jpeg, codec: key.codec, streamId };
    } finally {
      this.inFlight--;
    }
  }

  /**
   * play(), but settled as soon as the live stream is seen failed: a stream that fails while waiting for its
   * first media must answer with its own error (which says what arrived) even if play() itself stays pending.
   */
  private playWatched(deviceId: string, channelId: string): Promise<{ streamId: string }> {
    const streamId = StreamsService.streamIdOf(deviceId, channelId);
    return new Promise((resolve, reject) => {
      const done = (e: Error | null, v?: { streamId: string }) => {
        clearInterval(watch);
        clearTimeout(backstop);
        if (e) reject(e);
        else resolve(v!);
      };
      const watch = setInterval(() => {
        const s = this.streams.get(streamId);
        if (s?.state === 'failed') done(new GatewayError(s.errorCode ?? 'INTERNAL', s.error ?? `stream ${streamId} failed`, { streamId, ...(s.sipStatus !== undefined ? { sipStatus: s.sipStatus } : {}) }));
      }, WATCH_EVERY_MS);
      const backstop = setTimeout(() => done(new GatewayError('MEDIA_NO_KEYFRAME', `the live stream ${streamId} did not start within ${SNAPSHOT_PLAY_TIMEOUT_MS} ms`, { streamId })), SNAPSHOT_PLAY_TIMEOUT_MS);
      this.streams.play(deviceId, channelId).then((v) => done(null, v), (e: Error) => done(e));
    });
  }

  private nextKeyframe(streamId: string, timeoutMs: number): Promise<{ codec: 'h264' | 'h265'; data: Buffer }> {
    const stream = this.streams.get(streamId);
    if (!stream) return Promise.reject(new GatewayError('STREAM_NOT_FOUND', `stream ${streamId} closed before a keyframe arrived`));
    return new Promise((resolve, reject) => {
      const paramSets = new Map<number, Buffer>();
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(toucher);
        stream.media.off('accessUnit', onUnit);
      };
      const onUnit: AccessUnitListener = (au) => {
        if (au.kind !== 'video' || (au.codec !== 'h264' && au.codec !== 'h265')) return;
        const codec = au.codec;
        const nals = splitAnnexB(au.data);
        const typeOf = codec === 'h264' ? h264NalType : h265NalType;
        const psTypes: readonly number[] = codec === 'h264' ? [H264_NAL.SPS, H264_NAL.PPS] : [H265_NAL.VPS, H265_NAL.SPS, H265_NAL.PPS];
        const present = new Set<number>();
        for (const n of nals) {
          const t = typeOf(n);
          if (psTypes.includes(t)) {
            paramSets.set(t, n);
            present.add(t);
          }
        }
        if (!au.keyframe) return;
        const missing = psTypes.filter((t) => !present.has(t));
        if (missing.some((t) => !paramSets.has(t))) return; // cannot decode this one alone: wait for the next
        cleanup();
        const prefix = missing.flatMap((t) => [START_CODE, paramSets.get(t)!]);
        resolve({ codec, data: prefix.length ? Buffer.concat([...prefix, au.data]) : au.data });
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new GatewayError('MEDIA_NO_KEYFRAME', `no decodable video keyframe arrived on stream ${streamId} within ${timeoutMs} ms`, { streamId }));
      }, timeoutMs);
      const toucher = setInterval(() => {
        const s = this.streams.get(streamId);
        if (!s || s.state === 'closed' || s.state === 'failed') {
          cleanup();
          reject(new GatewayError(s?.errorCode ?? 'STREAM_NOT_FOUND', s?.error ?? `stream ${streamId} closed before a keyframe arrived`, { streamId }));
          return;
        }
        this.streams.touch(streamId);
      }, TOUCH_EVERY_MS);
      this.streams.touch(streamId);
      stream.media.on('accessUnit', onUnit);
    });
  }
}

const START_CODE = Buffer.from([0, 0, 0, 1]);
