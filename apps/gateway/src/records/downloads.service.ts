import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DownloadProgressDto } from '@gb/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { EventBus } from '../events/event-bus';
import { DevicesService } from '../devices/devices.service';
import type { OpenStreamOptions } from '../streams/streams.service';
import { DownloadJob, type DownloadDto } from './download-job';

/** What a download needs of a stream (StreamsService's Stream satisfies it). */
export interface DownloadStreamHandle {
  streamId: string;
  state: string;
  error: string | null;
  /** The device reported the end of the file (MediaStatus 121). */
  ended?: boolean;
  onClosed?: () => void;
  media: { readonly mediaSeconds: number };
}

/** The stream use-cases a download drives (StreamsService satisfies it). */
export interface DownloadStreams {
  open(deviceId: string, channelId: string, o: OpenStreamOptions): Promise<DownloadStreamHandle>;
  stop(streamId: string): Promise<void>;
}

export const DOWNLOAD_STREAMS = Symbol('DOWNLOAD_STREAMS');

/** Allowed a=downloadspeed values. */
export const DOWNLOAD_SPEEDS = [1, 2, 4, 8] as const;
/** Longest range one download may ask for. */
export const MAX_DOWNLOAD_SPAN_S = 24 * 3600;
/** Most downloads running at once (each holds an RTP port and an ffmpeg). */
export const MAX_ACTIVE_DOWNLOADS = 8;
/** Most downloads remembered; past it the oldest finished one is forgotten and its file deleted. */
export const MAX_KEPT_DOWNLOADS = 200;
/** How often progress is sampled (and pushed as download.progress when it changed). */
export const DOWNLOAD_SAMPLE_MS = 1000;
/** Added to INVITE_TIMEOUT_MS + STREAM_NO_RTP_TIMEOUT_MS for the starting backstop. */
const START_MARGIN_MS = 2000;
/** After a stream closed before we could hook it: how long to wait for its MP4 to be finalised. */
const LATE_CLOSE_GRACE_MS = 2500;

interface Entry {
  job: DownloadJob;
  path: string;
  stream?: DownloadStreamHandle;
  cancelled: boolean;
  lastPublished: string;
}

/**
 * Downloads of recorded video (GB/T 28181-2016 §9.8, s=Download with a=downloadspeed): one s=Download stream
 * per job whose ffmpeg writes DATA_DIR/downloads/<id>.mp4; progress sampled from the media time received and
 * pushed on the event bus; a job with no media for DOWNLOAD_STALL_MS fails.
 */
@Injectable()
export class DownloadsService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('downloads');
  private readonly entries = new Map<string, Entry>();
  readonly dir: string;
  /** A job still starting after this long fails (StreamsService bounds INVITE and first media; this is the backstop). */
  readonly startTimeoutMs: number;
  private ticker?: NodeJS.Timeout;

  constructor(
    @Inject(GATEWAY_CONFIG) cfg: Pick<GatewayConfig, 'DATA_DIR' | 'INVITE_TIMEOUT_MS' | 'STREAM_NO_RTP_TIMEOUT_MS'>,
    @Inject(DOWNLOAD_STREAMS) private readonly streams: DownloadStreams,
    private readonly devices: DevicesService,
    private readonly events: EventBus,
  ) {
    this.dir = resolve(cfg.DATA_DIR, 'downloads');
    this.startTimeoutMs = cfg.INVITE_TIMEOUT_MS + cfg.STREAM_NO_RTP_TIMEOUT_MS + START_MARGIN_MS;
  }

  onModuleInit(): void {
    this.ticker = setInterval(() => this.sampleAll(), DOWNLOAD_SAMPLE_MS);
    this.ticker.unref?.();
  }

  /** Starts a download; returns at once in state 'starting'. */
  start(deviceId: string, channelId: string, o: { start: number; end: number; speed?: number }): DownloadDto {
    const speed = o.speed ?? 1;
    if (!(DOWNLOAD_SPEEDS as readonly number[]).includes(speed)) throw new GatewayError('VALIDATION_FAILED', `speed: must be one of ${DOWNLOAD_SPEEDS.join(', ')}`);
    if (!(o.end > o.start)) throw new GatewayError('VALIDATION_FAILED', 'end: must be after start');
    if (o.end - o.start > MAX_DOWNLOAD_SPAN_S) throw new GatewayError('VALIDATION_FAILED', `end: a download may span at most ${MAX_DOWNLOAD_SPAN_S / 3600} h`);
    this.devices.requireOnline(deviceId);
    const active = [...this.entries.values()].filter((e) => !e.job.finished).length;
    if (active >= MAX_ACTIVE_DOWNLOADS) throw new GatewayError('CONFLICT', `${MAX_ACTIVE_DOWNLOADS} downloads are already running; wait for one to finish or cancel one`);
    this.evictOld();
    mkdirSync(this.dir, { recursive: true });
    const id = randomBytes(8).toString('hex');
    const job = new DownloadJob({ id, deviceId, channelId, start: o.start, end: o.end, speed }, Date.now());
    const e: Entry = { job, path: join(this.dir, `${id}.mp4`), cancelled: false, lastPublished: '' };
    this.entries.set(id, e);
    this.publish(e);
    void this.run(e);
    return job.toDto();
  }

  private async run(e: Entry): Promise<void> {
    const s = e.job.spec;
    let stream: DownloadStreamHandle;
    try {
      stream = await this.streams.open(s.deviceId, s.channelId, { kind: 'download', startTime: s.start, endTime: s.end, downloadSpeed: s.speed, remux: { mp4Path: e.path } });
    } catch (err) {
      e.job.fail(`could not start the download stream: ${(err as Error).message}`, Date.now());
      this.removeFile(e);
      this.publish(e);
      return;
    }
    e.stream = stream;
    if (e.cancelled || e.job.finished) {
      await this.streams.stop(stream.streamId).catch(() => undefined);
      return;
    }
    e.job.attached(stream.streamId, Date.now());
    stream.onClosed = () => this.onStreamClosed(e);
    // Closed between its set-up and our hook: give its ffmpeg time to finalise the MP4, then judge.
    if (stream.state === 'closed' || stream.state === 'failed') setTimeout(() => this.onStreamClosed(e), LATE_CLOSE_GRACE_MS).unref?.();
    this.publish(e);
  }

  private onStreamClosed(e: Entry): void {
    if (e.cancelled || e.job.finished || !e.stream) return;
    e.job.closed({ ended: e.stream.ended === true, error: e.stream.error, mediaSeconds: e.stream.media.mediaSeconds, bytes: this.fileSize(e) }, Date.now());
    if (e.job.state === 'failed') this.log.warn(`download ${e.job.spec.id} failed: ${e.job.error}`);
    else this.log.log(`download ${e.job.spec.id} done: ${e.job.bytes} bytes`);
    this.publish(e);
  }

  private sampleAll(): void {
    const now = Date.now();
    for (const e of this.entries.values()) {
      if (e.job.state === 'starting' && now - e.job.createdAt > this.startTimeoutMs) {
        e.job.fail(`no media within ${this.startTimeoutMs} ms of asking the device for the recording (INVITE s=Download): see GET /api/streams for what arrived`, now);
        this.log.warn(`download ${e.job.spec.id}: ${e.job.error}`);
        this.removeFile(e);
        this.publish(e);
        continue;
      }
      if (e.job.state !== 'downloading' || !e.stream) continue;
      if (e.job.sample(e.stream.media.mediaSeconds, this.fileSize(e), now) === 'stalled') {
        this.log.warn(`download ${e.job.spec.id}: ${e.job.error}`);
        void this.streams.stop(e.stream.streamId).catch(() => undefined);
      }
      this.publish(e);
    }
  }

  list(): DownloadDto[] {
    return [...this.entries.values()].map((e) => e.job.toDto());
  }

  get(id: string): DownloadDto {
    return this.require(id).job.toDto();
  }

  /** The finished MP4: path, size and a file name for Content-Disposition. */
  file(id: string): { path: string; size: number; filename: string } {
    const e = this.require(id);
    if (e.job.state !== 'done') throw new GatewayError('CONFLICT', `download ${id} is ${e.job.state}${e.job.error ? ` (${e.job.error})` : ''}; the file is served once it is done`);
    const size = this.fileSize(e);
    if (size === 0) throw new GatewayError('NOT_FOUND', `the file of download ${id} is missing`);
    const s = e.job.spec;
    const t = (u: number) => new Date(u * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return { path: e.path, size, filename: `${s.channelId}_${t(s.start)}_${t(s.end)}.mp4` };
  }

  /** Cancels (BYE) a running download or forgets a finished one; deletes its file either way. */
  async cancel(id: string): Promise<void> {
    const e = this.require(id);
    e.cancelled = true;
    this.entries.delete(id);
    if (e.stream && !e.job.finished) await this.streams.stop(e.stream.streamId).catch(() => undefined);
    this.removeFile(e);
  }

  private require(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new GatewayError('NOT_FOUND', `no download ${id}`);
    return e;
  }

  private fileSize(e: Entry): number {
    try {
      return statSync(e.path).size;
    } catch {
      return 0;
    }
  }

  private removeFile(e: Entry): void {
    rmSync(e.path, { force: true });
  }

  private evictOld(): void {
    if (this.entries.size < MAX_KEPT_DOWNLOADS) return;
    for (const [id, e] of this.entries) {
      if (!e.job.finished) continue;
      this.entries.delete(id);
      this.removeFile(e);
      if (this.entries.size < MAX_KEPT_DOWNLOADS) return;
    }
  }

  private publish(e: Entry): void {
    const d = e.job.toDto();
    const data: DownloadProgressDto = { id: d.id, deviceId: d.deviceId, channelId: d.channelId, state: d.state, progress: d.progress, bytes: d.bytes, error: d.error };
    const sig = `${d.state}|${d.progress}|${d.bytes}`;
    if (sig === e.lastPublished) return;
    e.lastPublished = sig;
    this.events.publish('download.progress', data);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.ticker);
    for (const e of this.entries.values()) {
      if (!e.job.finished) e.job.fail('the gateway shut down', Date.now());
    }
  }
}
