import type { Roi, VisionChannelState, VisionWatchMessage, WorkerToGatewayMessage } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import type { Detection } from '../model/detection';
import { channelPipeline } from '../pipeline/channel-pipeline';
import { FramePipeline, type FrameDetector, type IgnoredDetection } from '../pipeline/frame-pipeline';
import { isVisionError, VisionError } from '../vision-error';
import { workerMetrics, type WorkerMetrics } from '../metrics/worker-metrics';
import type { LiveFrameSourceFactory, LiveFrameSource } from './live-frame-source';
import { redact } from './live-frame-source';
import { renderSnapshot } from './snapshot-renderer';
import { scoreBoxes } from './score-boxes';

export interface ChannelRunnerDeps {
  workerId: string;
  /** The worker's shared detector; rejects with a VisionError while the model cannot be loaded. */
  detector(): Promise<FrameDetector>;
  openSource: LiveFrameSourceFactory;
  emit(message: WorkerToGatewayMessage): void;
  /** Pause before reopening a source that ended or failed, or retrying a model that failed. */
  retryMs: number;
  now(): number;
  /**
   * Detector passes per frame (VISION_TILES): 1 = whole frame; 2 or 3 = also tiles (distant cameras); 'auto' (the
   * default) = chosen per channel from what its frames show (AutoDetectStrategy).
   */
  tiles?: 1 | 2 | 3 | 'auto';
  /** Where frames, inference times and source errors are recorded; default the process's `workerMetrics`. */
  metrics?: WorkerMetrics;
}

/** Frames that failed detection in a row before the channel reports an error (it keeps trying). */
export const MAX_CONSECUTIVE_FRAME_ERRORS = 5;

/**
 * Scores one channel: source -> detect -> track -> score -> `score` messages (with the frame's boxes). Keeps only the newest
 * undecoded frame when inference falls behind (a live camera is never worth queueing). A source that
 * ends or fails, or a model that cannot load, gives a `status` error and a retry after `retryMs`;
 * a bad frame is skipped. Nothing here throws to the worker.
 */
export class ChannelRunner {
  private watch: VisionWatchMessage;
  private pipeline: FramePipeline;
  private source: LiveFrameSource | null = null;
  private stopped = false;
  private state: VisionChannelState | null = null;
  private error: string | null = null;
  private pending: RgbFrame | null = null;
  /** performance.now() when `pending` arrived from the source (its wait for the detector is a metric). */
  private pendingAt = 0;
  private readonly metrics: WorkerMetrics;
  private counted = false;
  private busy = false;
  private frameErrors = 0;
  private startedAt: number;
  private lastT = -1;
  private last: { frame: RgbFrame; detections: Detection[]; ignored: IgnoredDetection[] } | null = null;
  private wake: (() => void) | null = null;
  private loopDone: Promise<void> = Promise.resolve();
  /** Frames scored since the watch began (for tests and heartbeats). */
  scored = 0;
  dropped = 0;

  constructor(
    watch: VisionWatchMessage,
    private readonly deps: ChannelRunnerDeps,
  ) {
    this.watch = watch;
    this.pipeline = makePipeline(watch, deps);
    this.startedAt = deps.now();
    this.metrics = deps.metrics ?? workerMetrics;
  }

  get channelId(): string {
    return this.watch.channelId;
  }

  get rois(): readonly Roi[] {
    return this.watch.rois;
  }

  start(): void {
    if (!this.counted) this.metrics.channelStarted();
    this.counted = true;
    this.setStatus('starting');
    this.loopDone = this.loop();
  }

  /** A new watch for the same channel: new ROIs take effect on the next frame; a new source or rate reopens it. */
  update(watch: VisionWatchMessage): void {
    const reopen = watch.sourceUrl !== this.watch.sourceUrl || watch.fps !== this.watch.fps;
    this.watch = watch;
    this.pipeline = makePipeline(watch, this.deps);
    if (reopen) {
      this.source?.close();
      this.wake?.();
    }
  }

  /** The camera moved (PTZ, preset call): forget the scene's fixtures, OSD areas and detector choice. */
  resetScene(): void {
    this.pipeline.resetScene();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.counted) this.metrics.channelStopped();
    this.source?.close();
    this.wake?.();
    await this.loopDone;
    this.setStatus('stopped');
  }

  /** The last scored frame as a JPEG with boxes and ROIs; null before the first frame. */
  async snapshot(): Promise<Buffer | null> {
    const last = this.last;
    if (!last) return null;
    return renderSnapshot(last.frame, [...last.detections, ...last.ignored], this.watch.rois);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      // Past the model: a failure from here on is the source's (open, read, or end).
      let sourceOpened = false;
      try {
        await this.deps.detector();
        if (this.stopped) break;
        sourceOpened = true;
        const src = this.deps.openSource(this.watch.sourceUrl, this.watch.fps);
        this.source = src;
        this.pipeline.reset();
        await src.run((f) => this.offer(f));
        if (this.stopped) break;
        if (src !== this.source) continue; // reopened by update()
        throw new VisionError('VISION_SOURCE_ENDED', `source ${redact(this.watch.sourceUrl)} ended`);
      } catch (e) {
        if (this.stopped) break;
        if (sourceOpened) this.metrics.sourceFailed();
        this.setStatus('error', describe(e));
      } finally {
        this.source = null;
      }
      await this.sleep(this.deps.retryMs);
    }
  }

  private offer(frame: RgbFrame): void {
    if (this.stopped) return;
    if (this.pending) {
      this.dropped++;
      this.metrics.frameDropped();
    }
    this.pending = frame;
    this.pendingAt = performance.now();
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.pending && !this.stopped) {
        const frame = this.pending;
        this.pending = null;
        const now = this.deps.now();
        // Tracker time in seconds, strictly increasing.
        const t = Math.max((now - this.startedAt) / 1000, this.lastT + 1e-3);
        this.lastT = t;
        const pipeline = this.pipeline;
        const scoringFrom = performance.now();
        const waitedS = (scoringFrom - this.pendingAt) / 1000;
        try {
          const r = await pipeline.processVideoFrame(frame, t);
          if (this.stopped) return;
          this.metrics.frameScored(waitedS, (performance.now() - scoringFrom) / 1000);
          this.frameErrors = 0;
          this.last = { frame, detections: r.detections, ignored: r.ignored };
          this.scored++;
          const boxes = scoreBoxes([...r.detections, ...r.ignored], frame.width, frame.height);
          this.deps.emit({ type: 'score', channelId: this.watch.channelId, t: now, scores: r.scores, boxes, scene: r.scene });
          this.setStatus('running');
        } catch (e) {
          this.metrics.frameFailed();
          this.frameErrors++;
          if (this.frameErrors >= MAX_CONSECUTIVE_FRAME_ERRORS) this.setStatus('error', describe(e));
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private setStatus(state: VisionChannelState, error?: string): void {
    const err = error ?? null;
    if (state === this.state && err === this.error) return;
    this.state = state;
    this.error = err;
    this.deps.emit({ type: 'status', channelId: this.watch.channelId, state, ...(err ? { error: err } : {}), workerId: this.deps.workerId });
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }
}

/** `CODE: message` for a status error. */
export function describe(e: unknown): string {
  if (isVisionError(e)) return `${e.code}: ${e.message}`;
  return `VISION_INTERNAL: ${(e as Error)?.message ?? String(e)}`;
}

/** The channel's pipeline: its ROIs and exclusion zones, its own detector choice, fixtures and OSD finder. */
function makePipeline(watch: VisionWatchMessage, deps: ChannelRunnerDeps): FramePipeline {
  return channelPipeline(lazyDetector(deps), { rois: watch.rois, exclusions: watch.exclusions ?? [], tiles: deps.tiles ?? 'auto' });
}

function lazyDetector(deps: ChannelRunnerDeps): FrameDetector {
  return { detect: async (frame, opts) => (await deps.detector()).detect(frame, opts) };
}
