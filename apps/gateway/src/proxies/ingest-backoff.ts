/** First wait before a source is tried again. */
export const INGEST_BACKOFF_MIN_MS = 1_000;
/** Longest wait between tries (the wait doubles up to this). */
export const INGEST_BACKOFF_MAX_MS = 30_000;

/** Reconnect waits: 1 s, 2 s, 4 s, … 30 s, 30 s, …; reset() once media flowed again. */
export class IngestBackoff {
  private attempt = 0;

  constructor(
    private readonly minMs = INGEST_BACKOFF_MIN_MS,
    private readonly maxMs = INGEST_BACKOFF_MAX_MS,
  ) {}

  /** The wait before the next try (and counts the try). */
  next(): number {
    const ms = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return ms;
  }

  /** Failed tries since the last success. */
  get failures(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
