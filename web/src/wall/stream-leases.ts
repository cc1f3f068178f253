/**
 * Which tiles hold which stream: a live stream (one per channel) can show on several tiles. The last tile to let go
 * stops it (DELETE /api/streams/:streamId), so the device, the port and ffmpeg are freed at once rather than after
 * the gateway's STREAM_IDLE_TIMEOUT_MS.
 */
export class StreamLeases {
  private readonly holders = new Map<string, number>();

  /** `stop` ends the stream at the gateway (DELETE /api/streams/:streamId); one that is already gone resolves. */
  constructor(private readonly stop: (streamId: string) => Promise<unknown>) {}

  acquire(streamId: string): void {
    this.holders.set(streamId, (this.holders.get(streamId) ?? 0) + 1);
  }

  /** Resolves once the stream is stopped (or still held by another tile); a failed stop is logged, never thrown. */
  async release(streamId: string): Promise<void> {
    const n = (this.holders.get(streamId) ?? 0) - 1;
    if (n > 0) {
      this.holders.set(streamId, n);
      return;
    }
    this.holders.delete(streamId);
    try {
      await this.stop(streamId);
    } catch (e) {
      console.warn(`release ${streamId}:`, e);
    }
  }

  held(streamId: string): number {
    return this.holders.get(streamId) ?? 0;
  }
}
