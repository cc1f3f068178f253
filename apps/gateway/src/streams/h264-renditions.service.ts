import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { cpus } from 'node:os';
import { resolveFfmpeg } from '@gb/runtime';
import type { AacTrackFrame, PsAccessUnit } from '@gb/gb28181';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { H264Rendition } from '../media/h264-rendition';
import { MediaTokens } from './media-tokens';
import { StreamsService, type Stream } from './streams.service';
import type { StreamDto } from './stream.types';
import type { PlayCodec, StreamTransport } from '@gb/contracts';

/** Suffix of a rendition's stream ID: `<deviceId>_<channelId>_h264`. */
export const H264_RENDITION_SUFFIX = '_h264';

/** TRANSCODE_MAX = 0: this many transcodes per CPU core. */
export const TRANSCODES_PER_CORE = 2;

/**
 * What a play asking `codec` of a stream whose video is `sourceCodec` gets: the stream itself, or its H.264 rendition
 * (a transcode). 'auto' and H.264 sources never transcode.
 */
export function renditionFor(want: PlayCodec, sourceCodec: string | null): 'source' | 'h264' {
  return want === 'h264' && sourceCodec === 'h265' ? 'h264' : 'source';
}

/** The transcode bound: TRANSCODE_MAX, or TRANSCODES_PER_CORE per CPU core when it is 0. */
export function transcodeLimit(configured: number, cores = cpus().length): number {
  return configured > 0 ? configured : TRANSCODES_PER_CORE * Math.max(1, cores);
}

/** The source stream ID of a rendition ID, or null when `streamId` names no rendition. */
export function sourceOfRendition(streamId: string): string | null {
  return streamId.endsWith(H264_RENDITION_SUFFIX) ? streamId.slice(0, -H264_RENDITION_SUFFIX.length) : null;
}

/** A running rendition: what the media HTTP routes read (same shape as a stream's media for them). */
export interface RunningRendition {
  streamId: string;
  source: Stream;
  media: H264Rendition;
  state: 'playing';
  error: string | null;
  lastViewAt: number;
  release: () => void;
}

/**
 * H.264 renditions of H.265 live streams, for browsers whose MSE has no HEVC (Chromium on Linux, Firefox):
 * POST …/play {codec: "h264"} opens (or joins) the camera's stream and, when it is H.265, starts (or joins) one
 * transcode of it, `<streamId>_h264`, shared by every viewer of that rendition. The rendition holds its source open
 * (StreamSession.hold) and ends when it had no viewer for STREAM_IDLE_TIMEOUT_MS, when its source ends, or when its
 * transcoder dies. At most transcodeLimit(TRANSCODE_MAX) run at once; one more is refused with TRANSCODE_LIMIT.
 */
@Injectable()
export class H264RenditionsService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('renditions');
  private readonly running = new Map<string, RunningRendition>();
  /** Renditions being started (counted against the limit; joined by concurrent plays). */
  private readonly starting = new Map<string, Promise<RunningRendition>>();
  private readonly ffmpegPath: string;
  readonly limit: number;
  private sweeper?: NodeJS.Timeout;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly streams: StreamsService,
    private readonly tokens: MediaTokens,
  ) {
    this.ffmpegPath = resolveFfmpeg({ ...process.env, FFMPEG_PATH: cfg.FFMPEG_PATH });
    this.limit = transcodeLimit(cfg.TRANSCODE_MAX);
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => this.sweepIdle(), 1000);
  }

  /** Live view in `codec`: the stream itself, or (an H.265 stream asked for H.264) its H.264 rendition. */
  async play(deviceId: string, channelId: string, codec: PlayCodec, transport?: StreamTransport, stream: 'main' | 'sub' = 'main'): Promise<StreamDto> {
    const source = await this.streams.open(deviceId, channelId, { kind: 'live', transport, stream });
    if (renditionFor(codec, source.mediaSession?.info().codec ?? null) === 'source') return this.streams.toDto(source);
    return this.toDto(await this.ensure(source));
  }

  /** A running rendition (for the media routes), started on demand when its H.265 source is running (a player page's token). */
  async find(streamId: string): Promise<RunningRendition | undefined> {
    const r = this.running.get(streamId);
    if (r) return r;
    const sourceId = sourceOfRendition(streamId);
    const source = sourceId ? this.streams.get(sourceId) : undefined;
    if (!source?.isOpen || source.kind !== 'live' || source.mediaSession?.info().codec !== 'h265') return undefined;
    return this.ensure(source);
  }

  /** Counts a viewer's HLS fetch. */
  touch(streamId: string): void {
    const r = this.running.get(streamId);
    if (r) r.lastViewAt = Date.now();
  }

  /** Renditions running now. */
  get size(): number {
    return this.running.size;
  }

  list(): StreamDto[] {
    return [...this.running.values()].map((r) => this.toDto(r));
  }

  private ensure(source: Stream): Promise<RunningRendition> {
    const id = source.streamId + H264_RENDITION_SUFFIX;
    const r = this.running.get(id);
    if (r) {
      r.lastViewAt = Date.now();
      return Promise.resolve(r);
    }
    const pending = this.starting.get(id);
    if (pending) return pending;
    if (this.running.size + this.starting.size >= this.limit) {
      return Promise.reject(
        new GatewayError('TRANSCODE_LIMIT', `this camera sends H.265, which this browser cannot decode, and the gateway already converts ${this.limit} stream(s) to H.264, its limit (TRANSCODE_MAX): try again when another viewer stops, or use a browser with H.265 support`, { limit: this.limit }),
      );
    }
    const p = this.start(id, source).finally(() => this.starting.delete(id));
    this.starting.set(id, p);
    return p;
  }

  private async start(id: string, source: Stream): Promise<RunningRendition> {
    const src = source.media;
    // the source's AAC track (decided at its first keyframe, which a playing source has had) goes along
    const audio = src.info().audioTrack;
    const media = new H264Rendition({ streamId: id, hlsRoot: this.streams.hlsRoot, ffmpegPath: this.ffmpegPath, maxHeight: this.cfg.TRANSCODE_MAX_HEIGHT, audio });
    const release = source.hold();
    const onUnit = (au: PsAccessUnit) => {
      if (au.kind === 'video') media.write(au);
    };
    const onAac = (f: AacTrackFrame) => media.writeAudio(f);
    src.on('accessUnit', onUnit);
    if (audio) src.on('aacFrame', onAac);
    const onSourceClosed = () => void this.stop(r, `its source ${source.streamId} ended`);
    source.once('closed', onSourceClosed);
    const r: RunningRendition = {
      streamId: id, source, media, state: 'playing', error: null, lastViewAt: Date.now(),
      release: () => {
        src.off('accessUnit', onUnit);
        src.off('aacFrame', onAac);
        source.off('closed', onSourceClosed);
        release();
      },
    };
    this.running.set(id, r);
    media.on('failed', (e) => {
      this.log.warn(`${id}: ${e.message}`);
      void this.stop(r, 'transcoder failed');
    });
    if (!source.isOpen) await this.stop(r, `its source ${source.streamId} ended`);
    this.log.log(`${id}: H.265 -> H.264 transcode started (${this.running.size}/${this.limit})`);
    return r;
  }

  /** Stops a running rendition by its stream ID (DELETE /api/streams/:id); false when none runs under that ID. */
  async stopById(streamId: string): Promise<boolean> {
    const r = this.running.get(streamId);
    if (!r) return false;
    await this.stop(r, 'stopped through the API');
    return true;
  }

  private async stop(r: RunningRendition, why: string): Promise<void> {
    if (this.running.get(r.streamId) !== r) return;
    this.running.delete(r.streamId);
    r.release();
    this.log.log(`${r.streamId}: transcode stopped (${why})`);
    await r.media.close();
  }

  private sweepIdle(): void {
    const now = Date.now();
    for (const r of [...this.running.values()]) {
      if (r.media.flv.subscribers > 0) r.lastViewAt = now;
      else if (now - r.lastViewAt > this.cfg.STREAM_IDLE_TIMEOUT_MS) void this.stop(r, `no viewer for ${this.cfg.STREAM_IDLE_TIMEOUT_MS} ms`);
    }
  }

  /** The source's DTO with the rendition's ID, URLs (own token), video figures and `rendition`. */
  toDto(r: RunningRendition): StreamDto {
    const src = this.streams.toDto(r.source);
    const token = `token=${encodeURIComponent(this.tokens.sign(r.streamId))}`;
    const swap = (u: string) => u.replace(`/${src.streamId}`, `/${r.streamId}`).replace(/token=[^&]*/, token);
    const i = r.media.info();
    const recent = Date.now() - r.lastViewAt < 10_000 ? 1 : 0;
    // the rendition's own HLS / FLV / player URLs; no others (e.g. WebRTC, which takes the camera's H.264 only)
    const urls = { hls: swap(src.urls.hls), flv: swap(src.urls.flv), wsFlv: swap(src.urls.wsFlv), player: swap(src.urls.player) };
    return {
      ...src,
      streamId: r.streamId,
      codec: 'h264',
      audioCodec: r.media.hasAudio ? src.audioCodec : null,
      audioTrack: r.media.hasAudio,
      width: i.width ?? src.width,
      height: i.height ?? src.height,
      viewers: r.media.flv.subscribers + recent,
      rendition: { codec: 'h264', transcode: true, sourceStreamId: src.streamId, sourceCodec: src.codec ?? 'h265' },
      urls,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.running.values()].map((r) => this.stop(r, 'shutdown')));
  }
}
