import type { StreamKind, StreamState, StreamTransport } from '@gb/contracts';
import type { RtpReceiverStats } from '../media/rtp-receiver';

/** What the tally reads of a stream session (StreamSession satisfies it). */
export interface TalliedSession {
  readonly kind: StreamKind;
  readonly transport: StreamTransport;
  /** When the play request made the session (ms, the session's clock: Date.now in the service). */
  readonly createdAt: number;
  readonly state: StreamState;
  readonly lastViewAt: number;
  /** The media session once bound; kept after close, so the final RTP figures can still be read. */
  readonly mediaSession?: { readonly receiver: { readonly stats: RtpReceiverStats }; readonly flv: { readonly subscribers: number } };
  on(event: 'state', listener: (s: StreamState) => void): unknown;
  once(event: 'closed', listener: () => void): unknown;
}

export interface RtpTotals {
  packets: number;
  bytes: number;
  lost: number;
}

/** A stream counts as watched over HLS this long after its last playlist/segment fetch (or play request), as in the API. */
export const HLS_VIEW_WINDOW_MS = 10_000;

/**
 * The streams' figures as Prometheus wants them: RTP totals that only grow (the open streams' receivers plus what the
 * closed ones had received when they closed), viewers now, and each stream's time from play request to `playing`
 * (the first keyframe, i.e. the first picture a viewer can get). Told of each session as it is created.
 */
export class StreamTally {
  private readonly open = new Set<TalliedSession>();
  private readonly closed: RtpTotals = { packets: 0, bytes: 0, lost: 0 };

  constructor(
    private readonly onFirstFrame: (s: TalliedSession, seconds: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session (before it starts). Never throws into the caller. */
  track(s: TalliedSession): void {
    if (this.open.has(s)) return;
    this.open.add(s);
    s.on('state', (state) => {
      if (state === 'playing') this.onFirstFrame(s, Math.max(0, this.now() - s.createdAt) / 1000);
    });
    s.once('closed', () => {
      if (!this.open.delete(s)) return;
      const st = s.mediaSession?.receiver.stats;
      if (!st) return;
      this.closed.packets += st.packets;
      this.closed.bytes += st.bytes;
      this.closed.lost += st.lost;
    });
  }

  /** RTP packets and bytes accepted for streams (right SSRC and source), and packets lost, since the process started. */
  rtp(): RtpTotals {
    const t = { ...this.closed };
    for (const s of this.open) {
      const st = s.mediaSession?.receiver.stats;
      if (!st) continue;
      t.packets += st.packets;
      t.bytes += st.bytes;
      t.lost += st.lost;
    }
    return t;
  }

  /**
   * Viewers now. flv: open HTTP-FLV / WebSocket-FLV connections. hls: HLS is plain HTTP fetches with no connection to
   * count, so each playing stream without an FLV viewer that was fetched (or play-requested) within HLS_VIEW_WINDOW_MS
   * counts as one.
   */
  viewers(): { flv: number; hls: number } {
    const now = this.now();
    let flv = 0;
    let hls = 0;
    for (const s of this.open) {
      const n = s.mediaSession?.flv.subscribers ?? 0;
      flv += n;
      if (n === 0 && s.state === 'playing' && now - s.lastViewAt < HLS_VIEW_WINDOW_MS) hls++;
    }
    return { flv, hls };
  }

  /** Sessions tracked and not yet closed. */
  get size(): number {
    return this.open.size;
  }
}
