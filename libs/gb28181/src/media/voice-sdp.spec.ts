import { describe, expect, it } from 'vitest';
import { buildGbOffer } from './gb-sdp.builder';
import { parseSdp } from './sdp.codec';
import { buildVoiceAnswer, buildVoiceOffer, readVoiceSdp } from './voice-sdp';
import { encodeBroadcastNotify, parseBroadcastNotify, MAX_BROADCAST_BODY_BYTES } from '../manscdp/broadcast';

const cameraOffer = (m: string, extra: string[] = []) =>
  ['v=0', 'o=34020000001320000001 0 0 IN IP4 192.0.2.7', 's=Play', 'c=IN IP4 192.0.2.7', 't=0 0', m, ...extra, 'y=0100000001', ''].join('\r\n');

describe('readVoiceSdp()', () => {
  it.each([
    ['m=audio 15060 RTP/AVP 8', ['a=rtpmap:8 PCMA/8000', 'a=sendrecv'], { payload: 'PCMA', payloadType: 8, law: 'alaw', transport: 'udp' }],
    ['m=audio 15060 RTP/AVP 0', ['a=rtpmap:0 PCMU/8000'], { payload: 'PCMU', payloadType: 0, law: 'ulaw', transport: 'udp' }],
    ['m=audio 15060 RTP/AVP 96', ['a=rtpmap:96 PS/90000', 'a=recvonly'], { payload: 'PS', payloadType: 96, law: 'alaw', direction: 'recvonly' }],
    ['m=audio 15060 TCP/RTP/AVP 8', ['a=rtpmap:8 PCMA/8000', 'a=setup:active'], { transport: 'tcp-active' }],
    ['m=audio 15060 TCP/RTP/AVP 8', ['a=rtpmap:8 PCMA/8000', 'a=setup:passive'], { transport: 'tcp-passive' }],
    ['m=audio 15060 RTP/AVP 96 8', ['a=rtpmap:96 PS/90000', 'a=rtpmap:8 PCMA/8000'], { payload: 'PCMA' }],
  ])('readVoiceSdp() of a camera offer with %s reads %o', (m, extra, want) => {
    expect(readVoiceSdp(cameraOffer(m, extra))).toMatchObject({ host: '192.0.2.7', port: 15060, ssrc: '0100000001', ...want });
  });

  it.each([
    [cameraOffer('m=video 15060 RTP/AVP 96'), 'VOICE_SDP_NO_AUDIO'],
    [cameraOffer('m=audio 15060 RTP/AVP 97', ['a=rtpmap:97 AAC/8000']), 'VOICE_SDP_NO_CODEC'],
    [cameraOffer('m=audio 15060 RTP/AVP 8').replace(/c=IN IP4 192.0.2.7/, 'c=IN IP4 0.0.0.0'), 'VOICE_SDP_BAD_ADDRESS'],
    [cameraOffer('m=audio 0 RTP/AVP 8'), 'VOICE_SDP_BAD_ADDRESS'],
  ])('readVoiceSdp() refuses an unusable SDP with %#: %s', (sdp, code) => {
    expect(() => readVoiceSdp(sdp)).toThrow(expect.objectContaining({ code }));
  });

  it('readVoiceSdp() reads the library Talk offer (PCMA before PS)', () => {
    const v = readVoiceSdp(buildGbOffer({ sessionName: 'Talk', platformId: '34020000002000000001', ip: '127.0.0.1', port: 30000, transport: 'udp', ssrc: '0100000009' }));
    expect(v).toMatchObject({ sessionName: 'Talk', payload: 'PCMA', direction: 'sendrecv', port: 30000 });
  });
});

describe('buildVoiceAnswer()', () => {
  it('answers a TCP active offer passive with the chosen payload only, sendonly, y=', () => {
    const peer = readVoiceSdp(cameraOffer('m=audio 15060 TCP/RTP/AVP 8 96', ['a=rtpmap:8 PCMA/8000', 'a=rtpmap:96 PS/90000', 'a=setup:active']));
    const s = parseSdp(buildVoiceAnswer({ peer, localId: '34020000002000000001', ip: '127.0.0.1', port: 31000, ssrc: '0100000001', direction: 'sendonly' }));
    expect(s.media[0]).toMatchObject({ type: 'audio', port: 31000, protocol: 'TCP/RTP/AVP', formats: [8], direction: 'sendonly', setup: 'passive' });
    expect(s.ssrc).toBe('0100000001');
    expect(readVoiceSdp(s)).toMatchObject({ payload: 'PCMA', transport: 'tcp-passive' });
  });

  it('refuses a bad SSRC with SDP_BAD_FIELD', () => {
    const peer = readVoiceSdp(cameraOffer('m=audio 15060 RTP/AVP 8'));
    expect(() => buildVoiceAnswer({ peer, localId: 'x', ip: '127.0.0.1', port: 1, ssrc: '12ab', direction: 'sendonly' })).toThrow(expect.objectContaining({ code: 'SDP_BAD_FIELD' }));
  });
});

describe('buildVoiceOffer()', () => {
  it('lists the payloads in order and round-trips through readVoiceSdp()', () => {
    const sdp = buildVoiceOffer({ sessionName: 'Play', localId: '34020000001320000001', ip: '127.0.0.1', port: 40000, transport: 'udp', payloads: ['PCMU', 'PS'], ssrc: '0100000003', direction: 'recvonly' });
    expect(parseSdp(sdp).media[0]!.formats).toEqual([0, 96]);
    expect(readVoiceSdp(sdp)).toMatchObject({ payload: 'PCMU', law: 'ulaw', direction: 'recvonly', ssrc: '0100000003' });
  });
});

describe('Broadcast notify', () => {
  it('encodeBroadcastNotify() round-trips through parseBroadcastNotify()', () => {
    const body = encodeBroadcastNotify({ sn: 17, sourceId: '34020000002000000001', targetId: '34020000001370000001' });
    expect(body.toString()).toContain('<CmdType>Broadcast</CmdType>');
    expect(parseBroadcastNotify(body)).toEqual({ sn: 17, sourceId: '34020000002000000001', targetId: '34020000001370000001' });
  });

  it('parseBroadcastNotify() is undefined for other bodies and refuses broken or oversized ones', () => {
    expect(parseBroadcastNotify(Buffer.from('<?xml version="1.0"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>'))).toBeUndefined();
    expect(() => parseBroadcastNotify(Buffer.from('<Notify><CmdType>Broadcast</CmdType><SN>1</SN><TargetID>1</TargetID></Notify>'))).toThrow(expect.objectContaining({ code: 'MANSCDP_MISSING_FIELD' }));
    expect(() => parseBroadcastNotify(Buffer.alloc(MAX_BROADCAST_BODY_BYTES + 1, 0x20))).toThrow(expect.objectContaining({ code: 'MANSCDP_TOO_LARGE' }));
    expect(() => encodeBroadcastNotify({ sn: 1, sourceId: '<x>', targetId: '1' })).toThrow(expect.objectContaining({ code: 'MANSCDP_BAD_FIELD' }));
  });
});
