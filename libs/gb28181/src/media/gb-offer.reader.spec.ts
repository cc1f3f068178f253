import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { buildGbAnswer, buildGbOffer } from './gb-sdp.builder';
import { GB_OFFER_UNSUPPORTED, isIpLiteral, MAX_OFFER_DOWNLOAD_SPEED, MAX_OFFER_UNIX_S, readGbOffer } from './gb-offer.reader';
import { parseSdp } from './sdp.codec';

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

/** A superior's live offer as WVP-GB28181-pro writes it (addresses replaced). */
const WVP_PLAY_UDP = crlf([
  'v=0',
  'o=34020000002000000002 0 0 IN IP4 192.0.2.10',
  's=Play',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=video 30000 RTP/AVP 96 97 98 99',
  'a=recvonly',
  'a=rtpmap:96 PS/90000',
  'a=rtpmap:98 H264/90000',
  'a=rtpmap:97 MPEG4/90000',
  'a=rtpmap:99 H265/90000',
  'y=0200000001',
]);

const offer = (lines: string[]) => crlf(lines);
const base = (m: string[], head: string[] = ['s=Play', 'c=IN IP4 192.0.2.10', 't=0 0'], tail: string[] = ['y=0200000001']) =>
  offer(['v=0', 'o=34020000002000000002 0 0 IN IP4 192.0.2.10', ...head, ...m, ...tail]);

function codeOf(text: string): string {
  try {
    readGbOffer(text);
  } catch (e) {
    expect(e).toBeInstanceOf(Gb28181Error);
    return (e as Gb28181Error).code;
  }
  return 'ok';
}

describe('readGbOffer', () => {
  it('readGbOffer() of a WVP live offer over UDP gives Play, udp, the receive address and port, y= and its number', () => {
    const o = readGbOffer(WVP_PLAY_UDP);
    expect(o).toMatchObject({ sessionName: 'Play', transport: 'udp', host: '192.0.2.10', port: 30000, ssrc: '0200000001', ssrcNumber: 200000001 });
    expect(o.startTime).toBeUndefined();
    expect(o.media.type).toBe('video');
  });

  it('readGbOffer() names TCP from the receiver side: setup:passive / actpass / none -> tcp-passive (we connect), setup:active -> tcp-active', () => {
    const tcp = (setup: string[]) => readGbOffer(base(['m=video 30002 TCP/RTP/AVP 96', 'a=recvonly', 'a=rtpmap:96 PS/90000', ...setup, 'a=connection:new']));
    expect(tcp(['a=setup:passive'])).toMatchObject({ transport: 'tcp-passive', host: '192.0.2.10', port: 30002 });
    expect(tcp(['a=setup:actpass']).transport).toBe('tcp-passive');
    expect(tcp([]).transport).toBe('tcp-passive');
    expect(tcp(['a=setup:active'])).toMatchObject({ transport: 'tcp-active', port: 30002 });
  });

  it('readGbOffer() of the platform\'s own offers (buildGbOffer) reads back what was put in, for every transport and session', () => {
    for (const transport of ['udp', 'tcp-passive', 'tcp-active'] as const) {
      const o = readGbOffer(buildGbOffer({ sessionName: 'Download', platformId: '34020000002000000001', ip: '2001:db8::7', port: 31000, transport, ssrc: '1000000042', channelId: '34020000001310000001', startTime: 1_700_000_000, endTime: 1_700_000_600, downloadSpeed: 4 }));
      expect(o).toMatchObject({ sessionName: 'Download', transport, host: '2001:db8::7', port: 31000, ssrc: '1000000042', startTime: 1_700_000_000, endTime: 1_700_000_600, downloadSpeed: 4, uri: '34020000001310000001:0' });
    }
  });

  it('readGbOffer() takes the media-level c= over the session one, and the video section when audio comes first', () => {
    const o = readGbOffer(base(['m=audio 40000 RTP/AVP 8', 'c=IN IP4 192.0.2.99', 'm=video 30004 RTP/AVP 96', 'c=IN IP4 192.0.2.11', 'a=recvonly']));
    expect(o).toMatchObject({ host: '192.0.2.11', port: 30004 });
  });

  it('readGbOffer() without y= leaves the SSRC to the caller; Download without a=downloadspeed is speed 1', () => {
    expect(readGbOffer(base(['m=video 30000 RTP/AVP 96'], undefined, [])).ssrc).toBeUndefined();
    const d = readGbOffer(base(['m=video 30000 RTP/AVP 96'], ['s=Download', 'u=34020000001310000001:0', 'c=IN IP4 192.0.2.10', 't=1700000000 1700000060']));
    expect(d.downloadSpeed).toBe(1);
  });

  it('readGbOffer() refuses, with a code per cause, what a PS sender cannot serve', () => {
    const cases: [string, string][] = [
      [base(['m=audio 30000 RTP/AVP 8'], ['s=Talk', 'c=IN IP4 192.0.2.10', 't=0 0']), GB_OFFER_UNSUPPORTED],
      [base(['m=audio 30000 RTP/AVP 8']), GB_OFFER_UNSUPPORTED],
      [base(['m=video 30000 RTP/AVP 98', 'a=rtpmap:98 H264/90000']), GB_OFFER_UNSUPPORTED],
      [base(['m=video 30000 RTP/AVP 96', 'a=sendonly']), GB_OFFER_UNSUPPORTED],
      [base(['m=video 30000 RTP/SAVP 96']), GB_OFFER_UNSUPPORTED],
      [base(['m=video 30000 RTP/AVP 96'], ['s=Play', 't=0 0']), 'GB_OFFER_BAD_ADDRESS'],
      [base(['m=video 30000 RTP/AVP 96'], ['s=Play', 'c=IN IP4 0.0.0.0', 't=0 0']), 'GB_OFFER_BAD_ADDRESS'],
      [base(['m=video 30000 RTP/AVP 96'], ['s=Play', 'c=IN IP4 superior.example', 't=0 0']), 'GB_OFFER_BAD_ADDRESS'],
      [base(['m=video 30000 RTP/AVP 96'], ['s=Play', 'c=IN IP4 300.1.2.3', 't=0 0']), 'GB_OFFER_BAD_ADDRESS'],
      [base(['m=video 30000 RTP/AVP 96'], ['s=Play', 'c=ATM NSAP 47.0091', 't=0 0']), 'GB_OFFER_BAD_ADDRESS'],
      [base(['m=video 0 RTP/AVP 96']), 'GB_OFFER_BAD_PORT'],
      [base(['m=video 0 TCP/RTP/AVP 96', 'a=setup:passive']), 'GB_OFFER_BAD_PORT'],
      [base(['m=video 30000 RTP/AVP 96'], undefined, ['y=02000000x1']), 'GB_OFFER_BAD_SSRC'],
      [base(['m=video 30000 RTP/AVP 96'], undefined, ['y=9999999999']), 'GB_OFFER_BAD_SSRC'],
      [base(['m=video 30000 RTP/AVP 96'], ['s=Playback', 'c=IN IP4 192.0.2.10', 't=0 0']), 'GB_OFFER_BAD_RANGE'],
      [base(['m=video 30000 RTP/AVP 96'], ['s=Playback', 'c=IN IP4 192.0.2.10', 't=1700000600 1700000000']), 'GB_OFFER_BAD_RANGE'],
      [base(['m=video 30000 RTP/AVP 96'], ['s=Playback', 'c=IN IP4 192.0.2.10', `t=1700000000 ${MAX_OFFER_UNIX_S + 1}`]), 'GB_OFFER_BAD_RANGE'],
      [base(['m=video 30000 RTP/AVP 96', `a=downloadspeed:${MAX_OFFER_DOWNLOAD_SPEED + 1}`], ['s=Download', 'c=IN IP4 192.0.2.10', 't=1700000000 1700000060']), 'GB_OFFER_BAD_SPEED'],
      [base(['m=video 30000 RTP/AVP 96', 'a=downloadspeed:fast'], ['s=Download', 'c=IN IP4 192.0.2.10', 't=1700000000 1700000060']), 'GB_OFFER_BAD_SPEED'],
      ['v=0\r\ns=Play\r\n', 'SDP_MISSING_ORIGIN'],
      ['INVITE sip:x SIP/2.0\r\n', 'SDP_BAD_LINE'],
      ['v=0\r\no=a 0 0 IN IP4 1.2.3.4\r\ns=Play\x00\r\n', 'SDP_BINARY'],
      [`v=0\r\n${'a=x\r\n'.repeat(300)}`, 'SDP_TOO_MANY_LINES'],
    ];
    for (const [text, code] of cases) expect([text.slice(0, 200), codeOf(text)]).toEqual([text.slice(0, 200), code]);
  });

  it('readGbOffer() of random text and of mutated offers throws only Gb28181Error (hostile input)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (s) => {
        codeOf(s);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(WVP_PLAY_UDP.length - 1), fc.string({ minLength: 1, maxLength: 12 }), (at, junk) => {
        codeOf(WVP_PLAY_UDP.slice(0, at) + junk + WVP_PLAY_UDP.slice(at + 1));
      }),
      { numRuns: 500 },
    );
  });

  it('buildGbAnswer() to a read offer answers the video section: sendonly PS, y= of the offer, the opposite TCP role', () => {
    const o = readGbOffer(base(['m=audio 40000 RTP/AVP 8', 'm=video 30002 TCP/RTP/AVP 96', 'a=recvonly', 'a=setup:active', 'a=connection:new']));
    const a = parseSdp(buildGbAnswer({ offer: o.sdp, deviceId: '34020000001310000001', ip: '192.0.2.20', port: 31002, ssrc: o.ssrc }));
    expect(a.media).toHaveLength(1);
    expect(a.media[0]).toMatchObject({ type: 'video', port: 31002, protocol: 'TCP/RTP/AVP', formats: [96], direction: 'sendonly', setup: 'passive', connectionMode: 'new' });
    expect(a.ssrc).toBe('0200000001');
  });
});

describe('isIpLiteral', () => {
  it('isIpLiteral() accepts dotted quads and RFC 4291 text forms, refuses names, zones and near misses', () => {
    for (const ok of ['127.0.0.1', '192.0.2.255', '::', '::1', '2001:db8::7', 'fe80:0:0:0:0:0:0:1', '::ffff:192.0.2.1', '1:2:3:4:5:6:192.0.2.1']) expect([ok, isIpLiteral(ok)]).toEqual([ok, true]);
    for (const bad of ['', 'localhost', '1.2.3', '1.2.3.4.5', '256.0.0.1', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', ':1', '12345::', '1:2:3:4:5:6:7:1.2.3.4']) expect([bad, isIpLiteral(bad)]).toEqual([bad, false]);
  });
});
