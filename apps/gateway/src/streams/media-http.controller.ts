import { Controller, Get, Optional, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Public } from '../auth/public.decorator';
import { GatewayError } from '../common/gateway-error';
import { writableFlvSink } from '../media/flv-fanout';
import { StreamsService } from './streams.service';
import { H264RenditionsService, H264_RENDITION_SUFFIX } from './h264-renditions.service';
import { MediaTokens } from './media-tokens';
import { playerPage } from './player.page';
import { STREAM_ID_RE } from '../api/devices.dto';

const HLS_FILE = /^(index\.m3u8|init\.mp4|seg_\d{1,8}\.(ts|m4s))$/;
const STREAM_ID = STREAM_ID_RE;
/** How long a playlist request waits for the remuxer to announce the first playlist before answering 404 (players give up on a 404). */
export const PLAYLIST_WAIT_MS = 8000;

/** Media for players: HLS files, HTTP-FLV and the player page, authorised by the signed token in the URL. */
@ApiExcludeController()
@Public()
@Controller()
export class MediaHttpController {
  constructor(
    private readonly streams: StreamsService,
    private readonly tokens: MediaTokens,
    /** H.264 renditions of H.265 streams (absent in tests that build this controller alone). */
    @Optional() private readonly renditions?: H264RenditionsService,
  ) {}

  /** A camera's stream, or an H.264 rendition of one (started here on demand: its URLs carry a token for it). */
  private async lookup(streamId: string) {
    return this.streams.get(streamId) ?? (await this.renditions?.find(streamId));
  }

  private check(streamId: string, token: string | undefined): void {
    if (!STREAM_ID.test(streamId) || !this.tokens.verify(streamId, token)) throw new GatewayError('UNAUTHORIZED', 'missing, expired or wrong media token');
  }

  @Get('live/:streamId/:file')
  async hls(@Param('streamId') streamId: string, @Param('file') file: string, @Query('token') token: string | undefined, @Res() res: Response): Promise<void> {
    this.check(streamId, token);
    // The URL may be another node's than the dashboard's (PUBLIC_URL): a token-signed media URL may be read cross-origin.
    res.setHeader('access-control-allow-origin', '*');
    if (!HLS_FILE.test(file)) throw new GatewayError('CHANNEL_NOT_FOUND', `no such HLS file ${file}`);
    const s = await this.lookup(streamId);
    if (!s) throw new GatewayError('CHANNEL_NOT_FOUND', `stream ${streamId} is not running; start it with POST /api/devices/:deviceId/channels/:channelId/play`);
    this.streams.touch(streamId);
    this.renditions?.touch(streamId);
    const hls = s.media.hls;
    if (file === 'index.m3u8') {
      // From memory, as the remuxer announced it. A player opened right after play asks before the first segment is
      // finished: the request waits for the announcement (or the stream's end) instead of a 404.
      const body = await hls.whenPlaylist(PLAYLIST_WAIT_MS);
      if (body === null) {
        res.status(404).json({ statusCode: 404, code: 'NOT_READY', message: s.error ?? `${file} not written yet (stream ${s.state})` });
        return;
      }
      // Segment URIs need the token too: rewrite them so the player can be handed one URL.
      const q = `token=${encodeURIComponent(token!)}`;
      res.setHeader('content-type', 'application/vnd.apple.mpegurl');
      res.setHeader('cache-control', 'no-cache');
      res.send(body.replace(/^(?!#)(\S+)$/gm, `$1?${q}`).replace(/URI="([^"?]+)"/g, `URI="$1?${q}"`));
      return;
    }
    const type = file.endsWith('.ts') ? 'video/mp2t' : 'video/mp4';
    const inMemory = hls.segment(file);
    if (inMemory) {
      res.setHeader('content-type', type);
      res.setHeader('content-length', String(inMemory.length));
      res.end(inMemory);
      return;
    }
    // Older segments (and ffmpeg's) are read from disk, asynchronously.
    const path = join(s.media.hlsDir, file);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      res.status(404).json({ statusCode: 404, code: 'NOT_READY', message: s.error ?? `${file} not written yet (stream ${s.state})` });
      return;
    }
    res.setHeader('content-type', type);
    res.setHeader('content-length', String(size));
    createReadStream(path).on('error', () => res.destroy()).pipe(res);
  }

  @Get('flv/:file')
  async flv(@Param('file') file: string, @Query('token') token: string | undefined, @Res() res: Response): Promise<void> {
    const streamId = file.replace(/\.flv$/, '');
    this.check(streamId, token);
    const s = await this.lookup(streamId);
    if (!s) throw new GatewayError('CHANNEL_NOT_FOUND', `stream ${streamId} is not running`);
    const codec = s.media.info().codec;
    if (codec && codec !== 'h264') {
      res.status(415).json({ statusCode: 415, code: 'UNSUPPORTED_CODEC', message: `HTTP-FLV carries H.264 only; this stream is ${codec}: use the HLS URL (fMP4), or its H.264 rendition (play with {codec: "h264"})` });
      return;
    }
    res.status(200);
    res.setHeader('content-type', 'video/x-flv');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('access-control-allow-origin', '*');
    res.flushHeaders();
    const sink = writableFlvSink(res); // a viewer past the backlog bound is reset, its queue freed
    const unsubscribe = s.media.flv.subscribe(sink);
    res.on('close', unsubscribe);
  }

  @Get('play/:streamId')
  player(
    @Param('streamId') streamId: string, @Query('token') token: string | undefined, @Query('mode') modeQ: string | undefined,
    @Query('transport') transport: string | undefined, @Query('wait') wait: string | undefined, @Res() res: Response,
  ): void {
    const mode = modeQ ?? transport;
    const waitMs = Number(wait); // how long WebRTC may take before FLV (tests on loaded machines give it more)
    this.check(streamId, token);
    // An H.265 stream: the page may switch to its H.264 rendition (no HEVC in the browser, or FLV asked), with its own token.
    const h265 = this.streams.get(streamId)?.mediaSession?.info().codec === 'h265';
    const h264Id = streamId + H264_RENDITION_SUFFIX;
    const h264 = h265 ? { streamId: h264Id, token: this.tokens.sign(h264Id) } : undefined;
    res.setHeader('content-type', 'text/html; charset=utf-8');
    // WebRTC first unless ?mode= (or ?transport=) says flv or hls.
    res.send(playerPage(streamId, token!, mode === 'flv' || mode === 'hls' ? mode : 'webrtc', h264, Number.isInteger(waitMs) && waitMs >= 500 && waitMs <= 30_000 ? waitMs : undefined));
  }

  @Get('vendor/:file')
  vendor(@Param('file') file: string, @Res() res: Response): void {
    const files: Record<string, string> = { 'hls.min.js': 'hls.js/dist/hls.min.js', 'mpegts.js': 'mpegts.js/dist/mpegts.js' };
    const rel = files[file];
    if (!rel) throw new GatewayError('CHANNEL_NOT_FOUND', `no vendor file ${file}`);
    res.setHeader('content-type', 'application/javascript');
    res.setHeader('cache-control', 'public, max-age=86400');
    createReadStream(require.resolve(rel)).pipe(res);
  }
}
