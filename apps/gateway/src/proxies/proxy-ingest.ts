import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import {
  AdtsFramer, AnnexBAuSplitter, PsMuxer, TIMESTAMP_WRAP_90K, aacFrameDuration90k, frameRfc4571, packetizePs, serializeRtpPacket, type SplitAccessUnit,
} from '@gb/gb28181';
import { causeFromFfmpeg, type IngestCause } from './ffmpeg-cause';
import { IngestBackoff } from './ingest-backoff';

/** Largest access unit taken from ffmpeg's output (a 4K keyframe fits). */
export const MAX_PROXY_AU_BYTES = 4 * 1024 * 1024;
/** ffmpeg's stderr kept for the cause. */
export const MAX_INGEST_STDERR_CHARS = 8_192;
/** ffmpeg gives up a read or connect that stalls this long (-rw_timeout); the reconnect back-off takes over. */
export const INGEST_IO_TIMEOUT_MS = 10_000;
/**
 * Access units held until ffmpeg's stderr shows its stream mapping (stdout and stderr are separate pipes: the first
 * picture may be read before the input dump that says whether there is audio). Past this they go on regardless.
 */
export const MAX_UNITS_BEFORE_MAPPING = 64;
/** A sink whose TCP connection has this much unsent data drops frames until the next keyframe. */
export const MAX_SINK_BUFFERED_BYTES = 8 * 1024 * 1024;

export type IngestState = 'idle' | 'connecting' | 'live' | 'retrying' | 'failed';
export type ProxyCodec = 'h264' | 'h265';
/** Audio a proxy carries to its stream (declared in the PSM from the first keyframe). */
export type ProxyAudioCodec = 'aac' | 'g711a' | 'g711u';

/** The pull's audio: ffmpeg encodes it to the gateway's AAC (LC 16 kHz mono 32 kb/s), which the stream then copies. */
export const PROXY_AAC_ARGS: readonly string[] = ['-c:a', 'aac', '-ar', '16000', '-ac', '1', '-b:a', '32k'];
/** Pulled audio that runs this far ahead of its arrival (ffmpeg's probe buffer flushed at once) is dropped. */
export const MAX_PROXY_AUDIO_LEAD_90K = 300 * 90;
/** Pulled audio that falls this far behind its arrival (a gap in the source) is re-anchored at its arrival. */
export const MAX_PROXY_AUDIO_LAG_90K = 200 * 90;

export interface ProxyIngestOptions {
  /** The source URL with credentials already in it (see withCredentials). */
  url: string;
  ffmpegPath: string;
  /** For logs and causes: the URL without its password. */
  label: string;
  backoff?: IngestBackoff;
  log?: (level: 'log' | 'warn', m: string) => void;
}

export interface IngestUnit extends SplitAccessUnit {
  codec: ProxyCodec;
  /** 90 kHz, from the wall clock at arrival (ffmpeg's raw output carries no timestamps). */
  pts90k: number;
  /** The audio this source carries (the sink declares it in the PSM at a keyframe); undefined: video only. */
  audio?: ProxyAudioCodec;
}

/** One audio frame of a proxy (AAC: one ADTS frame; G.711: its bytes), on the video's 90 kHz timeline. */
export interface IngestAudio {
  codec: ProxyAudioCodec;
  data: Buffer;
  pts90k: number;
}

/**
 * Times pulled AAC frames on the video's arrival timeline: frame after frame by their duration (ADTS carries no time),
 * anchored at the first frame's arrival; re-anchored at arrival when the frames fall more than MAX_PROXY_AUDIO_LAG_90K
 * behind (a gap), dropped (null) while they run more than MAX_PROXY_AUDIO_LEAD_90K ahead (a burst at start).
 */
export class ArrivalAudioClock {
  private next?: number;
  dropped = 0;

  /** `arrival90k` unwrapped; the result too (or null: drop the frame). */
  at(arrival90k: number, frame90k: number): number | null {
    if (this.next === undefined || arrival90k - this.next > MAX_PROXY_AUDIO_LAG_90K) this.next = arrival90k;
    if (this.next - arrival90k > MAX_PROXY_AUDIO_LEAD_90K) {
      this.dropped++;
      return null;
    }
    const t = this.next;
    this.next += frame90k;
    return t;
  }
}

/**
 * The ffmpeg command line of a pull: the first video stream copied as Annex B to stdout and the first audio stream, if
 * the source has one, as ADTS AAC (PROXY_AAC_ARGS) to fd 3. One tee output with two slaves rather than two outputs:
 * ffmpeg refuses an output without streams ("Output file #1 does not contain any stream"), which a `-map 0:a:0?` of a
 * source without audio leaves; the tee's audio slave then fails alone (onfail=ignore) and the video goes on. (A second
 * try without audio would cost a reconnect, and a single-client source such as `ffmpeg -listen 1` is gone by then.)
 */
export function ingestArgs(url: string, codec: ProxyCodec): string[] {
  const scheme = url.slice(0, url.indexOf(':')).toLowerCase();
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    // The RTSP demuxer has its own sockets (-timeout, µs); every other protocol takes the generic -rw_timeout (µs).
    ...(scheme === 'rtsp' || scheme === 'rtsps' ? ['-rtsp_transport', 'tcp', '-timeout'] : ['-rw_timeout']), String(INGEST_IO_TIMEOUT_MS * 1000),
    '-fflags', '+nobuffer+genpts', '-probesize', '1000000', '-analyzeduration', '1000000',
    '-i', url,
    '-map', '0:v:0', '-map', '0:a:0?', '-c:v', 'copy', ...PROXY_AAC_ARGS, '-flush_packets', '1',
    '-f', 'tee', `[select=v:f=${codec === 'h265' ? 'hevc' : 'h264'}]pipe\\:1|[select=a:f=adts:onfail=ignore]pipe\\:3`,
  ];
}

/** The URL with username/password put in as userinfo (percent-encoded); srt:// takes the password as passphrase. */
export function withCredentials(url: string, username: string | null, password: string | null): string {
  if (!username && !password) return url;
  const u = new URL(url);
  if (u.protocol === 'srt:') {
    if (password) u.searchParams.set('passphrase', password);
    return u.toString();
  }
  if (username) u.username = encodeURIComponent(username);
  if (password) u.password = encodeURIComponent(password);
  return u.toString();
}

/** The URL for people: userinfo and query secrets masked. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/pass|key|token|secret|auth/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Pulls one source with ffmpeg (`-c copy`, Annex B on stdout), cuts it into access units and hands them on; tries
 * again after a failure with a doubling back-off (1 s .. 30 s) until stop(). States: connecting (ffmpeg started, no
 * frame yet), live (frames flow), retrying (waiting for the next try; `cause` says why the last one ended),
 * failed (stopped after a failure: an on-demand source whose viewer gave up), idle (stopped).
 */
export class ProxyIngest extends EventEmitter<{ unit: [IngestUnit]; audio: [IngestAudio]; state: [IngestState]; attemptFailed: [IngestCause] }> {
  state: IngestState = 'idle';
  cause: IngestCause | null = null;
  codec: ProxyCodec = 'h264';
  /** The running try's audio: 'aac' once ffmpeg's input dump names an audio stream (it comes before any output). */
  audio: ProxyAudioCodec | undefined;
  /** AAC frames dropped by the arrival clock (a burst ahead of real time), bytes not ADTS skipped. */
  audioDropped = 0;
  stateAt = Date.now();
  /** Tries that ended (any cause) since start. */
  attempts = 0;
  private child?: ChildProcess;
  private timer?: NodeJS.Timeout;
  private readonly backoff: IngestBackoff;
  private readonly t0 = Date.now();
  private running = false;

  constructor(private readonly o: ProxyIngestOptions) {
    super();
    this.backoff = o.backoff ?? new IngestBackoff();
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt();
  }

  /** Stops the child and any pending retry; the state becomes `final` (the cause is kept). */
  stop(final: 'idle' | 'failed' = 'idle'): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    const c = this.child;
    this.child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    this.setState(final);
  }

  private setState(s: IngestState): void {
    if (this.state === s) return;
    this.state = s;
    this.stateAt = Date.now();
    this.emit('state', s);
  }

  private attempt(): void {
    this.timer = undefined;
    if (!this.running) return;
    this.setState('connecting');
    const codec = this.codec;
    this.audio = undefined;
    const child = spawn(this.o.ffmpegPath, ingestArgs(this.o.url, codec), { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    this.child = child;
    const splitter = new AnnexBAuSplitter(codec, MAX_PROXY_AU_BYTES);
    let stderr = '';
    let mapped = false;
    const pending: SplitAccessUnit[] = [];
    const framer = new AdtsFramer();
    const clock = new ArrivalAudioClock();
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      const frames = framer.push(chunk);
      const arrival = (Date.now() - this.t0) * 90;
      for (const f of frames) {
        const t = clock.at(arrival, aacFrameDuration90k(f.config));
        if (t === null) {
          this.audioDropped++;
          continue;
        }
        this.emit('audio', { codec: 'aac', data: f.frame, pts90k: Math.round(t) % TIMESTAMP_WRAP_90K });
      }
    });
    const out: SplitAccessUnit[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      try {
        splitter.push(chunk, undefined, undefined, out);
      } catch {
        splitter.reset(); // an oversized unit: dropped, the splitter starts at the next start code
        out.length = 0;
      }
      // Until ffmpeg's stream mapping is read from stderr, whether the source has audio is not known: units wait.
      if (!mapped && pending.length + out.length <= MAX_UNITS_BEFORE_MAPPING) pending.push(...out);
      else for (const au of out) this.onUnit(au, codec);
      out.length = 0;
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-MAX_INGEST_STDERR_CHARS);
      // The input dump comes before any output: the PSM of the first keyframe can declare the audio.
      if (!this.audio && this.child === child && /Stream #0:\d+.*?: Audio: /.test(stderr)) this.audio = 'aac';
      // "Stream mapping:" follows the input dump and comes before any output: the audio is known by then.
      if (!mapped && this.child === child && stderr.includes('Stream mapping:')) {
        mapped = true;
        for (const au of pending.splice(0)) this.onUnit(au, codec);
      }
    });
    child.on('error', (e) => {
      stderr += `\n${e.message}`;
    });
    child.on('close', (code, signal) => {
      if (this.child !== child) return; // stopped, or replaced
      this.child = undefined;
      this.attempts++;
      const cause = causeFromFfmpeg(stderr, { code, signal });
      // The raw muxer refuses another codec: the input line says which it is; the next try copies that one at once.
      const m = /Stream #0:\d+.*?: Video: (h264|hevc)/.exec(stderr);
      const found: ProxyCodec | null = m ? (m[1] === 'hevc' ? 'h265' : 'h264') : null;
      if (found && found !== codec && this.state === 'connecting') {
        this.codec = found;
        this.o.log?.('log', `${this.o.label}: the source is ${found}; pulling again`);
        return this.attempt();
      }
      this.cause = cause;
      this.o.log?.('warn', `${this.o.label}: ${cause.code}: ${cause.message}`);
      this.emit('attemptFailed', cause);
      if (!this.running) return;
      this.setState('retrying');
      this.timer = setTimeout(() => this.attempt(), this.backoff.next());
    });
  }

  private onUnit(au: SplitAccessUnit, codec: ProxyCodec): void {
    if (this.state !== 'live') {
      this.backoff.reset();
      this.setState('live');
    }
    const pts90k = Math.round((Date.now() - this.t0) * 90) % TIMESTAMP_WRAP_90K;
    this.emit('unit', { ...au, codec, pts90k, audio: this.audio });
  }
}

/**
 * Where a proxied stream's units go: the stream session's receiver, as a GB device would send them (PS in RTP,
 * RFC 4571 framing over TCP to the session's passive port). Keeps the demux/remux path one for GB and proxy streams.
 */
export class PsTcpSink {
  private sock?: net.Socket;
  private muxer?: PsMuxer;
  private muxCodec?: ProxyCodec;
  private muxAudio?: ProxyAudioCodec;
  private seq = Math.floor(Math.random() * 0x10000);
  private closed = false;
  /** Dropping until the next keyframe (congested connection). */
  private skipping = true;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly ssrc: number,
  ) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port, noDelay: true });
      s.once('connect', () => {
        s.on('error', () => undefined);
        this.sock = s;
        if (this.closed) s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
  }

  send(u: IngestUnit): void {
    const s = this.sock;
    if (this.closed || !s || s.destroyed) return;
    if (s.writableLength > MAX_SINK_BUFFERED_BYTES) this.skipping = true;
    if (this.skipping && !u.keyframe) return;
    this.skipping = false;
    // The audio codec is declared in the PSM, written with keyframes: a change waits for one.
    if (!this.muxer || this.muxCodec !== u.codec || (u.keyframe && this.muxAudio !== u.audio)) {
      this.muxer = new PsMuxer({ video: u.codec, audio: u.audio });
      this.muxCodec = u.codec;
      this.muxAudio = u.audio;
    }
    this.write(s, this.muxer.muxVideo(u.data, u.pts90k, u.keyframe), u.pts90k);
  }

  /** An audio frame: sent once a keyframe declared its codec (before that, or while skipping, it is dropped). */
  sendAudio(a: IngestAudio): void {
    const s = this.sock;
    if (this.closed || !s || s.destroyed || this.skipping || !this.muxer || this.muxAudio !== a.codec) return;
    this.write(s, this.muxer.muxAudio(a.data, a.pts90k), a.pts90k);
  }

  private write(s: net.Socket, ps: Buffer, pts90k: number): void {
    const payloads = packetizePs(ps);
    const frames = payloads.map((payload, i) => {
      const pkt = serializeRtpPacket({ payloadType: 96, sequenceNumber: this.seq, timestamp: pts90k >>> 0, ssrc: this.ssrc, marker: i === payloads.length - 1, payload });
      this.seq = (this.seq + 1) & 0xffff;
      return frameRfc4571(pkt);
    });
    s.write(Buffer.concat(frames));
  }

  close(): void {
    this.closed = true;
    this.sock?.destroy();
  }
}
