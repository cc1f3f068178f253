import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { PsDemuxer, parseRtpPacket, parseSdp, readGbOffer, type Dialog, type PsAccessUnit, type RtpPacket } from '@gb/gb28181';
import { fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { GatewayError } from '../common/gateway-error';
import type { Stream } from '../streams/streams.service';
import { UpwardSession, sendModeOf, sipStatusOfUpwardFailure, upwardAnswer, type UpwardSessionDeps } from './upward-session';

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';
const offerText = (m: string[], head = ['s=Play', 'c=IN IP4 127.0.0.1', 't=0 0']) =>
  crlf(['v=0', 'o=34020000002000000002 0 0 IN IP4 127.0.0.1', ...head, ...m, 'a=recvonly', 'a=rtpmap:96 PS/90000', 'y=0200000007']);
const CHANNEL = '34020000001310000001';

describe('the answer to a superior\'s offer (upwardAnswer, sendModeOf)', () => {
  it('UDP: we send datagrams from our pool port; the answer is RTP/AVP sendonly PS at that port, c= our media address, y= the offer\'s', () => {
    const offer = readGbOffer(offerText(['m=video 30000 RTP/AVP 96 98']));
    expect(sendModeOf(offer.transport)).toBe('udp');
    const a = parseSdp(upwardAnswer(offer, { channelId: CHANNEL, mediaIp: '192.0.2.20', localPort: 31000, ssrc: '0200000007' }));
    expect(a.media[0]).toMatchObject({ type: 'video', port: 31000, protocol: 'RTP/AVP', formats: [96], direction: 'sendonly' });
    expect(a.connection?.address).toBe('192.0.2.20');
    expect(a.origin.username).toBe(CHANNEL);
    expect(a.ssrc).toBe('0200000007');
  });

  it('TCP passive (the superior listens): we connect, answering setup:active with the discard port 9 (RFC 4145 §4.1)', () => {
    const offer = readGbOffer(offerText(['m=video 30002 TCP/RTP/AVP 96', 'a=setup:passive', 'a=connection:new']));
    expect(offer.transport).toBe('tcp-passive');
    expect(sendModeOf(offer.transport)).toBe('tcp-connect');
    const a = parseSdp(upwardAnswer(offer, { channelId: CHANNEL, mediaIp: '192.0.2.20', localPort: 0, ssrc: '0200000007' }));
    expect(a.media[0]).toMatchObject({ port: 9, protocol: 'TCP/RTP/AVP', setup: 'active', connectionMode: 'new' });
  });

  it('TCP active (the superior connects): we listen on our pool port and answer setup:passive with it', () => {
    const offer = readGbOffer(offerText(['m=video 30004 TCP/RTP/AVP 96', 'a=setup:active', 'a=connection:new']));
    expect(sendModeOf(offer.transport)).toBe('tcp-listen');
    const a = parseSdp(upwardAnswer(offer, { channelId: CHANNEL, mediaIp: '192.0.2.20', localPort: 31002, ssrc: '0200000007' }));
    expect(a.media[0]).toMatchObject({ port: 31002, setup: 'passive' });
  });

  it('Playback keeps the offer\'s u= and t= in the answer', () => {
    const offer = readGbOffer(offerText(['m=video 30000 RTP/AVP 96'], ['s=Playback', `u=${CHANNEL}:0`, 'c=IN IP4 127.0.0.1', 't=1700000000 1700000600']));
    const a = parseSdp(upwardAnswer(offer, { channelId: CHANNEL, mediaIp: '192.0.2.20', localPort: 31000, ssrc: '1200000007' }));
    expect(a).toMatchObject({ sessionName: 'Playback', uri: `${CHANNEL}:0`, timing: { start: 1_700_000_000, stop: 1_700_000_600 }, ssrc: '1200000007' });
  });
});

describe('sipStatusOfUpwardFailure', () => {
  it('maps the error catalogue to the SIP status the superior gets, relaying the camera\'s own refusal but not its auth challenge', () => {
    const cases: [GatewayError | Error, number][] = [
      [new GatewayError('CHANNEL_NOT_FOUND', 'x'), 404],
      [new GatewayError('DEVICE_OFFLINE', 'x'), 480],
      [new GatewayError('DEVICE_REFUSED', 'x', { sipStatus: 486 }), 486],
      [new GatewayError('DEVICE_REFUSED', 'x', { sipStatus: 401 }), 502],
      [new GatewayError('DEVICE_REFUSED', 'x'), 502],
      [new GatewayError('DEVICE_NO_ANSWER', 'x'), 504],
      [new GatewayError('MEDIA_NO_RTP', 'x'), 504],
      [new GatewayError('MEDIA_WRONG_SSRC', 'x'), 502],
      [new GatewayError('PORTS_EXHAUSTED', 'x'), 503],
      [new GatewayError('VALIDATION_FAILED', 'x'), 400],
      [new Error('boom'), 500],
    ];
    for (const [e, status] of cases) expect([e.message, (e as GatewayError).code, sipStatusOfUpwardFailure(e).status]).toEqual([e.message, (e as GatewayError).code, status]);
    expect(sipStatusOfUpwardFailure(new GatewayError('DEVICE_OFFLINE', 'device 1 is offline')).text).toBe('DEVICE_OFFLINE: device 1 is offline');
  });
});

/** A stream as UpwardSession uses it: media emitting access units, holds, close, the 'closed' event. */
class FakeStream extends EventEmitter {
  streamId = 'dev_ch';
  media = new EventEmitter();
  holds = 0;
  closed: string[] = [];
  isOpen = true;
  hold(): () => void {
    this.holds++;
    let done = false;
    return () => {
      if (!done) this.holds--;
      done = true;
    };
  }
  async close(r: { message: string }): Promise<void> {
    this.closed.push(r.message);
    this.isOpen = false;
  }
}

const h264 = fixtureFrames('h264-176x144-30f');
const units = (): PsAccessUnit[] => h264.map((f, i) => ({ kind: 'video', codec: 'h264', streamId: 0xe0, pts: i * 3600, keyframe: f.key, data: f.data }));

describe('UpwardSession', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function rig(sessionName: 'Play' | 'Playback' = 'Play') {
    const rx = dgram.createSocket('udp4');
    const got: RtpPacket[] = [];
    rx.on('message', (b) => got.push(parseRtpPacket(b)));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => rx.close(() => r())));
    const head = sessionName === 'Play' ? undefined : ['s=Playback', `u=${CHANNEL}:0`, 'c=IN IP4 127.0.0.1', 't=1700000000 1700000600'];
    const offer = readGbOffer(offerText([`m=video ${rx.address().port} RTP/AVP 96`], head));
    const stream = new FakeStream();
    const log: string[] = [];
    const byes: Dialog[] = [];
    let releasedPorts = 0;
    let openGate: () => void = () => undefined;
    const opened = new Promise<void>((r) => (openGate = r));
    const opens: unknown[] = [];
    const deps: UpwardSessionDeps = {
      openStream: async (_d, _c, o) => {
        opens.push(o);
        await opened;
        return stream as unknown as Stream;
      },
      bindOnPoolPort: async (open) => ({ port: 0, value: await open(0), release: () => void releasedPorts++ }),
      bye: async (d) => void byes.push(d),
      log: (_l, m) => log.push(m),
    };
    const s = new UpwardSession({ callId: 'c1', platformId: 'p1', deviceId: 'dev', channelId: CHANNEL, offer, ssrc: offer.ssrc!, mediaIp: '127.0.0.1', bindHost: '127.0.0.1' }, deps);
    cleanups.push(() => s.close('spec end'));
    return { s, stream, got, byes, log, opens, openGate, released: () => releasedPorts };
  }

  it('Play: joins the stream as a holder, sends its access units from the next keyframe with the y= SSRC, and the camera\'s end closes it with a BYE upward', async () => {
    const { s, stream, got, byes, opens, openGate, released } = await rig();
    openGate();
    const sdp = await s.start();
    expect(parseSdp(sdp!).media[0]!.port).toBe(s.sender!.port);
    expect(opens[0]).toMatchObject({ kind: 'live', holder: true });
    expect(stream.holds).toBe(1);
    const dialog = { callId: 'c1' } as Dialog;
    s.attach(dialog);
    expect(s.state).toBe('sending');
    for (const u of units().slice(5)) stream.media.emit('accessUnit', u);
    await new Promise((r) => setTimeout(r, 100));
    expect(got.length).toBe(s.sender!.stats.packetsSent);
    expect(got.every((p) => p.ssrc === 200000007)).toBe(true);
    const d = new PsDemuxer();
    const v = got.flatMap((p) => d.push(p.payload, { marker: p.marker }));
    expect(v[0]!.pts).toBe(10 * 3600); // from the keyframe at frame 10
    expect(s.toDto()).toMatchObject({ state: 'sending', transport: 'udp', ssrc: '0200000007', streamId: 'dev_ch', framesDropped: 5 });

    stream.emit('closed', { kind: 'closed', why: 'device-bye', message: 'the device sent BYE' });
    await s.close('again'); // idempotent: the first reason stays
    expect(s.closeReason).toMatch(/camera's stream ended \(the device sent BYE\)/);
    expect(byes).toEqual([dialog]);
    expect(stream.holds).toBe(0);
    expect(stream.closed).toEqual([]); // a live stream stays for its other viewers
    expect(released()).toBe(1);
    const before = got.length;
    stream.media.emit('accessUnit', units()[20]!);
    await new Promise((r) => setTimeout(r, 50));
    expect(got.length).toBe(before);
  });

  it('Playback: opens a stream of its own with the t= range and closes it at the end; the superior\'s BYE sends none back', async () => {
    const { s, stream, byes, opens, openGate } = await rig('Playback');
    openGate();
    await s.start();
    expect(opens[0]).toMatchObject({ kind: 'playback', holder: true, startTime: 1_700_000_000, endTime: 1_700_000_600 });
    expect(stream.holds).toBe(0);
    s.attach({ callId: 'c1' } as Dialog);
    await s.close('the superior sent BYE', true);
    expect(byes).toEqual([]);
    expect(stream.closed).toHaveLength(1);
  });

  it('close() while the stream is still opening (a CANCEL) releases the stream as soon as it opened, and binds no sender', async () => {
    const { s, stream, byes, openGate, released } = await rig();
    const started = s.start();
    await s.close('the superior CANCELled its INVITE');
    openGate();
    expect(await started).toBeUndefined();
    expect(stream.holds).toBe(0);
    expect(s.sender).toBeUndefined();
    expect(released()).toBe(0);
    expect(byes).toEqual([]);
  });
});
