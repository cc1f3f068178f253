import { Inject, Injectable } from '@nestjs/common';
import { access } from 'node:fs/promises';
import { resolveFfmpeg } from '@gb/runtime';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { MediaTokens } from '../streams/media-tokens';
import { exportMp4 } from './recording-export';
import { RecordingService } from './recording.service';
import { vodPlaylist } from './vod-playlist';

/** The media-token subject of a channel's recordings (the live streams sign their stream ID; this cannot be one). */
export function recordingTokenSubject(channelId: string): string {
  return `rec:${channelId}`;
}

/**
 * Playback from platform storage: an HLS VOD playlist over the stored TS segments of a range (players seek and change
 * speed in it), the segments themselves, and a range as one MP4. URLs carry a media token as live media does.
 */
@Injectable()
export class RecordingPlaybackService {
  private readonly ffmpegPath: string;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(RecordingService) private readonly recording: RecordingService,
    @Inject(MediaTokens) private readonly tokens: MediaTokens,
  ) {
    this.ffmpegPath = resolveFfmpeg({ ...process.env, FFMPEG_PATH: cfg.FFMPEG_PATH });
  }

  /** Signed media URLs of a range: the VOD playlist and the MP4 download. */
  urls(channelId: string, fromS: number, toS: number): { hls: string; download: string; token: string } {
    const base = this.cfg.PUBLIC_URL ? this.cfg.PUBLIC_URL.replace(/\/+$/, '') : '';
    const token = this.tokens.sign(recordingTokenSubject(channelId));
    const q = `from=${fromS}&to=${toS}&token=${encodeURIComponent(token)}`;
    const c = encodeURIComponent(channelId);
    return { hls: `${base}/rec/${c}/index.m3u8?${q}`, download: `${base}/rec/${c}/download.mp4?${q}`, token };
  }

  check(channelId: string, token: string | undefined): void {
    if (!this.tokens.verify(recordingTokenSubject(channelId), token)) throw new GatewayError('UNAUTHORIZED', 'missing, expired or wrong media token');
  }

  /** The VOD playlist of the finished segments overlapping [from, to); NOT_FOUND when there are none. */
  async playlist(channelId: string, fromS: number, toS: number, token: string): Promise<string> {
    const rows = (await this.recording.segments(channelId, new Date(fromS * 1000), new Date(toS * 1000))).filter((r) => r.endAt !== null);
    if (rows.length === 0) throw new GatewayError('NOT_FOUND', `channel ${channelId} has no finished recording in that range`);
    const q = `?token=${encodeURIComponent(token)}`;
    return vodPlaylist(rows.map((r) => ({ id: r.id, start: r.startAt.getTime(), end: r.endAt!.getTime() })), (s) => `${s.id}.ts${q}`);
  }

  /** The file of one segment of the channel (NOT_FOUND when its file is not on this node's disk). */
  async segmentFile(channelId: string, id: string): Promise<string> {
    const row = await this.recording.segment(id);
    if (!row || row.channelId !== channelId) throw new GatewayError('NOT_FOUND', `no recorded segment ${id} of channel ${channelId}`);
    const file = this.recording.fileOf(row.path);
    if (!(await exists(file))) throw new GatewayError('NOT_FOUND', `segment ${id} is indexed but its file is not on this node (recorded by another node, or deleted)`);
    return file;
  }

  /** [from, to) as one MP4 (H.264, the AAC track when recorded). */
  async export(channelId: string, fromS: number, toS: number): Promise<{ path: string; cleanup: () => Promise<void>; filename: string }> {
    const rows = (await this.recording.segments(channelId, new Date(fromS * 1000), new Date(toS * 1000))).filter((r) => r.endAt !== null);
    if (rows.length === 0) throw new GatewayError('NOT_FOUND', `channel ${channelId} has no finished recording in that range`);
    const first = rows[0]!.startAt.getTime();
    const from = Math.max(fromS * 1000, first);
    const to = Math.min(toS * 1000, rows[rows.length - 1]!.endAt!.getTime());
    const files = rows.map((s) => this.recording.fileOf(s.path));
    const missing = (await Promise.all(files.map(exists))).filter((e) => !e).length;
    if (missing) throw new GatewayError('NOT_FOUND', `${missing} of the ${files.length} segments of that range are not on this node (recorded by another node, or deleted)`);
    const r = await exportMp4(this.ffmpegPath, files.map((file) => ({ file })), (from - first) / 1000, Math.max(0.1, (to - from) / 1000));
    const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15);
    return { ...r, filename: `${channelId}_${stamp(from)}_${stamp(to)}.mp4` };
  }
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
