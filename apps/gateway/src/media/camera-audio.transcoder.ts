import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import {
  AAC_SAMPLES_PER_FRAME, AdtsFramer, G711_SAMPLE_RATE, GATEWAY_AAC_CONFIG, PcmUpsampler2x, SampleClock, aacSampleRate, decodeG711, readAdtsFrame, sameAacConfig,
  type AacConfig, type PsAccessUnit,
} from '@gb/gb28181';

/** One AAC frame of GATEWAY_AAC_CONFIG on the camera's clock (90 kHz, 33 bits). */
export interface TranscodedAacFrame {
  raw: Buffer;
  pts: number;
}

export interface CameraAudioTranscoderOptions {
  ffmpegPath: string;
  onFrame(frame: TranscodedAacFrame): void;
  /** AAC bit rate of the transcode (kb/s). Default AAC_TRANSCODE_BITRATE_KBPS. */
  bitrateKbps?: number;
  now?: () => number;
}

/** 32 kb/s AAC-LC at 16 kHz mono: speech and alarms, like the cameras' own AAC settings. */
export const AAC_TRANSCODE_BITRATE_KBPS = 32;
/** Bytes queued to the encoder's stdin above which camera audio is dropped (~8 s of 16 kHz PCM): a stalled encoder costs no memory. */
export const AAC_TRANSCODE_MAX_QUEUED_BYTES = 256 * 1024;
/** Encoder deaths tolerated within AAC_TRANSCODE_RESTART_WINDOW_MS; one more and the stream's audio stays silent. */
export const AAC_TRANSCODE_MAX_RESTARTS = 3;
export const AAC_TRANSCODE_RESTART_WINDOW_MS = 60_000;
/**
 * Samples the encoder (ffmpeg's native AAC) puts in front of the audio (its initial padding): output sample n is input
 * sample n − 1024, so the first frame out holds no input and is dropped.
 */
export const AAC_ENCODER_PRIMING_SAMPLES = 1024;

let running = 0;
/** Transcoding ffmpeg children of this process now (a metrics figure beside runningFfmpegRemuxers()). */
export function runningAudioTranscoders(): number {
  return running;
}

/**
 * The camera's audio as AAC of one configuration (GATEWAY_AAC_CONFIG), timed on the camera's clock, for the in-process
 * FLV and MPEG-TS muxers (and the HLS ffmpeg, which then copies it):
 *
 *   G.711 A/µ ─▶ decode (table) ─▶ 8 → 16 kHz (linear) ─▶ ffmpeg -f s16le … -c:a aac -f adts ─▶ ADTS frames
 *   AAC of another configuration ─────────────────────────▶ ffmpeg -f aac … -c:a aac -f adts ─▶ ADTS frames
 *   AAC of GATEWAY_AAC_CONFIG ────────────────────────────────────────────────────────────────▶ as it came
 *
 * ADTS carries no time, so an output frame is timed by counting samples: a SampleClock maps sample n of what went in
 * (gaps up to 1 s filled with silence, larger ones re-anchored) back to the camera timestamp it came with. One ffmpeg per
 * stream with audio, started on the first unit that needs it; when it dies it is restarted on the next unit (at most
 * AAC_TRANSCODE_MAX_RESTARTS within a minute, then audio is given up: `failure`). Never throws at the caller.
 */
export class CameraAudioTranscoder {
  private child: ChildProcessWithoutNullStreams | null = null;
  private input: { kind: 'g711'; law: 'alaw' | 'ulaw' } | { kind: 'adts'; rate: number } | null = null;
  private clock: SampleClock | null = null;
  private upsampler = new PcmUpsampler2x();
  private framer = new AdtsFramer();
  private framesOut = 0;
  private deaths: number[] = [];
  private closed = false;
  private stderr = '';
  /** Why audio was given up (the encoder kept dying), or null. */
  failure: string | null = null;
  /** Camera audio units dropped: undecodable, untimeable, or the encoder fell behind. */
  dropped = 0;
  /** Encoders started after one died. */
  restarts = 0;
  private readonly now: () => number;

  constructor(private readonly opts: CameraAudioTranscoderOptions) {
    this.now = opts.now ?? Date.now;
  }

  get stderrTail(): string {
    return this.stderr;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** One camera audio unit (G.711 A/µ or AAC in ADTS). */
  write(au: PsAccessUnit): void {
    if (this.closed || this.failure || au.kind !== 'audio') return;
    if (au.codec === 'g711a' || au.codec === 'g711u') return this.writeG711(au.codec === 'g711a' ? 'alaw' : 'ulaw', au);
    if (au.codec === 'aac') return this.writeAac(au);
    this.dropped++;
  }

  /** Idempotent: stops the encoder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopChild();
  }

  private writeG711(law: 'alaw' | 'ulaw', au: PsAccessUnit): void {
    if (this.input?.kind !== 'g711' || this.input.law !== law) this.restartFor({ kind: 'g711', law });
    if (!this.ensureChild() || this.backlogged()) return void this.dropped++;
    const step = this.clock!.push(au.pts, au.data.length);
    if (!step) return void this.dropped++;
    if (step.fill > 0) this.send(this.upsampler.silence(step.fill));
    this.send(this.upsampler.push(decodeG711(law, au.data)));
  }

  private writeAac(au: PsAccessUnit): void {
    // A PES may hold several ADTS frames; each is timed 1024 samples after the previous one.
    const frames: { config: AacConfig; raw: Buffer; frame: Buffer }[] = [];
    try {
      for (let off = 0; off < au.data.length; ) {
        const f = readAdtsFrame(au.data, off);
        if (!f) break;
        frames.push(f);
        off += f.frame.length;
      }
    } catch {
      // a broken header: what was read before it still goes
    }
    if (frames.length === 0) return void this.dropped++;
    const config = frames[0]!.config;
    if (sameAacConfig(config, GATEWAY_AAC_CONFIG)) {
      if (au.pts === undefined) return void this.dropped++;
      const step = (AAC_SAMPLES_PER_FRAME * 90_000) / aacSampleRate(config);
      frames.forEach((f, i) => this.emit({ raw: Buffer.from(f.raw), pts: au.pts! + Math.round(i * step) }));
      return;
    }
    const rate = aacSampleRate(config);
    if (this.input?.kind !== 'adts' || this.input.rate !== rate) this.restartFor({ kind: 'adts', rate });
    if (!this.ensureChild() || this.backlogged()) return void this.dropped++;
    // Gaps in camera AAC are not filled (no silence of its configuration at hand): they re-anchor the clock.
    const step = this.clock!.push(au.pts, frames.length * AAC_SAMPLES_PER_FRAME);
    if (!step) return void this.dropped++;
    for (const f of frames) this.send(f.frame);
  }

  /** The input changed (codec or rate): the next unit starts a new encoder (and a new run of samples). */
  private restartFor(input: NonNullable<CameraAudioTranscoder['input']>): void {
    if (this.child) void this.stopChild();
    this.input = input;
  }

  private backlogged(): boolean {
    return (this.child?.stdin.writableLength ?? 0) > AAC_TRANSCODE_MAX_QUEUED_BYTES;
  }

  private send(b: Buffer): void {
    this.child?.stdin.write(b);
  }

  /** Starts the encoder for the current input when none runs; false once audio was given up. */
  private ensureChild(): boolean {
    if (this.child) return true;
    if (this.failure || this.closed || !this.input) return false;
    const input = this.input;
    const args = transcodeArgs(input.kind === 'g711' ? { pcmRate: 2 * G711_SAMPLE_RATE } : { adts: true }, this.opts.bitrateKbps ?? AAC_TRANSCODE_BITRATE_KBPS);
    const child = spawn(this.opts.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    running++;
    // A new encoder starts a new run: sample 0 of its input is the next unit.
    this.clock = new SampleClock({ sampleRate: input.kind === 'g711' ? G711_SAMPLE_RATE : input.rate, ...(input.kind === 'adts' ? { maxGapFill90k: 0 } : {}) });
    this.upsampler = new PcmUpsampler2x();
    this.framer = new AdtsFramer();
    this.framesOut = 0;
    const clock = this.clock;
    const inRate = input.kind === 'g711' ? G711_SAMPLE_RATE : input.rate;
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (d: Buffer) => {
      if (this.child !== child) return;
      for (const f of this.framer.push(d)) this.onEncoded(f.raw, clock, inRate);
    });
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-2000);
    });
    let exited = false;
    const onExit = (why: string) => {
      if (exited) return;
      exited = true;
      running--;
      if (this.child !== child) return;
      this.child = null;
      if (this.closed) return;
      this.stderr = `${this.stderr}\nencoder ${why}`.slice(-2000);
      const at = this.now();
      this.deaths = [...this.deaths.filter((t) => at - t < AAC_TRANSCODE_RESTART_WINDOW_MS), at];
      if (this.deaths.length > AAC_TRANSCODE_MAX_RESTARTS) this.failure = `the AAC encoder (ffmpeg) died ${this.deaths.length} times within ${AAC_TRANSCODE_RESTART_WINDOW_MS / 1000} s: ${this.stderr.trim().split('\n').slice(-2).join(' | ')}`;
      else this.restarts++;
    };
    child.on('exit', (code, signal) => onExit(signal ? `killed by ${signal}` : `exited with code ${code}`));
    child.on('error', (e) => onExit(`failed to start: ${e.message}`));
    return true;
  }

  /**
   * Output frame k starts at output sample k · 1024, which is input sample k · 1024 − AAC_ENCODER_PRIMING_SAMPLES (at
   * the output rate; scaled to the input's): frame 0 is the encoder's priming and holds no input.
   */
  private onEncoded(raw: Buffer, clock: SampleClock, inRate: number): void {
    const k = this.framesOut++;
    const atOutRate = k * AAC_SAMPLES_PER_FRAME - AAC_ENCODER_PRIMING_SAMPLES;
    if (atOutRate < 0) return;
    const index = Math.round((atOutRate * inRate) / aacSampleRate(GATEWAY_AAC_CONFIG));
    const pts = clock.ptsAt(index);
    clock.prune(index);
    if (pts === null) return;
    this.emit({ raw, pts });
  }

  private emit(f: TranscodedAacFrame): void {
    try {
      this.opts.onFrame(f);
    } catch {
      // the consumer's failure is its own
    }
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdin.end();
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(t);
  }
}

/**
 * ffmpeg reads 16-bit PCM (or ADTS AAC) on stdin without probing and writes ADTS AAC-LC 16 kHz mono on stdout, each
 * packet flushed as it is encoded (no output buffering: the frames are live).
 */
export function transcodeArgs(input: { pcmRate: number } | { adts: true }, bitrateKbps = AAC_TRANSCODE_BITRATE_KBPS): string[] {
  const inArgs = 'pcmRate' in input ? ['-f', 's16le', '-ar', String(input.pcmRate), '-ac', '1'] : ['-f', 'aac'];
  return [
    '-hide_banner', '-loglevel', 'warning', '-nostdin',
    '-fflags', '+nobuffer', '-probesize', '32', '-analyzeduration', '0',
    ...inArgs, '-i', 'pipe:0',
    '-vn', '-c:a', 'aac', '-b:a', `${bitrateKbps}k`, '-ar', String(aacSampleRate(GATEWAY_AAC_CONFIG)), '-ac', String(GATEWAY_AAC_CONFIG.channels),
    '-flush_packets', '1', '-f', 'adts', 'pipe:1',
  ];
}
