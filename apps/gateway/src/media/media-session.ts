import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { StreamDto } from '@gb/contracts';
import {
  FlvMuxer, GATEWAY_AAC_CONFIG, KeyframeGate, MediaTimeline, PS_AUDIO_STREAM_ID, PsDemuxer, StreamFailure, aacSilentFrame, adtsFrame, findResolution, h264NalType, seqDiff, splitAnnexB,
  type AacTrackFrame, type PsAccessUnit, type RtpPacket,
} from '@gb/gb28181';
import { RtpReceiver, type MediaTransport } from './rtp-receiver';
import type { RtpPortMux } from './rtp-port-mux';
import { FfmpegRemuxer, type Remuxer } from './ffmpeg-remuxer';
import { FLV_MAX_GOP_BYTES, FlvFanout } from './flv-fanout';
import { HlsStore } from './hls-store';
import { InternalHlsRemuxer } from './internal-hls-remuxer';
import { RestartingRemuxer, describeExit } from './restarting-remuxer';
import { StreamAudioTrack } from './stream-audio.track';

export interface MediaSessionOptions {
  streamId: string;
  transport: MediaTransport;
  bindHost: string;
  port: number;
  ssrc: number | null;
  hlsRoot: string;
  ffmpegPath: string;
  /** Download: write an MP4 file instead of HLS/FLV. */
  mp4Path?: string;
  /** 'internal': live H.264 (with its AAC track, if any) goes to HLS through InternalHlsRemuxer instead of ffmpeg. */
  hlsMuxer?: 'internal' | 'ffmpeg';
  /** Single-port mode: receive through the shared port, routed by SSRC. */
  mux?: RtpPortMux;
  /**
   * Live outputs carry an AAC track (silence until the camera's audio comes) even when the camera declared no audio by
   * its first keyframe, so audio that starts later unannounced still plays (MEDIA_SILENT_AUDIO). Default false: only a
   * stream whose PSM declares audio, or whose audio arrived before its first keyframe, gets the track.
   */
  silentAudio?: boolean;
  /**
   * Called once when the camera's audio first arrives after the first keyframe of a stream that has no audio track (no
   * PSM entry by then): the owner remembers the channel so its next stream starts with the track.
   */
  onUndeclaredAudio?: (codec: string) => void;
}

type CameraAudioCodec = 'g711a' | 'g711u' | 'aac';
/** What FLV is made of, kept for the current GOP (frames on the FLV timeline) so a first viewer starts at its keyframe. */
type FlvInput = { video: true; data: Buffer; pts: number; dts: number; keyframe: boolean } | { video: false; raw: Buffer; at: number };
const START_CODE = Buffer.from([0, 0, 0, 1]);
const CAMERA_AUDIO: readonly string[] = ['g711a', 'g711u', 'aac'];

/** The media half of a stream's API figures (StreamDto), plus when the first packet and frame arrived. */
export type MediaSessionInfo = Pick<StreamDto, 'codec' | 'audioCodec' | 'width' | 'height' | 'bitrateKbps' | 'packets' | 'packetsLost' | 'wrongSsrc' | 'garbage' | 'source'> & {
  firstPacketAt: number | null;
  firstFrameAt: number | null;
  /** Live HLS: ffmpeg children started after one died, and how the last one ended ("killed by SIGKILL"). */
  remuxRestarts: number;
  remuxLastExit: string | null;
  audioTrack: boolean;
  audioUndeclaredUnits: number;
};

/**
 * The media half of one stream: RTP in -> PS demux -> remux (HLS + FLV). Knows nothing of SIP.
 * Starts the remuxer on the first video keyframe, when the codec is known.
 *
 * Emits `failed` with a StreamFailure when the receiver reports one (MEDIA_CONNECT_FAILED: the TCP-active connection to
 * the device failed; MEDIA_WRONG_SSRC: the SSRC is taken on the single shared port), or with an Error when the remuxer
 * died. Other socket errors of the receiver do not end the stream (the no-RTP bound does, if media stops).
 */
export class MediaSession extends EventEmitter<{ accessUnit: [PsAccessUnit]; aacFrame: [AacTrackFrame]; failed: [Error]; ready: [] }> {
  readonly receiver: RtpReceiver;
  readonly flv = new FlvFanout();
  /** The HLS playlist and newest segments, in memory, as the remuxer announces them (the HTTP side reads this). */
  readonly hls = new HlsStore();
  private readonly demuxer = new PsDemuxer();
  /** Reused for every RTP packet (no object or array per packet). */
  private readonly pushMeta = { lost: false, marker: false };
  private readonly units: PsAccessUnit[] = [];
  private remuxer?: Remuxer;
  /** The live-HLS ffmpeg wrapper: its restarts and last child exit go into info(). */
  private restarting?: RestartingRemuxer;
  private lastSeq: number | null = null;
  private codec: 'h264' | 'h265' | null = null;
  private audioCodec: CameraAudioCodec | null = null;
  /** The AAC track of the browser outputs, when the stream has one (decided at the first keyframe). */
  private audio: StreamAudioTrack | null = null;
  /** Camera audio units that came after the first keyframe of a stream without an audio track (left out of FLV/HLS). */
  audioUnitsUndeclared = 0;
  private width: number | null = null;
  private height: number | null = null;
  private firstFrameAt: number | null = null;
  /** The video timeline (unwrapped, gaps filled, restarts bridged), from 0 at the first keyframe: FLV tag times. */
  private readonly timeline = new MediaTimeline();
  /** Nothing of the video before its first keyframe. */
  private readonly start = new KeyframeGate();
  /** Last video time on the timeline (90 kHz): how much media time arrived (download progress). */
  private lastDts: number | null = null;
  private bitrateWindow: { at: number; bytes: number }[] = [];
  private closed = false;
  /**
   * H.264 goes to HTTP-FLV straight from here (no ffmpeg on that path). FLV is muxed only while a viewer is subscribed:
   * the frames of the current GOP are kept as they are (the access units, no copy), and the first viewer's subscribe()
   * muxes them at once (a fresh FlvMuxer, led by the last SPS/PPS), so it starts at the GOP's keyframe as before.
   */
  private flvMuxer: FlvMuxer | null = null;
  /** The stream is H.264 live: FLV can be made. */
  private flvOn = false;
  private flvGop: FlvInput[] = [];
  private flvGopBytes = 0;
  /** The last SPS and PPS seen (a camera may send them only now and then): they lead a fresh muxer's first keyframe. */
  private sps: Buffer | null = null;
  private pps: Buffer | null = null;

  constructor(private readonly opts: MediaSessionOptions) {
    super();
    this.receiver = new RtpReceiver({ transport: opts.transport, bindHost: opts.bindHost, port: opts.port, ssrc: opts.ssrc, mux: opts.mux });
    this.receiver.on('packet', (p) => this.onPacket(p));
    this.receiver.on('error', (e) => {
      if (e instanceof StreamFailure && !this.closed) this.emit('failed', e);
    });
    this.flv.onSubscribe = () => {
      if (this.flvOn && !this.flvMuxer && !this.closed) this.primeFlv();
    };
  }

  get hlsDir(): string {
    return join(this.opts.hlsRoot, this.opts.streamId);
  }

  open(): Promise<void> {
    return this.receiver.open();
  }

  private onPacket(p: RtpPacket): void {
    const meta = this.pushMeta;
    meta.lost = this.lastSeq !== null && seqDiff(p.sequenceNumber, this.lastSeq) !== 1;
    meta.marker = p.marker;
    this.lastSeq = p.sequenceNumber;
    const units = this.units;
    units.length = 0;
    try {
      this.demuxer.push(p.payload, meta, units);
    } catch {
      return; // bound violations drop the unit; the demuxer resyncs
    }
    for (let i = 0; i < units.length; i++) this.onUnit(units[i]!);
    units.length = 0;
  }

  private onUnit(au: PsAccessUnit): void {
    if (this.closed) return;
    if (au.kind === 'audio' && CAMERA_AUDIO.includes(au.codec)) this.audioCodec ??= au.codec as CameraAudioCodec;
    if (au.kind === 'video' && (au.codec === 'h264' || au.codec === 'h265')) {
      if (!this.start.admit(au.keyframe)) return;
      if (!this.codec) {
        this.codec = au.codec;
        const r = findResolution(au.data, au.codec);
        if (r) {
          this.width = r.width;
          this.height = r.height;
        }
        if (!this.opts.mp4Path && (this.opts.silentAudio || this.declaredAudio() !== null)) {
          this.audio = new StreamAudioTrack({ ffmpegPath: this.opts.ffmpegPath, onFrame: (f) => this.onAacFrame(f) });
        }
        if (au.codec === 'h264' && !this.opts.mp4Path) {
          this.flvOn = true;
          this.flv.pushHeader(FlvMuxer.header({ audio: this.audio !== null }));
        }
        this.startRemuxer();
      }
      // The remuxer gets the camera's own timestamps (it keeps a timeline of its own); FLV is timed here.
      const t = this.timeline.stamp(au.pts, au.dts);
      this.lastDts = t.dts;
      if (this.flvOn) this.flvVideo({ video: true, data: au.data, pts: t.pts, dts: t.dts, keyframe: au.keyframe });
      this.firstFrameAt ??= Date.now();
      const now = Date.now();
      this.bitrateWindow.push({ at: now, bytes: au.data.length });
      while (this.bitrateWindow.length && this.bitrateWindow[0]!.at < now - 5000) this.bitrateWindow.shift();
    }
    if (!this.remuxer) return; // audio before the first keyframe: only its codec is noted (above)
    if (au.kind === 'video') {
      this.remuxer.write(au);
      // silence due up to this frame, after it (the HLS segment it belongs to is open by now)
      if (au.pts !== undefined) this.audio?.video(au.pts);
    } else if (this.opts.mp4Path) {
      this.remuxer.write(au); // a download's ffmpeg transcodes the camera's audio itself
    } else if (this.audio) {
      this.audio.camera(au);
    } else if (CAMERA_AUDIO.includes(au.codec)) {
      if (this.audioUnitsUndeclared++ === 0) this.opts.onUndeclaredAudio?.(au.codec);
    }
    this.emit('accessUnit', au);
  }

  /** The audio codec the camera's PSM declares (so audio may start after the video), or the one already seen. */
  private declaredAudio(): CameraAudioCodec | null {
    if (this.audioCodec) return this.audioCodec;
    const s = this.demuxer.streams.find((x) => x.kind === 'audio' && CAMERA_AUDIO.includes(x.codec));
    return (s?.codec as CameraAudioCodec | undefined) ?? null;
  }

  /** A video frame for FLV: kept for the GOP; muxed when someone watches (the first viewer primes the muxer). */
  private flvVideo(v: FlvInput & { video: true }): void {
    if (v.keyframe) {
      this.flvGop = [];
      this.flvGopBytes = 0;
      for (const n of splitAnnexB(v.data)) {
        const type = h264NalType(n);
        if (type === 7) this.sps = n;
        else if (type === 8) this.pps = n;
      }
    }
    this.keepFlv(v, v.data.length);
    if (this.flv.subscribers === 0) {
      this.stopFlv();
      this.flv.noteVideo();
    } else if (!this.flvMuxer) this.primeFlv(); // a viewer that came before the first keyframe
    else this.muxFlv(v);
  }

  /** Within FLV_MAX_GOP_BYTES, as FlvFanout bounds its own GOP of tags. */
  private keepFlv(x: FlvInput, bytes: number): void {
    if (this.flvGopBytes + bytes > FLV_MAX_GOP_BYTES) return;
    this.flvGop.push(x);
    this.flvGopBytes += bytes;
  }

  /** Nobody watches: no muxing, and the tags kept for late joiners go (the next first viewer primes a fresh muxer). */
  private stopFlv(): void {
    if (!this.flvMuxer) return;
    this.flvMuxer = null;
    this.flv.dropCached();
  }

  /** A first viewer: a fresh muxer catches up on the GOP kept so far (led by the last SPS/PPS), then muxes live. */
  private primeFlv(): void {
    const m = new FlvMuxer();
    this.flvMuxer = m;
    const first = this.flvGop[0];
    if (first?.video && this.sps && this.pps) {
      try {
        for (const tag of m.videoTags(Buffer.concat([START_CODE, this.sps, START_CODE, this.pps]), first.pts, first.dts, true)) this.flv.pushTag(tag);
      } catch {
        // an SPS FLV cannot carry: the keyframe's own (if any) is tried below
      }
    }
    for (const x of this.flvGop) this.muxFlv(x);
  }

  private muxFlv(x: FlvInput): void {
    const m = this.flvMuxer!;
    try {
      const tags = x.video ? m.videoTags(x.data, x.pts, x.dts, x.keyframe) : m.audioTags(x.raw, GATEWAY_AAC_CONFIG, x.at);
      for (const tag of tags) this.flv.pushTag(tag);
    } catch {
      // a frame FLV cannot carry (an SPS too short) is left out of FLV only
    }
  }

  /** One frame of the AAC track to every live output, each placing it on its own timeline. */
  private onAacFrame(f: AacTrackFrame): void {
    if (this.closed) return;
    if (this.flvOn && this.flvGop.length > 0) {
      const at = this.timeline.place(f.pts);
      if (at !== null) {
        const a: FlvInput = { video: false, raw: f.raw, at };
        this.keepFlv(a, f.raw.length);
        if (this.flvMuxer && this.flv.subscribers > 0) this.muxFlv(a);
      }
    }
    this.remuxer?.write({ kind: 'audio', codec: 'aac', streamId: PS_AUDIO_STREAM_ID, pts: f.pts, keyframe: true, data: adtsFrame(GATEWAY_AAC_CONFIG, f.raw) });
    this.emit('aacFrame', f); // renditions (H.264 of an H.265 stream) carry the same track
  }

  private startRemuxer(): void {
    const internal = this.opts.hlsMuxer === 'internal' && this.codec === 'h264' && !this.opts.mp4Path;
    // Live: the AAC track (copied by ffmpeg, led by a silent frame it finds the stream by); a download: the camera's audio.
    const audio = this.opts.mp4Path ? (this.audioCodec ?? undefined) : this.audio ? 'aac' : undefined;
    const ffmpeg = (restart = 0) => new FfmpegRemuxer({
      ffmpegPath: this.opts.ffmpegPath,
      video: this.codec!,
      audio,
      leadAudio: this.audio ? adtsFrame(GATEWAY_AAC_CONFIG, aacSilentFrame(GATEWAY_AAC_CONFIG.channels)) : undefined,
      outputs: this.opts.mp4Path ? { hlsDir: this.hlsDir, mp4Path: this.opts.mp4Path } : { hlsDir: this.hlsDir, store: this.hls },
      continuePlaylist: restart > 0,
    });
    // Live HLS through ffmpeg survives a dead ffmpeg (restarted at the next keyframe); a download's MP4 could not continue.
    const r: Remuxer = internal ? new InternalHlsRemuxer({ hlsDir: this.hlsDir, store: this.hls, audio: this.audio !== null }) : this.opts.mp4Path ? ffmpeg() : new RestartingRemuxer({ start: ffmpeg });
    if (r instanceof RestartingRemuxer) this.restarting = r;
    r.on('exit', (code, signal) => {
      if (this.closed) return;
      this.emit('failed', this.restarting?.failure ?? new Error(`${internal ? 'HLS remuxer' : 'ffmpeg'} ${describeExit({ code, signal })}: ${r.stderrTail.trim().split('\n').slice(-3).join(' | ')}`));
    });
    this.remuxer = r;
    this.emit('ready');
  }

  /** Seconds of media received so far, by the video timeline (from 0 at the first keyframe; right across a PTS wrap). */
  get mediaSeconds(): number {
    return this.lastDts === null ? 0 : this.lastDts / 90_000;
  }

  info(): MediaSessionInfo {
    const s = this.receiver.stats;
    const bytes = this.bitrateWindow.reduce((a, b) => a + b.bytes, 0);
    const span = this.bitrateWindow.length > 1 ? (this.bitrateWindow.at(-1)!.at - this.bitrateWindow[0]!.at) / 1000 : 0;
    return {
      codec: this.codec,
      audioCodec: this.audioCodec,
      width: this.width,
      height: this.height,
      bitrateKbps: span > 0 ? Math.round((bytes * 8) / span / 1000) : 0,
      packets: s.packets,
      packetsLost: s.lost,
      wrongSsrc: s.wrongSsrc,
      garbage: s.garbage,
      source: s.source,
      firstPacketAt: s.firstPacketAt,
      firstFrameAt: this.firstFrameAt,
      remuxRestarts: this.restarting?.restarts ?? 0,
      remuxLastExit: this.restarting?.lastExit ? describeExit(this.restarting.lastExit) : null,
      audioTrack: this.audio !== null,
      audioUndeclaredUnits: this.audioUnitsUndeclared,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.receiver.close();
    this.flvGop = [];
    this.flvMuxer = null;
    this.flv.close();
    this.hls.close();
    await Promise.all([this.audio?.close(), this.remuxer?.close()]);
  }
}
