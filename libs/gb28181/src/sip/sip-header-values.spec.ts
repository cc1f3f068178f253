import { describe, it, expect } from 'vitest';
import { formatNameAddr, formatVia, getTag, parseCSeq, parseExpires, parseNameAddr, parseVia } from './sip-header-values';
import { formatSipUri, parseSipUri } from './sip-uri';
import { SipHeaders, splitSipHeaderList } from './sip-message';

describe('parseNameAddr()', () => {
  const table: [string, ReturnType<typeof parseNameAddr>][] = [
    ['<sip:34020000001320000001@3402000000>;tag=2043466181', { uri: 'sip:34020000001320000001@3402000000', params: { tag: '2043466181' } }],
    ['"Mr. \\"J\\"" <sip:j@example.com>;tag=1;x', { displayName: 'Mr. "J"', uri: 'sip:j@example.com', params: { tag: '1', x: null } }],
    ['caller<sip:caller@example.com>;tag=323', { displayName: 'caller', uri: 'sip:caller@example.com', params: { tag: '323' } }],
    ['sip:+19725552222@gw1.example.net;unknownparam', { uri: 'sip:+19725552222@gw1.example.net', params: { unknownparam: null } }],
    ['sip:u@h ;   tag    = 1918181833n', { uri: 'sip:u@h', params: { tag: '1918181833n' } }],
    ['<sip:a@h>;expires="3600"', { uri: 'sip:a@h', params: { expires: '"3600"' } }],
    ['*', { uri: '*', params: {} }],
  ];
  for (const [input, expected] of table) {
    it(`parses ${input}`, () => {
      expect(parseNameAddr(input)).toEqual(expected);
    });
  }
  for (const bad of ['', '"Joe <sip:a@h>', 'Bell, Alexander <sip:a@h>', '<sip:a@h', '<sip:a@h>;;', '<sip:a@h>;tag=', '<nouri>', '<sip:a@h> junk']) {
    it(`rejects ${JSON.stringify(bad)} with SIP_BAD_HEADER`, () => {
      expect(() => parseNameAddr(bad)).toThrow(expect.objectContaining({ code: 'SIP_BAD_HEADER' }));
    });
  }
  it('formatNameAddr() round-trips through parseNameAddr()', () => {
    const na = { displayName: 'A "q" \\ b', uri: 'sip:a@h', params: { tag: 'x', lr: null } };
    expect(parseNameAddr(formatNameAddr(na))).toEqual(na);
  });
  it('getTag() returns the tag or undefined', () => {
    expect(getTag('<sip:a@h>;tag=abc')).toBe('abc');
    expect(getTag('<sip:a@h;tag=uriparam>')).toBeUndefined();
  });
});

describe('parseVia()', () => {
  it('parses transport, host, port, branch, received and valueless rport', () => {
    expect(parseVia('SIP/2.0/udp 192.168.1.64:5060;rport;branch=z9hG4bK1371463273;received=10.0.0.7')).toEqual({
      protocol: 'SIP/2.0', transport: 'UDP', host: '192.168.1.64', port: 5060, params: { rport: null, branch: 'z9hG4bK1371463273', received: '10.0.0.7' },
    });
  });
  it('accepts LWS around "/" ";" and "=" (RFC 4475 wsinv)', () => {
    expect(parseVia('SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8')).toEqual({
      protocol: 'SIP/2.0', transport: 'TCP', host: 'spindle.example.com', params: { branch: 'z9hG4bK9ikj8' },
    });
  });
  it('parses an IPv6 sent-by', () => {
    expect(parseVia('SIP/2.0/UDP [2001:db8::9:1]:5061;branch=z9hG4bKx')).toMatchObject({ host: '[2001:db8::9:1]', port: 5061 });
  });
  for (const bad of ['', 'SIP/2.0 host', 'SIP/2.0/UDP', 'SIP/2.0/UDP h:99999', 'SIP/2.0/UDP h;', 'SIP/2.0/UDP h;;branch=1', 'SIP/2.0/UDP h b']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      expect(() => parseVia(bad)).toThrow(expect.objectContaining({ code: 'SIP_BAD_HEADER' }));
    });
  }
  it('formatVia() round-trips', () => {
    const v = parseVia('SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKa;rport=5060');
    expect(formatVia(v)).toBe('SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKa;rport=5060');
  });
});

describe('parseCSeq() / parseExpires()', () => {
  it('parses leading zeros and folded whitespace', () => {
    expect(parseCSeq('0009  INVITE')).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseCSeq('4294967295 REGISTER')).toEqual({ seq: 4294967295, method: 'REGISTER' });
  });
  for (const bad of ['', 'INVITE', '1', '-1 INVITE', '4294967296 INVITE', '36893488147419103232 INVITE', '1 INV ITE']) {
    it(`parseCSeq() rejects ${JSON.stringify(bad)} with SIP_BAD_CSEQ`, () => {
      expect(() => parseCSeq(bad)).toThrow(expect.objectContaining({ code: 'SIP_BAD_CSEQ' }));
    });
  }
  it('parseExpires() reads delta-seconds and rejects 1e100, negatives and overflow', () => {
    expect(parseExpires(' 3600 ')).toBe(3600);
    expect(parseExpires('0')).toBe(0);
    for (const bad of ['1e100', '-1', '', '4294967296', 'abc']) expect(() => parseExpires(bad)).toThrow(expect.objectContaining({ code: 'SIP_BAD_EXPIRES' }));
  });
});

describe('parseSipUri()', () => {
  it('parses a GB28181 URI with an all-digit host', () => {
    expect(parseSipUri('sip:34020000001320000001@3402000000')).toEqual({ scheme: 'sip', user: '34020000001320000001', host: '3402000000', params: {}, headers: {} });
  });
  it('parses password, port, params and headers, unescaping once', () => {
    expect(parseSipUri('SIPS:alice:se%63ret@192.168.1.64:5061;transport=TCP;lr;name=value%2541?subject=hi%20there&x=1')).toEqual({
      scheme: 'sips', user: 'alice', password: 'secret', host: '192.168.1.64', port: 5061,
      params: { transport: 'TCP', lr: null, name: 'value%41' }, headers: { subject: 'hi there', x: '1' },
    });
  });
  it('keeps escaped NUL and escaped "@" inside the user (RFC 4475 escnull, semiuri)', () => {
    expect(parseSipUri('sip:null-%00-null@example.com').user).toBe('null-\u0000-null');
    expect(parseSipUri('sip:user;par=u%40example.net@example.com').user).toBe('user;par=u@example.net');
  });
  it('parses an IPv6 host with port', () => {
    expect(parseSipUri('sip:[2001:db8::10]:5070')).toMatchObject({ host: '[2001:db8::10]', port: 5070 });
  });
  for (const bad of ['', 'sip', 'tel:+123', 'sip:', 'sip:@h', 'sip:a@h:70000', 'sip:a@h;', 'sip:a b@h', 'sip:a@-bad-']) {
    it(`rejects ${JSON.stringify(bad)} with SIP_BAD_URI`, () => {
      expect(() => parseSipUri(bad)).toThrow(expect.objectContaining({ code: 'SIP_BAD_URI' }));
    });
  }
  it('formatSipUri() re-escapes and round-trips', () => {
    const u = parseSipUri('sip:a%20b:p@3402000000:5060;transport=udp?h=%3Cx%3E');
    const s = formatSipUri(u);
    expect(s).toBe('sip:a%20b:p@3402000000:5060;transport=udp?h=%3Cx%3E');
    expect(parseSipUri(s)).toEqual(u);
  });
});

describe('SipHeaders', () => {
  it('is case-insensitive, ordered, and maps compact names', () => {
    const h = new SipHeaders([['v', 'a'], ['To', 't'], ['VIA', 'b']]);
    expect(h.getAll('via')).toEqual(['a', 'b']);
    expect(h.get('t')).toBe('t');
    expect(h.entries()).toEqual([['Via', 'a'], ['To', 't'], ['Via', 'b']]);
  });
  it('set() replaces every line in place; delete() and has() work by any spelling', () => {
    const h = new SipHeaders([['Via', 'a'], ['To', 't'], ['Via', 'b']]);
    h.set('v', 'c');
    expect(h.entries()).toEqual([['Via', 'c'], ['To', 't']]);
    expect(h.delete('TO')).toBe(true);
    expect(h.has('to')).toBe(false);
  });
  it('getAll() splits list headers on commas outside quotes and <>, not other headers', () => {
    const h = new SipHeaders([
      ['Contact', '"Doe, J" <sip:a@h;x=1,2>;expires=60, <sip:b@h>'],
      ['Subject', 'a, b'],
    ]);
    expect(h.getAll('m')).toEqual(['"Doe, J" <sip:a@h;x=1,2>;expires=60', '<sip:b@h>']);
    expect(h.getAll('Subject')).toEqual(['a, b']);
    expect(splitSipHeaderList('a,,b', true)).toEqual(['a', '', 'b']);
  });
  it('clone() is independent of the original', () => {
    const h = new SipHeaders([['To', 't']]);
    const c = h.clone();
    c.set('To', 'x');
    expect(h.get('To')).toBe('t');
  });
});
