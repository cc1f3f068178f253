import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { AnnexBAuSplitter, KeyframeGate, type PsAccessUnit, type SplitAccessUnit } from '@gb/gb28181';

export interface H264TranscoderOptions {
  ffmpegPath: string;
  /** Scale down to at most this many lines (keeping the aspect ratio); 0 or absent: the camera's size. */
  maxHeight?: number;
  /** Keyframe interval in frames (default TRANSCODE_GOP_FRAMES). */
  gopFrames?: number;
}

/** Keyframe interval of the H.264 rendition in frames (1 s at 25 fps): HLS segments are cut at 1 s, a joining viewer waits at most this long. */
export const TRANSCODE_GOP_FRAMES = 25;
/** Most bytes queued to the transcoder's stdin before H.265 frames are dropped to the next keyframe (a stalled ffmpeg must not grow memory). */
export const TRANSCODE_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** Most source timestamps waiting for their transcoded frame (one per frame in flight inside ffmpeg). */
export const TRANSCODE_MAX_PENDING_FRAMES = 250;
/** Largest H.264 access unit taken from ffmpeg's output. */
export const TRANSCODE_MAX_UNIT_BYTES = 8 * 1024 * 1024;
/** ffmpeg's last stderr bytes kept for the failure message. */
const STDERR_TAIL = 4096;

/**
 * The ffmpeg arguments of one H.265 -> H.264 transcode: Annex B H.265 on stdin, Annex B H.264 on stdout.
 * libx264 ultrafast + zerolatency (no B-frames, no lookahead, no frame delay: one frame out per frame in, in order),
 * `-fps_mode passthrough` (no frame duplicated or dropped: the output frames map 1:1 onto the input ones, so the
 * camera's timestamps are carried over by counting), 8-bit 4:2:0 (what every browser's H.264 decoder takes), no audio.
 * A frame arrives about two frames after it went in (the input parser and our output splitter each wait for the next
 * frame's start). Frames the decoder discards (RASL pictures after a CRA the stream starts at) shift the timestamps by
 * that many frame durations, a constant offset of a video-only output.
 */
export function h264TranscodeArgs(o: Pick<H264TranscoderOptions, 'maxHeight' | 'gopFrames'> = {}): string[] {
  const gop = o.gopFrames ?? TRANSCODE_GOP_FRAMES;
  const vf = o.maxHeight && o.maxHeight > 0 ? ['-vf', `scale=-2:'min(ih,${Math.floor(o.maxHeight / 2) * 2})'`] : [];
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    // No probing beyond the first bytes (a low-bitrate camera would otherwise wait to fill the probe; -fflags nobuffer
    // would lose the probed frames: the keyframe); slice threads
    // only in the decoder (frame threads hold back a frame per thread).
    '-probesize', '32', '-analyzeduration', '0', '-thread_type', 'slice',
    '-f', 'hevc', '-i', 'pipe:0',
    '-map', '0:v:0', '-an', ...vf,
    '-fps_mode', 'passthrough',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
    '-g', String(gop), '-keyint_min', String(Math.max(1, Math.floor(gop / 2))), '-sc_threshold', '0',
    '-flush_packets', '1', '-f', 'h264', 'pipe:1',
  ];
}

/** Pairs transcoded frames with the source frames' timestamps, in order (see h264TranscodeArgs: one out per one in). */
export class TimestampQueue {
  private readonly q: { pts?: number; dts?: number }[] = [];
  private last: { pts?: number; dts?: number } = {};
  /** Frames whose timestamps were dropped because too many waited (ffmpeg fell behind or lost frames). */
  overflow = 0;

  constructor(private readonly max = TRANSCODE_MAX_PENDING_FRAMES) {}

  get length(): number {
    return this.q.length;
  }

  push(pts?: number, dts?: number): void {
    this.q.push({ pts, dts });
    if (this.q.length > this.max) {
      this.q.shift();
      this.overflow++;
    }
  }

  /** The next frame's timestamps; with none waiting, the last ones (the timeline downstream fills the step). */
  shift(): { pts?: number; dts?: number } {
    const t = this.q.shift();
    if (t) this.last = t;
    return t ?? { pts: undefined, dts: undefined };
  }
}

/**
 * One ffmpeg child transcoding H.265 access units to H.264 ones. Write the source's video units (from a keyframe on;
 * earlier ones are dropped here); `unit` gives each H.264 access unit with the timestamps of the source frame it was
 * made of. `exit` when the child ends (close() included).
 */
export class H264Transcoder extends EventEmitter<{ unit: [PsAccessUnit]; exit: [number | null, string | null] }> {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly splitter = new AnnexBAuSplitter('h264', TRANSCODE_MAX_UNIT_BYTES);
  private readonly gate = new KeyframeGate();
  private readonly times = new TimestampQueue();
  private stderr = '';
  private exited: Promise<void>;
  private closed = false;
  /** Source frames written and H.264 frames out, and source frames dropped (before a keyframe or past the queue bound). */
  framesIn = 0;
  framesOut = 0;
  framesDropped = 0;

  constructor(opts: H264TranscoderOptions) {
    super();
    this.child = spawn(opts.ffmpegPath, h264TranscodeArgs(opts), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined); // EPIPE after the child died: its exit reports it
    this.child.stdout.on('data', (b: Buffer) => this.onOutput(b));
    this.child.stdout.on('end', () => this.onOutput(null));
    this.child.stderr.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString('utf8')).slice(-STDERR_TAIL);
    });
    this.exited = new Promise((ok) => {
      this.child.on('error', (e) => {
        this.stderr += `\n${e.message}`;
      });
      this.child.on('close', (code, signal) => {
        ok();
        this.emit('exit', code, signal);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stderrTail(): string {
    return this.stderr;
  }

  /** An H.265 video access unit of the source (others are ignored). */
  write(au: PsAccessUnit): void {
    if (this.closed || au.kind !== 'video' || au.codec !== 'h265') return;
    const queued = this.child.stdin.writableLength;
    if (queued > TRANSCODE_MAX_QUEUED_BYTES) this.gate.shut();
    if (!this.gate.admit(au.keyframe, queued <= TRANSCODE_MAX_QUEUED_BYTES / 2)) {
      this.framesDropped++;
      return;
    }
    this.times.push(au.pts, au.dts);
    this.framesIn++;
    this.child.stdin.write(au.data);
  }

  /** No more input: ffmpeg finishes what it holds and exits (every frame written comes out). */
  end(): void {
    if (!this.closed) this.child.stdin.end();
  }

  /** ffmpeg's output; null at its end (the last unit is complete). */
  private onOutput(b: Buffer | null): void {
    const out: SplitAccessUnit[] = [];
    try {
      if (b) this.splitter.push(b, undefined, undefined, out);
      else this.splitter.endOfUnit(out);
    } catch {
      return; // a unit past the bound was dropped; the splitter resyncs at the next one
    }
    for (const u of out) {
      const t = this.times.shift();
      this.framesOut++;
      this.emit('unit', { kind: 'video', codec: 'h264', streamId: 0xe0, pts: t.pts, dts: t.dts, keyframe: u.keyframe, data: u.data });
    }
  }

  /** Ends the child (stdin closed, SIGTERM, SIGKILL after 2 s); safe twice. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.child.exitCode === null && this.child.signalCode === null) {
        this.child.stdin.end();
        const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
        this.child.kill('SIGTERM');
        void this.exited.then(() => clearTimeout(t));
      }
    }
    await this.exited;
  }
}
