import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { StreamState } from '@gb/contracts';
import type { RtpReceiverStats } from '../media/rtp-receiver';
import { HLS_VIEW_WINDOW_MS, StreamTally, type TalliedSession } from './stream-tally';

class FakeSession extends EventEmitter implements TalliedSession {
  readonly kind = 'live' as const;
  readonly transport = 'udp' as const;
  state: StreamState = 'inviting';
  lastViewAt: number;
  readonly stats: RtpReceiverStats = { packets: 0, bytes: 0, wrongSsrc: 0, wrongSource: 0, garbage: 0, lost: 0, reordered: 0, firstPacketAt: null, lastPacketAt: null, source: null };
  readonly flv = { subscribers: 0 };
  readonly mediaSession = { receiver: { stats: this.stats }, flv: this.flv };
  constructor(readonly createdAt: number) {
    super();
    this.lastViewAt = createdAt;
  }
  to(s: StreamState): void {
    this.state = s;
    this.emit('state', s);
  }
}

describe('StreamTally', () => {
  it('rtp() keeps what a closed stream received, so the totals never fall', () => {
    const tally = new StreamTally(() => undefined);
    const a = new FakeSession(0);
    const b = new FakeSession(0);
    tally.track(a);
    tally.track(b);
    tally.track(a); // twice: counted once
    Object.assign(a.stats, { packets: 100, bytes: 120_000, lost: 2 });
    Object.assign(b.stats, { packets: 10, bytes: 12_000, lost: 0 });
    expect(tally.rtp()).toEqual({ packets: 110, bytes: 132_000, lost: 2 });
    a.to('closed');
    a.emit('closed');
    a.emit('closed'); // a second event adds nothing
    expect(tally.size).toBe(1);
    b.stats.packets = 15;
    expect(tally.rtp()).toEqual({ packets: 115, bytes: 132_000, lost: 2 });
  });

  it('a session reaching playing reports its time from the play request once, in seconds', () => {
    let now = 10_000;
    const seen: number[] = [];
    const tally = new StreamTally((_s, seconds) => seen.push(seconds), () => now);
    const s = new FakeSession(now);
    tally.track(s);
    s.to('answered');
    now += 1_250;
    s.to('playing');
    expect(seen).toEqual([1.25]);
  });

  it('viewers(): FLV connections; a playing stream without one that was fetched in the HLS window counts one for hls', () => {
    let now = 50_000;
    const tally = new StreamTally(() => undefined, () => now);
    const flv = new FakeSession(now);
    const hls = new FakeSession(now);
    for (const s of [flv, hls]) {
      tally.track(s);
      s.to('playing');
    }
    flv.flv.subscribers = 2;
    expect(tally.viewers()).toEqual({ flv: 2, hls: 1 });
    now += HLS_VIEW_WINDOW_MS;
    expect(tally.viewers()).toEqual({ flv: 2, hls: 0 });
  });
});
