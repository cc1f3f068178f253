import type { FrameDetector } from '../pipeline/frame-pipeline';
import { VisionError } from '../vision-error';

/** Something that can be loaded once and closed: OnnxDetector, or a stub in tests. */
export interface ClosableDetector extends FrameDetector {
  close(): Promise<void>;
}

/**
 * The worker's one detector, shared by its channels. Loads on first use; a failed load is remembered
 * for `retryMs` (every channel gets the same error meanwhile) and then tried again, so fixing the model
 * file heals a running worker. `detect()` calls are serialised: the ONNX session reuses one input tensor.
 */
export class DetectorHolder {
  private detector: ClosableDetector | null = null;
  private loading: Promise<ClosableDetector> | null = null;
  private failure: { error: unknown; at: number } | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly serial: FrameDetector = {
    detect: (frame, opts) => {
      const run = this.chain.then(() => this.detector!.detect(frame, opts));
      this.chain = run.catch(() => undefined);
      return run;
    },
  };

  constructor(
    private readonly load: () => Promise<ClosableDetector>,
    private readonly retryMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The last load error as `CODE: message`, null when loaded or never tried. */
  get error(): string | null {
    const e = this.failure?.error as { code?: string; message?: string } | undefined;
    return e ? `${e.code ?? 'VISION_MODEL_UNREADABLE'}: ${e.message}` : null;
  }

  async get(): Promise<FrameDetector> {
    if (this.closed) throw new VisionError('VISION_INFERENCE_FAILED', 'worker is closing');
    if (this.detector) return this.serial;
    if (this.failure && this.now() - this.failure.at < this.retryMs) throw this.failure.error;
    this.loading ??= this.load().then(
      (d) => {
        this.loading = null;
        this.failure = null;
        if (this.closed) void d.close();
        else this.detector = d;
        return d;
      },
      (error: unknown) => {
        this.loading = null;
        this.failure = { error, at: this.now() };
        throw error;
      },
    );
    await this.loading;
    return this.serial;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    await this.detector?.close();
    this.detector = null;
  }
}
