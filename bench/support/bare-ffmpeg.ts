import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildFfmpegArgs } from '../../apps/gateway/src/media/ffmpeg-remuxer';
import type { PsRtpClip } from './ps-rtp-clip';

interface Fed {
  child: ChildProcess;
  startFrame: number;
  startedAt: number;
  sent: number;
  state: { ssrc: number; seq: number };
}

const TICK_MS = 4;

/**
 * The baseline for the gateway's relay path: one ffmpeg per stream with the gateway's own arguments
 * (PS on stdin, `-c copy` to HLS files; the gateway muxes FLV itself), fed the replayed clip's PS in real time from this process,
 * with nothing else in between (no RTP, no demux, no re-mux, no fan-out). What ffmpeg alone costs.
 */
export class BareFfmpegFarm {
  private readonly fed: Fed[] = [];
  private timer?: NodeJS.Timeout;
  private readonly frameMs: number;
  bytesWritten = 0;

  constructor(
    private readonly clip: PsRtpClip,
    private readonly ffmpegPath: string,
    private readonly dir: string,
  ) {
    this.frameMs = 1000 / clip.fps;
  }

  get pids(): number[] {
    return this.fed.flatMap((f) => (f.child.pid && f.child.exitCode === null ? [f.child.pid] : []));
  }

  get size(): number {
    return this.fed.length;
  }

  /** Processes that exited although nobody stopped them (a broken baseline). */
  get exited(): number {
    return this.fed.filter((f) => f.child.exitCode !== null || f.child.signalCode !== null).length;
  }

  add(): void {
    const hlsDir = join(this.dir, `s${this.fed.length}`);
    mkdirSync(hlsDir, { recursive: true });
    const args = buildFfmpegArgs({ ffmpegPath: this.ffmpegPath, video: 'h264', outputs: { hlsDir } });
    const child = spawn(this.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdin!.on('error', () => undefined);
    child.stdout!.resume();
    child.on('error', () => undefined);
    // Start at a keyframe: the gateway, too, feeds ffmpeg from the first keyframe on.
    const keys = this.clip.frames.flatMap((f, i) => (f.keyframe ? [i] : []));
    const startFrame = keys[Math.floor(Math.random() * keys.length)]!;
    this.fed.push({ child, startFrame, startedAt: performance.now(), sent: 0, state: { ssrc: 1, seq: 0 } });
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    const now = performance.now();
    for (const f of this.fed) {
      const due = Math.floor((now - f.startedAt) / this.frameMs) + 1;
      while (f.sent < due) {
        const index = (f.startFrame + f.sent) % this.clip.frameCount;
        const ps = Buffer.concat(this.clip.packetsOf(index, 90_000 + f.sent * this.clip.frameTicks, f.state).map((p) => p.subarray(12)));
        if (f.child.stdin!.writable) f.child.stdin!.write(ps);
        this.bytesWritten += ps.length;
        f.sent++;
      }
    }
  }

  /** Ends every ffmpeg (stdin closed, SIGKILL after 2 s) and removes the HLS output. Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(
      this.fed.map(async (f) => {
        if (f.child.exitCode !== null || f.child.signalCode !== null) return;
        const exited = new Promise<void>((r) => f.child.once('exit', () => r()));
        f.child.stdin!.end();
        f.child.kill('SIGTERM');
        const t = setTimeout(() => f.child.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(t);
      }),
    );
    this.fed.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
