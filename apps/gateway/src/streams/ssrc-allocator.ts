/** The stream number in a GB/T 28181 SSRC (Annex F: 1 history digit, 5 of the domain, 4 of serial): 1..9999. */
export const SSRC_SERIALS = 9999;

/**
 * Hands out SSRCs that are not in use by another open stream. The serial walks 1..9999 and wraps, skipping serials
 * whose SSRC is still held, so a long-lived stream is never given a twin. PORTS_EXHAUSTED-like exhaustion is
 * practically impossible (ports run out first), but is reported rather than looping.
 */
export class SsrcAllocator {
  private serial = 0;
  private readonly inUse = new Set<string>();

  get size(): number {
    return this.inUse.size;
  }

  take(build: (serial: number) => string): string {
    for (let i = 0; i < SSRC_SERIALS; i++) {
      this.serial = (this.serial % SSRC_SERIALS) + 1;
      const ssrc = build(this.serial);
      if (!this.inUse.has(ssrc)) {
        this.inUse.add(ssrc);
        return ssrc;
      }
    }
    throw new Error(`all ${SSRC_SERIALS} SSRC serials are in use`);
  }

  /** Idempotent. */
  release(ssrc: string): void {
    this.inUse.delete(ssrc);
  }

  has(ssrc: string): boolean {
    return this.inUse.has(ssrc);
  }
}
