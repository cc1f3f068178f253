import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { buildGbAnswer, buildGbOffer } from './gb-sdp.builder';
import { MAX_SDP_BYTES, MAX_SDP_LINES, parseSdp, serializeSdp } from './sdp.codec';

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

// A Hikvision IPC's 200 OK to a live INVITE, as captured in the field (addresses replaced).
const HIKVISION_ANSWER = crlf([
  'v=0',
  'o=34020000001320000001 2122 2122 IN IP4 192.0.2.64',
  's=Play',
  'c=IN IP4 192.0.2.64',
  't=0 0',
  'm=video 15060 RTP/AVP 96',
  'a=sendonly',
  'a=rtpmap:96 PS/90000',
  'a=filesize:0',
  'y=0200000001',
  'f=v/2/5/25/1/4096a/1/8/1',
]);

describe('parseSdp', () => {
  it('parseSdp() of a Hikvision answer reads y= and f= after the media section and the PS rtpmap', () => {
    const s = parseSdp(HIKVISION_ANSWER);
    expect(s.origin).toEqual({ username: '34020000001320000001', sessionId: '2122', sessionVersion: '2122', netType: 'IN', addrType: 'IP4', address: '192.0.2.64' });
    expect(s.sessionName).toBe('Play');
    expect(s.connection?.address).toBe('192.0.2.64');
    expect(s.ssrc).toBe('0200000001');
    expect(s.format).toBe('v/2/5/25/1/4096a/1/8/1');
    expect(s.media).toHaveLength(1);
    expect(s.media[0]).toMatchObject({ type: 'video', port: 15060, protocol: 'RTP/AVP', formats: [96], direction: 'sendonly', rtpmap: { 96: { encoding: 'PS', clockRate: 90000 } } });
    expect(s.media[0].attributes).toContainEqual({ name: 'filesize', value: '0' });
  });

  it('parseSdp() of a TCP answer with LF-only lines and no t= reads setup, connection and defaults timing to 0 0', () => {
    const s = parseSdp('v=0\no=34020000001320000001 0 0 IN IP4 192.0.2.65\ns=Playback\nu=34020000001320000001:0\nc=IN IP4 192.0.2.65\nm=video 6000 TCP/RTP/AVP 96\na=sendonly\na=rtpmap:96 PS/90000\na=setup:active\na=connection:new\na=downloadspeed:4\ny=1200000001\n');
    expect(s.timing).toEqual({ start: 0, stop: 0 });
    expect(s.uri).toBe('34020000001320000001:0');
    expect(s.media[0]).toMatchObject({ protocol: 'TCP/RTP/AVP', setup: 'active', connectionMode: 'new', downloadSpeed: 4 });
  });

  it('serializeSdp() of a parsed answer reproduces it byte for byte (CRLF, y= and f= last)', () => {
    expect(serializeSdp(parseSdp(HIKVISION_ANSWER))).toBe(HIKVISION_ANSWER);
  });

  const hostile: [string, string, string][] = [
    ['a body over MAX_SDP_BYTES', 'v=0\r\n' + 'a=x\r\n'.repeat(MAX_SDP_BYTES / 5), 'SDP_TOO_LARGE'],
    ['more than MAX_SDP_LINES lines', 'v=0\r\n' + 'a=x\r\n'.repeat(MAX_SDP_LINES + 1), 'SDP_TOO_MANY_LINES'],
    ['binary bytes', 'v=0\r\no=a 0 0 IN IP4 1.2.3.4\r\ns=\u0000\u0001Play\r\n', 'SDP_BINARY'],
    ['no v= line', 'o=a 0 0 IN IP4 1.2.3.4\r\ns=Play\r\n', 'SDP_MISSING_VERSION'],
    ['no o= line', 'v=0\r\ns=Play\r\n', 'SDP_MISSING_ORIGIN'],
    ['no s= line', 'v=0\r\no=a 0 0 IN IP4 1.2.3.4\r\n', 'SDP_MISSING_SESSION_NAME'],
    ['a short o= line', 'v=0\r\no=a 0 0\r\ns=Play\r\n', 'SDP_BAD_ORIGIN'],
    ['a line without =', 'v=0\r\nhello\r\n', 'SDP_BAD_LINE'],
    ['a port over 65535', 'v=0\r\no=a 0 0 IN IP4 1.2.3.4\r\ns=Play\r\nm=video 70000 RTP/AVP 96\r\n', 'SDP_BAD_MEDIA'],
    ['a non-numeric format', 'v=0\r\no=a 0 0 IN IP4 1.2.3.4\r\ns=Play\r\nm=video 1 RTP/AVP PS\r\n', 'SDP_BAD_MEDIA'],
    ['a bad t=', 'v=0\r\no=a 0 0 IN IP4 1.2.3.4\r\ns=Play\r\nt=now later\r\n', 'SDP_BAD_TIMING'],
    ['a c= with two fields', 'v=0\r\no=a 0 0 IN IP4 1.2.3.4\r\ns=Play\r\nc=IN IP4\r\n', 'SDP_BAD_CONNECTION'],
  ];
  it.each(hostile)('parseSdp() of %s throws %s', (_name, text, code) => {
    expect(() => parseSdp(text)).toThrow(expect.objectContaining({ code }));
  });

  it('parseSdp() of random and mutated text throws nothing but Gb28181Error (fuzz, seed 4566)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.array(fc.tuple(fc.nat(HIKVISION_ANSWER.length - 1), fc.string({ maxLength: 3 })), { maxLength: 10 }).map((muts) => {
            let t = HIKVISION_ANSWER;
            for (const [i, v] of muts) t = t.slice(0, i) + v + t.slice(i + 1);
            return t;
          }),
        ),
        (text) => {
          try {
            const s = parseSdp(text);
            parseSdp(serializeSdp(s));
          } catch (e) {
            expect(e).toBeInstanceOf(Gb28181Error);
          }
        },
      ),
      { seed: 4566, numRuns: 2000 },
    );
  });
});

describe('buildGbOffer / buildGbAnswer', () => {
  const base = { platformId: '34020000002000000001', ip: '192.0.2.10', port: 30000, ssrc: '0200000001' };

  it('buildGbOffer() for UDP live play matches the GB/T 28181 Annex F example line for line', () => {
    expect(buildGbOffer({ ...base, sessionName: 'Play', transport: 'udp' })).toBe(
      crlf([
        'v=0', 'o=34020000002000000001 0 0 IN IP4 192.0.2.10', 's=Play', 'c=IN IP4 192.0.2.10', 't=0 0',
        'm=video 30000 RTP/AVP 96 97 98 99', 'a=recvonly', 'a=rtpmap:96 PS/90000', 'a=rtpmap:97 MPEG4/90000',
        'a=rtpmap:98 H264/90000', 'a=rtpmap:99 H265/90000', 'y=0200000001',
      ]),
    );
  });

  it('buildGbOffer() for TCP passive playback writes TCP/RTP/AVP, setup:passive, connection:new, u= and t=', () => {
    const s = parseSdp(buildGbOffer({ ...base, sessionName: 'Playback', transport: 'tcp-passive', channelId: '34020000001320000001', startTime: 1700000000, endTime: 1700003600, ssrc: '1200000001' }));
    expect(s.uri).toBe('34020000001320000001:0');
    expect(s.timing).toEqual({ start: 1700000000, stop: 1700003600 });
    expect(s.media[0]).toMatchObject({ protocol: 'TCP/RTP/AVP', setup: 'passive', connectionMode: 'new', direction: 'recvonly', formats: [96, 97, 98, 99] });
    expect(s.ssrc).toBe('1200000001');
  });

  it('buildGbOffer() for TCP active download writes setup:active, downloadspeed and streamnumber', () => {
    const text = buildGbOffer({ ...base, sessionName: 'Download', transport: 'tcp-active', channelId: '34020000001320000001', startTime: 1, endTime: 2, downloadSpeed: 4, streamNumber: 1 });
    const m = parseSdp(text).media[0];
    expect(m).toMatchObject({ setup: 'active', downloadSpeed: 4 });
    expect(m.attributes).toContainEqual({ name: 'streamnumber', value: '1' });
  });

  it('buildGbOffer() for Playback without channelId or with a spaced platformId throws SDP_BAD_FIELD', () => {
    expect(() => buildGbOffer({ ...base, sessionName: 'Playback', transport: 'udp' })).toThrow(expect.objectContaining({ code: 'SDP_BAD_FIELD' }));
    expect(() => buildGbOffer({ ...base, platformId: 'a b\r\nx=1', sessionName: 'Play', transport: 'udp' })).toThrow(expect.objectContaining({ code: 'SDP_BAD_FIELD' }));
  });

  it('buildGbAnswer() to a TCP passive offer answers sendonly PS/90000 with setup:active and the offered y=', () => {
    const offer = buildGbOffer({ ...base, sessionName: 'Play', transport: 'tcp-passive' });
    const a = parseSdp(buildGbAnswer({ offer, deviceId: '34020000001320000001', ip: '192.0.2.64', port: 15060, format: 'v/2/5/25/1/4096a///' }));
    expect(a.media[0]).toMatchObject({ port: 15060, protocol: 'TCP/RTP/AVP', formats: [96], direction: 'sendonly', setup: 'active', rtpmap: { 96: { encoding: 'PS', clockRate: 90000 } } });
    expect(a.ssrc).toBe('0200000001');
    expect(a.format).toBe('v/2/5/25/1/4096a///');
    expect(a.origin.username).toBe('34020000001320000001');
  });

  it('buildGbAnswer() to a UDP offer with its own SSRC answers RTP/AVP with that y=', () => {
    const offer = buildGbOffer({ ...base, sessionName: 'Play', transport: 'udp' });
    const a = parseSdp(buildGbAnswer({ offer, deviceId: '34020000001320000001', ip: '192.0.2.64', port: 15060, ssrc: '0200000999' }));
    expect(a.media[0].protocol).toBe('RTP/AVP');
    expect(a.media[0].setup).toBeUndefined();
    expect(a.ssrc).toBe('0200000999');
  });
});
