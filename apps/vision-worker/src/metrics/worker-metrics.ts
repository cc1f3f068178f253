import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** gb_vision_frames_per_second is the frames scored over this window divided by its length. */
export const FPS_WINDOW_S = 10;

/** Seconds: a YOLO-class detector on a CPU takes 20-500 ms a pass (up to 1 + 4 + 9 passes with VISION_TILES=3). */
const INFERENCE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Seconds a frame waited for the detector: 0 while it keeps up, up to one inference time when it falls behind. */
const QUEUE_LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * The vision worker's Prometheus metrics, in a registry of its own (not prom-client's global one): prom-client's
 * process metrics and the `gb_vision_*` figures the channel runners record as frames are scored. `now` (ms) is the
 * clock of the frames-per-second window.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly frames: Counter;
  private readonly dropped: Counter;
  private readonly frameErrors: Counter;
  private readonly sourceErrors: Counter;
  private readonly inference: Histogram;
  private readonly queueLag: Histogram;
  /** Frames scored per whole second of `now`, for the last FPS_WINDOW_S seconds: [second, count]. */
  private readonly perSecond: [number, number][] = [];
  private channelCount = 0;

  constructor(private readonly now: () => number = Date.now) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    this.frames = new Counter({ name: 'gb_vision_frames_total', help: 'Frames scored (detector, tracker and congestion score run, score published), all channels', registers: [r] });
    this.dropped = new Counter({
      name: 'gb_vision_frames_dropped_total',
      help: 'Decoded frames replaced by a newer one before the detector took them (the runner keeps only the newest frame when inference falls behind)',
      registers: [r],
    });
    this.frameErrors = new Counter({ name: 'gb_vision_frame_errors_total', help: 'Frames whose detection failed (skipped; the channel reports an error after 5 in a row)', registers: [r] });
    this.sourceErrors = new Counter({
      name: 'gb_vision_source_errors_total',
      help: 'Frame sources (ffmpeg reading the gateway stream) that failed to open, failed while reading, or ended; each is retried after VISION_RETRY_MS',
      registers: [r],
    });
    this.inference = new Histogram({
      name: 'gb_vision_inference_seconds',
      help: 'Time to score one frame: detector passes (whole frame and VISION_TILES tiles), tracking and scoring; the detector is nearly all of it',
      buckets: INFERENCE_BUCKETS,
      registers: [r],
    });
    this.queueLag = new Histogram({
      name: 'gb_vision_queue_lag_seconds',
      help: 'Time a decoded frame waited between its arrival from the frame source and the start of its scoring (the decoder\'s own delay behind live is not included)',
      buckets: QUEUE_LAG_BUCKETS,
      registers: [r],
    });
    const fps = () => this.framesPerSecond();
    new Gauge({
      name: 'gb_vision_frames_per_second',
      help: `Frames scored over the last ${FPS_WINDOW_S} s divided by ${FPS_WINDOW_S}, all channels`,
      registers: [r],
      collect() {
        this.set(fps());
      },
    });
    const channels = () => this.channelCount;
    new Gauge({
      name: 'gb_vision_channels',
      help: 'Channels this worker is scoring now (watches started and not stopped, whatever their state)',
      registers: [r],
      collect() {
        this.set(channels());
      },
    });
  }

  /** One frame scored: how long it waited for the detector and how long scoring it took (seconds). */
  frameScored(queueLagS: number, inferenceS: number): void {
    this.frames.inc();
    this.queueLag.observe(Math.max(0, queueLagS));
    this.inference.observe(Math.max(0, inferenceS));
    const second = Math.floor(this.now() / 1000);
    const last = this.perSecond.at(-1);
    if (last && last[0] === second) last[1]++;
    else this.perSecond.push([second, 1]);
    this.prune(second);
  }

  frameDropped(): void {
    this.dropped.inc();
  }

  frameFailed(): void {
    this.frameErrors.inc();
  }

  sourceFailed(): void {
    this.sourceErrors.inc();
  }

  channelStarted(): void {
    this.channelCount++;
  }

  channelStopped(): void {
    this.channelCount = Math.max(0, this.channelCount - 1);
  }

  /** Frames scored in the last FPS_WINDOW_S whole seconds (the current one included) / FPS_WINDOW_S. */
  framesPerSecond(): number {
    const second = Math.floor(this.now() / 1000);
    this.prune(second);
    return this.perSecond.reduce((n, [, c]) => n + c, 0) / FPS_WINDOW_S;
  }

  private prune(second: number): void {
    while (this.perSecond.length && this.perSecond[0]![0] <= second - FPS_WINDOW_S) this.perSecond.shift();
  }

  /** The text exposition format (Prometheus 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The worker process's metrics: one worker per process, so one set, recorded by every channel runner. */
export const workerMetrics = new WorkerMetrics();
