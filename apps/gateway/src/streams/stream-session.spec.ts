import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { StreamFailure } from '@gb/gb28181';
import { FakeScheduler } from '../../../../libs/gb28181/src/sip/testing/fake-scheduler';
import { GatewayError } from '../common/gateway-error';
import type { MediaSession } from '../media/media-session';
import { StreamSession, type StreamDialog, type StreamInvite, type StreamSessionOptions } from './stream-session';

/** What a fake resource recorded: each teardown step must happen exactly once. */
interface Ledger {
  invites: string[];
  abandons: number;
  byes: number;
  infos: number;
  mediaCloses: number;
  releases: number;
  connects: [string, number][];
  ssrcSet: number[];
}

class FakeReceiver extends EventEmitter {
  stats = { packets: 0, wrongSsrc: 0, garbage: 0, source: null as string | null, lost: 0, firstPacketAt: null as number | null };
  constructor(private readonly l: Ledger) {
    super();
  }
  setSsrc(n: number): void {
    this.l.ssrcSet.push(n);
  }
  connect(host: string, port: number): void {
    this.l.connects.push([host, port]);
  }
}

class FakeMedia extends EventEmitter {
  readonly receiver: FakeReceiver;
  constructor(private readonly l: Ledger) {
    super();
    this.receiver = new FakeReceiver(l);
  }
  async close(): Promise<void> {
    this.l.mediaCloses++;
  }
}

const ANSWER = (o: { port?: number; ssrc?: string; ip?: string } = {}) =>
  [
    'v=0', `o=34020000001320000001 0 0 IN IP4 ${o.ip ?? '10.0.0.9'}`, 's=Play', `c=IN IP4 ${o.ip ?? '10.0.0.9'}`, 't=0 0',
    `m=video ${o.port ?? 15060} RTP/AVP 96`, 'a=rtpmap:96 PS/90000', 'a=sendonly', ...(o.ssrc ? [`y=${o.ssrc}`] : []), '',
  ].join('\r\n');

function harness(over: Partial<StreamSessionOptions> = {}) {
  const clock = new FakeScheduler();
  const l: Ledger = { invites: [], abandons: 0, byes: 0, infos: 0, mediaCloses: 0, releases: 0, connects: [], ssrcSet: [] };
  let media: FakeMedia | undefined;
  let answer!: { resolve: (v: StreamDialog & { sdp: string }) => void; reject: (e: Error) => void };
  const dialog: StreamDialog = {
    callId: 'call-1',
    bye: async () => void l.byes++,
    info: async () => (l.infos++, { status: 200, reason: 'OK' }),
  };
  const session = new StreamSession({
    streamId: 's1', deviceId: '34020000001320000001', channelId: '34020000001320000001', kind: 'live', transport: 'udp',
    ssrc: '0200000001', mediaIp: '127.0.0.1', noMediaTimeoutMs: 5000,
    scheduler: { now: () => clock.now, setTimer: (ms, fn) => clock.setTimer(ms, fn), clearTimer: (h) => clock.clearTimer(h) },
    buildOffer: (port) => `offer for ${port}`,
    bindMedia: async () => {
      media = new FakeMedia(l);
      return { media: media as unknown as MediaSession, port: 30000, release: () => void l.releases++ };
    },
    signalling: {
      invite: (sdp): StreamInvite => {
        l.invites.push(sdp);
        return {
          callId: 'call-1',
          answer: new Promise((resolve, reject) => (answer = { resolve, reject })),
          abandon: () => void l.abandons++,
        };
      },
    },
    ...over,
  });
  const states: string[] = [];
  session.on('state', (s) => states.push(s));
  const tick = () => new Promise((r) => setImmediate(r));
  return {
    clock, l, session, states, tick,
    media: () => media!,
    answer: (sdp = ANSWER()) => answer.resolve({ ...dialog, sdp }),
    refuse: (e: Error) => answer.reject(e),
  };
}

async function toPlaying(h: ReturnType<typeof harness>): Promise<void> {
  const started = h.session.start();
  await h.tick();
  h.answer();
  await h.tick();
  h.media().receiver.emit('packet', {});
  h.media().emit('ready');
  await started;
}

describe('StreamSession', () => {
  it('start() with a 2xx, a first packet and a keyframe walks inviting → answered → waiting-media → receiving → playing', async () => {
    const h = harness();
    await toPlaying(h);
    expect(h.states).toEqual(['answered', 'waiting-media', 'receiving', 'playing']);
    expect(h.session.state).toBe('playing');
    expect(h.l.invites).toEqual(['offer for 30000']);
    expect(h.session.offered).toBe('127.0.0.1:30000 (udp)');
    expect(h.clock.pending).toBe(0); // the no-media bound is met: its timer is gone
  });

  it('close() of a playing session sends BYE, closes the media and releases the port exactly once, even when called twice', async () => {
    const h = harness();
    await toPlaying(h);
    const a = h.session.close();
    const b = h.session.close();
    expect(a).toBe(b);
    await a;
    expect(h.l).toMatchObject({ byes: 1, abandons: 0, mediaCloses: 1, releases: 1 });
    expect(h.session.state).toBe('closed');
    expect(h.states.slice(-2)).toEqual(['closing', 'closed']);
    expect(h.clock.pending).toBe(0);
  });

  it('close() while inviting abandons the INVITE (CANCEL / late-2xx handling is the usage\'s), sends no BYE, and rejects ready with STREAM_NOT_FOUND', async () => {
    const h = harness();
    const started = h.session.start();
    await h.tick();
    await h.session.close();
    await expect(started).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    expect(h.l).toMatchObject({ abandons: 1, byes: 0, mediaCloses: 1, releases: 1 });
    h.refuse(new StreamFailure('DEVICE_NO_ANSWER', 'abandoned')); // what the usage does after abandon()
    await h.tick();
    expect(h.session.state).toBe('closed');
    expect(h.l.byes).toBe(0);
  });

  it('a 2xx that races close() is hung up by the session exactly once', async () => {
    const h = harness();
    const started = h.session.start().catch((e: unknown) => e);
    await h.tick();
    h.answer();
    const closed = h.session.close();
    await closed;
    await h.tick();
    expect(await started).toMatchObject({ code: 'STREAM_NOT_FOUND' });
    expect(h.l).toMatchObject({ abandons: 1, byes: 1, mediaCloses: 1, releases: 1 });
    expect(h.session.state).toBe('closed');
  });

  it('a refusal (486) fails the session with DEVICE_REFUSED and the SIP status, and releases media and port', async () => {
    const h = harness();
    const started = h.session.start();
    await h.tick();
    h.refuse(new StreamFailure('DEVICE_REFUSED', 'device refused: 486 Busy Here', 486));
    await expect(started).rejects.toMatchObject({ code: 'DEVICE_REFUSED', details: { sipStatus: 486 } });
    expect(h.session).toMatchObject({ state: 'failed', errorCode: 'DEVICE_REFUSED', sipStatus: 486 });
    expect(h.l).toMatchObject({ byes: 0, mediaCloses: 1, releases: 1 });
  });

  it('no answer (DEVICE_NO_ANSWER from the usage) fails the session with that code', async () => {
    const h = harness();
    const started = h.session.start();
    await h.tick();
    h.refuse(new StreamFailure('DEVICE_NO_ANSWER', 'no answer within 3000 ms'));
    await expect(started).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    expect(h.l).toMatchObject({ abandons: 1, mediaCloses: 1, releases: 1 });
  });

  it('no packet within the bound fails with MEDIA_NO_RTP and sends BYE', async () => {
    const h = harness();
    const started = h.session.start();
    await h.tick();
    h.answer();
    await h.tick();
    h.clock.advanceBy(5000);
    await expect(started).rejects.toMatchObject({ code: 'MEDIA_NO_RTP' });
    expect(h.session.error).toMatch(/no packet at all arrived at 127\.0\.0\.1:30000/);
    expect(h.l).toMatchObject({ byes: 1, mediaCloses: 1, releases: 1 });
  });

  it('packets with another SSRC only fail with MEDIA_WRONG_SSRC', async () => {
    const h = harness();
    const started = h.session.start();
    await h.tick();
    h.answer();
    await h.tick();
    h.media().receiver.stats.wrongSsrc = 12;
    h.clock.advanceBy(5000);
    await expect(started).rejects.toMatchObject({ code: 'MEDIA_WRONG_SSRC' });
  });

  it('RTP without a keyframe fails with MEDIA_NO_KEYFRAME from state receiving', async () => {
    const h = harness();
    const started = h.session.start();
    await h.tick();
    h.answer();
    await h.tick();
    h.media().receiver.stats.packets = 40;
    h.media().receiver.emit('packet', {});
    expect(h.session.state).toBe('receiving');
    h.clock.advanceBy(5000);
    await expect(started).rejects.toMatchObject({ code: 'MEDIA_NO_KEYFRAME' });
  });

  it('a y= of 4 digits is not adopted (ours kept); a 10-digit y= is', async () => {
    const a = harness();
    const sa = a.session.start();
    await a.tick();
    a.answer(ANSWER({ ssrc: '0200' }));
    await a.tick();
    expect(a.session.ssrc).toBe('0200000001');
    expect(a.l.ssrcSet).toEqual([]);
    await a.session.close();
    await sa.catch(() => undefined);

    const b = harness();
    const sb = b.session.start();
    await b.tick();
    b.answer(ANSWER({ ssrc: '0200009999' }));
    await b.tick();
    expect(b.session.ssrc).toBe('0200009999');
    expect(b.session.offeredSsrc).toBe('0200000001');
    expect(b.l.ssrcSet).toEqual([200009999]);
    await b.session.close();
    await sb.catch(() => undefined);
  });

  it('TCP active with m=video 0 fails with DEVICE_BAD_SDP and BYEs the dialog; UDP with port 0 plays', async () => {
    const a = harness({ transport: 'tcp-active' });
    const sa = a.session.start();
    await a.tick();
    a.answer(ANSWER({ port: 0 }));
    await expect(sa).rejects.toMatchObject({ code: 'DEVICE_BAD_SDP' });
    expect(a.l).toMatchObject({ byes: 1, connects: [], releases: 1 });

    const b = harness();
    const sb = b.session.start();
    await b.tick();
    b.answer(ANSWER({ port: 0 }));
    await b.tick();
    expect(b.session.state).toBe('waiting-media');
    await b.session.close();
    await sb.catch(() => undefined);
  });

  it('TCP active connects to the address and port of the answer', async () => {
    const h = harness({ transport: 'tcp-active' });
    const started = h.session.start();
    await h.tick();
    h.answer(ANSWER({ ip: '10.1.2.3', port: 6000 }));
    await h.tick();
    expect(h.l.connects).toEqual([['10.1.2.3', 6000]]);
    await h.session.close();
    await started.catch(() => undefined);
  });

  it('an unreadable SDP answer fails with DEVICE_BAD_SDP', async () => {
    const h = harness();
    const started = h.session.start();
    await h.tick();
    h.answer('this is not sdp');
    await expect(started).rejects.toMatchObject({ code: 'DEVICE_BAD_SDP' });
    expect(h.l.byes).toBe(1);
  });

  it('a media failure (MEDIA_CONNECT_FAILED from the receiver) fails the session with that code and cause', async () => {
    const h = harness({ transport: 'tcp-active' });
    await toPlaying(h);
    h.media().emit('failed', new StreamFailure('MEDIA_CONNECT_FAILED', 'TCP active connect to 10.0.0.9:15060 failed: ECONNREFUSED'));
    await h.tick();
    await h.tick();
    expect(h.session).toMatchObject({ state: 'failed', errorCode: 'MEDIA_CONNECT_FAILED' });
    expect(h.session.error).toMatch(/ECONNREFUSED/);
    expect(h.l).toMatchObject({ byes: 1, mediaCloses: 1, releases: 1 });
  });

  it('the device hanging up (BYE) closes the session without a BYE back', async () => {
    const h = harness();
    await toPlaying(h);
    await h.session.remoteBye();
    expect(h.session.state).toBe('closed');
    expect(h.l).toMatchObject({ byes: 0, mediaCloses: 1, releases: 1 });
  });

  it('PORTS_EXHAUSTED while binding fails the session before any INVITE', async () => {
    const h = harness({
      bindMedia: async () => {
        throw new GatewayError('PORTS_EXHAUSTED', 'no free RTP port');
      },
    });
    await expect(h.session.start()).rejects.toMatchObject({ code: 'PORTS_EXHAUSTED' });
    expect(h.l.invites).toEqual([]);
    expect(h.session.errorCode).toBe('PORTS_EXHAUSTED');
  });

  it('close() during bindMedia releases the late-bound media once and sends nothing', async () => {
    let bound!: () => void;
    const l = { closes: 0, releases: 0 };
    const h = harness({
      bindMedia: () =>
        new Promise((resolve) => {
          bound = () => resolve({ media: { close: async () => void l.closes++ } as unknown as MediaSession, port: 1, release: () => void l.releases++ });
        }),
    });
    const started = h.session.start();
    await h.session.close();
    bound();
    await expect(started).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
    expect(l).toEqual({ closes: 1, releases: 1 });
    expect(h.l.invites).toEqual([]);
  });

  it('onClosed runs once and a throwing onClosed does not break the teardown', async () => {
    const h = harness();
    await toPlaying(h);
    let calls = 0;
    h.session.onClosed = () => {
      calls++;
      throw new Error('listener bug');
    };
    await h.session.close();
    await h.session.close();
    expect(calls).toBe(1);
    expect(h.session.state).toBe('closed');
  });
});
