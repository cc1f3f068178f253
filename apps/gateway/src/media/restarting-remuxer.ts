import { EventEmitter } from 'node:events';
import type { PsAccessUnit } from '@gb/gb28181';
import { GatewayError } from '../common/gateway-error';
import type { Remuxer } from './ffmpeg-remuxer';

/** Restarts allowed within REMUX_RESTART_WINDOW_MS; one death more gives up (MEDIA_REMUX_FAILED). */
export const REMUX_MAX_RESTARTS = 3;
/** The window REMUX_MAX_RESTARTS is counted over (ms). */
export const REMUX_RESTART_WINDOW_MS = 60_000;
/** After a death, the longest wait for the video keyframe the next child starts at (ms); past it, give up. */
export const REMUX_RESTART_KEYFRAME_WAIT_MS = 10_000;

/** How a child remuxer ended: the exit code and the signal that killed it (SIGKILL, SIGSEGV, …), if any. */
export interface RemuxerExit {
  code: number | null;
  signal: string | null;
  /** When it ended (ms, by `now`). */
  at: number;
  /** The last lines of its diagnostic output. */
  stderrTail: string;
}

export interface RestartingRemuxerOptions {
  /**
   * Starts a child. `restart` is 0 for the first one and n for the n-th restart: from 1 on the child must continue the
   * first one's outputs (same HLS directory and playlist name, numbering continued after a discontinuity).
   */
  start(restart: number): Remuxer;
  maxRestarts?: number;
  windowMs?: number;
  keyframeWaitMs?: number;
  now?: () => number;
}

export interface RestartingRemuxerEvents {
  /** The child died (not during close()): a successor starts at the next video keyframe, unless this was one too many. */
  childExit: [RemuxerExit];
  /** A successor started (restarts = how many so far). */
  restart: [number];
}

/** "exited with code 1" / "killed by SIGKILL". */
export function describeExit(e: Pick<RemuxerExit, 'code' | 'signal'>): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

/**
 * A Remuxer that survives its child: when the child dies on its own (ffmpeg crashed or was killed; not during close()),
 * access units are dropped until the next video keyframe and a new child starts there (the camera's next GOP, so
 * within one GOP of the death), writing on into the same outputs. More than `maxRestarts` deaths within `windowMs`, or
 * no keyframe within `keyframeWaitMs` of a death, gives up: `failure` is set (GatewayError MEDIA_REMUX_FAILED, with the
 * last exit's code and signal) and 'exit' is emitted with that code and signal, as a plain remuxer's death would be.
 *
 * A dead child is not close()d when its successor starts: the successor shares its outputs, and a remuxer's close()
 * deletes them. Only the last child is closed, by close(). A child that emitted 'exit' must hold nothing else.
 */
export class RestartingRemuxer extends EventEmitter implements Remuxer {
  /** Children started after a death. */
  restarts = 0;
  /** The last child death, null while the first child lives. */
  lastExit: RemuxerExit | null = null;
  /** Set when it gave up (before 'exit' is emitted). */
  failure: GatewayError | null = null;
  private child: Remuxer;
  private alive = true;
  /** When the children that died in the window died (ms). */
  private deaths: number[] = [];
  private waitingSince: number | null = null;
  private gaveUp = false;
  private closing: Promise<void> | null = null;
  private readonly maxRestarts: number;
  private readonly windowMs: number;
  private readonly keyframeWaitMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: RestartingRemuxerOptions) {
    super();
    this.maxRestarts = opts.maxRestarts ?? REMUX_MAX_RESTARTS;
    this.windowMs = opts.windowMs ?? REMUX_RESTART_WINDOW_MS;
    this.keyframeWaitMs = opts.keyframeWaitMs ?? REMUX_RESTART_KEYFRAME_WAIT_MS;
    this.now = opts.now ?? Date.now;
    this.child = this.startChild(0);
  }

  /** The live child's diagnostic output, or the dead one's. */
  get stderrTail(): string {
    return this.child.stderrTail;
  }

  /** True between a child's death and its successor's start. */
  get waitingForKeyframe(): boolean {
    return this.waitingSince !== null;
  }

  write(au: PsAccessUnit): void {
    if (this.closing || this.gaveUp) return;
    if (this.alive) {
      this.child.write(au);
      return;
    }
    if (this.waitingSince !== null && this.now() - this.waitingSince > this.keyframeWaitMs) {
      this.giveUp(`no video keyframe within ${this.keyframeWaitMs} ms (REMUX_RESTART_KEYFRAME_WAIT_MS) to restart at`);
      return;
    }
    if (au.kind !== 'video' || !au.keyframe) return;
    this.restarts++;
    this.waitingSince = null;
    this.child = this.startChild(this.restarts);
    this.safeEmit('restart', this.restarts);
    this.child.write(au);
  }

  /** Idempotent: stops the live child (or cleans up after the dead one) and starts no other. */
  close(): Promise<void> {
    this.closing ??= this.child.close();
    return this.closing;
  }

  private startChild(n: number): Remuxer {
    const child = this.opts.start(n);
    this.alive = true;
    child.on('exit', (code, signal) => this.onChildExit(child, code, signal));
    return child;
  }

  private onChildExit(child: Remuxer, code: number | null, signal: string | null): void {
    if (child !== this.child || !this.alive) return;
    this.alive = false;
    if (this.closing || this.gaveUp) return;
    const at = this.now();
    this.lastExit = { code, signal, at, stderrTail: child.stderrTail };
    this.deaths = [...this.deaths.filter((t) => at - t < this.windowMs), at];
    this.safeEmit('childExit', this.lastExit);
    if (this.deaths.length > this.maxRestarts) {
      this.giveUp(`${this.deaths.length} deaths within ${this.windowMs} ms (REMUX_MAX_RESTARTS ${this.maxRestarts}, REMUX_RESTART_WINDOW_MS)`);
      return;
    }
    this.waitingSince = at;
  }

  private giveUp(why: string): void {
    if (this.gaveUp) return;
    this.gaveUp = true;
    this.waitingSince = null;
    const last = this.lastExit;
    const how = last ? describeExit(last) : 'no exit';
    const tail = last?.stderrTail.trim().split('\n').slice(-3).join(' | ') ?? '';
    this.failure = new GatewayError('MEDIA_REMUX_FAILED', `remuxer ${how}, given up after ${this.restarts} restart(s): ${why}${tail ? `: ${tail}` : ''}`, {
      restarts: this.restarts,
      code: last?.code ?? null,
      signal: last?.signal ?? null,
    });
    this.safeEmit('exit', last?.code ?? null, last?.signal ?? null);
  }

  /** A throwing listener must not break the restart logic (style: lifecycle habit). */
  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch {
      // the listener's own problem
    }
  }
}
