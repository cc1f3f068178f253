/**
 * Drop-until-keyframe: a decoder can only pick a stream up at a random access point (an IDR / IRAP picture with its
 * parameter sets), so whoever has to skip frames (at the start, or because a queue overflowed) skips to the next one.
 *
 *   shut ──(keyframe, and the caller is ready again)──▶ open ──shut()──▶ shut
 *
 * It starts shut: the first unit let through is a keyframe.
 */
export class KeyframeGate {
  private shutNow = true;
  private dropped = 0;

  /** Whether frames are being dropped until the next keyframe. */
  get waiting(): boolean {
    return this.shutNow;
  }

  /** Frames refused so far. */
  get droppedFrames(): number {
    return this.dropped;
  }

  /** Drops everything up to the next keyframe (an overflowing queue, lost data). */
  shut(): void {
    this.shutNow = true;
  }

  /**
   * Whether this frame goes through. While shut, only a keyframe opens the gate, and only when `ready` (e.g. the queue
   * that overflowed has drained).
   */
  admit(keyframe: boolean, ready = true): boolean {
    if (this.shutNow) {
      if (!keyframe || !ready) {
        this.dropped++;
        return false;
      }
      this.shutNow = false;
    }
    return true;
  }
}
