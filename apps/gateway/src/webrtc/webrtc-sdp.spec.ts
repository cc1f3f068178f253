import { describe, expect, it } from 'vitest';
import { looksLikeVideoOffer, withPublicHostCandidates } from './webrtc-sdp';

const answer = [
  'v=0', 'o=- 1 0 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0',
  'a=candidate:a1 1 udp 2130706431 192.0.2.2 40000 typ host', 'a=candidate:a2 1 udp 2130706431 10.0.0.5 40000 typ host',
  'a=candidate:b 1 tcp 1 192.0.2.2 9 typ host tcptype active', 'a=end-of-candidates', '',
].join('\r\n');

describe('withPublicHostCandidates', () => {
  it('adds one UDP host candidate per port with the public address, the same port and a lower priority; CRLF kept', () => {
    const out = withPublicHostCandidates(answer, '203.0.113.7');
    const added = out.split('\r\n').filter((l) => l.includes('203.0.113.7'));
    expect(added).toEqual(['a=candidate:a1p 1 udp 2130705431 203.0.113.7 40000 typ host']);
    expect(out.split('\r\n').length).toBe(answer.split('\r\n').length + 1);
  });

  it('without a public host, or when the public host already is a candidate, returns the SDP unchanged', () => {
    expect(withPublicHostCandidates(answer, undefined)).toBe(answer);
    expect(withPublicHostCandidates(answer, '192.0.2.2').split('\r\n').filter((l) => l.includes('192.0.2.2 40000')).length).toBe(1);
  });
});

describe('looksLikeVideoOffer', () => {
  it('wants v=0 first and an m=video section', () => {
    expect(looksLikeVideoOffer(answer)).toBe(true);
    expect(looksLikeVideoOffer('v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n')).toBe(false);
    expect(looksLikeVideoOffer('hello')).toBe(false);
  });
});
