import type { H264RtpFrame } from '@gb/gb28181';

/**
 * Most bytes of RTP kept per stream for viewers that join (the frames from the latest keyframe on). A 1 s GOP at
 * 2 Mb/s is ~250 KB; past this bound (a long GOP at a high bitrate) the cache is emptied until the next keyframe, and
 * a viewer that joins then waits for it (and the camera is asked for one).
 */
export const WEBRTC_GOP_CACHE_MAX_BYTES = 2 * 1024 * 1024;

/** RTP timestamp ticks (90 kHz) between the frames of a join burst: they are decoded at once, not played in real time. */
export const BURST_FRAME_TICKS = 1;

/**
 * The frames of one stream from its latest keyframe on (RTP, as packetised once for all viewers), bounded by
 * WEBRTC_GOP_CACHE_MAX_BYTES. A new WebRTC viewer gets them in front of the first live frame after its DTLS is up
 * (`burst()`), so its decoder has a picture at once instead of waiting up to one GOP for the next keyframe.
 */
export class GopCache {
  private frames: H264RtpFrame[] = [];
  private size = 0;

  constructor(private readonly maxBytes = WEBRTC_GOP_CACHE_MAX_BYTES) {}

  /** Frames held now (0: nothing since the last keyframe, or the bound was passed). */
  get length(): number {
    return this.frames.length;
  }

  get bytes(): number {
    return this.size;
  }

  push(frame: H264RtpFrame): void {
    if (frame.keyframe) {
      this.frames = [];
      this.size = 0;
    } else if (!this.frames.length) {
      return; // no keyframe to start from
    }
    const n = frame.packets.reduce((a, p) => a + p.length, 0);
    if (this.size + n > this.maxBytes) {
      this.frames = [];
      this.size = 0;
      return;
    }
    this.frames.push(frame);
    this.size += n;
  }

  clear(): void {
    this.frames = [];
    this.size = 0;
  }

  /**
   * The cached frames' packets for one joining viewer, copied, with their RTP timestamps (RFC 3550 §5.1, bytes 4-7)
   * set just below `beforeTs`, the timestamp of the live frame that goes out right after them: the viewer decodes the
   * whole GOP at once and shows its last picture, and the live frames keep their own timestamps, so the jitter buffer
   * adds neither the GOP's age (a burst with its original timestamps would be played out in real time, behind live)
   * nor a jump. The cached frames' own timestamps do not matter (they may come from another clock, see flv-gop.ts).
   */
  burst(beforeTs: number): Buffer[] {
    const n = this.frames.length;
    const out: Buffer[] = [];
    this.frames.forEach((f, i) => {
      const ts = (((beforeTs - (n - i) * BURST_FRAME_TICKS) % 2 ** 32) + 2 ** 32) % 2 ** 32;
      for (const p of f.packets) {
        const c = Buffer.from(p);
        c.writeUInt32BE(ts, 4);
        out.push(c);
      }
    });
    return out;
  }
}
