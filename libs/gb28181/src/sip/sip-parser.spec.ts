import { describe, it, expect } from 'vitest';
import * as iconv from 'iconv-lite';
import { Gb28181Error } from '../errors';
import { parseSipMessage, DEFAULT_SIP_PARSE_LIMITS } from './sip-parser';
import { serializeSipMessage } from './sip-serializer';
import { SipMessage } from './sip-message';
import { KEEPALIVE_BODY_GB2312, KEEPALIVE_XML, SAMPLE_200_OK, SAMPLE_INVITE, SAMPLE_KEEPALIVE, SAMPLE_REGISTER, SAMPLE_REGISTER_AUTH, SAMPLE_SDP } from './testing/sip-samples';

const msg = (lines: string[], body = ''): Buffer => Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body);
const base = [
  'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc',
  'From: <sip:a@3402000000>;tag=1',
  'To: <sip:b@3402000000>',
  'Call-ID: c1',
];

function codeOf(data: Buffer): string {
  try {
    parseSipMessage(data);
    return 'OK';
  } catch (e) {
    if (!(e instanceof Gb28181Error)) throw e;
    return e.code;
  }
}

describe('parseSipMessage()', () => {
  it('parses a GB28181 REGISTER whose hosts are all digits', () => {
    const m = parseSipMessage(SAMPLE_REGISTER);
    expect(m.type).toBe('request');
    if (m.type !== 'request') return;
    expect(m.method).toBe('REGISTER');
    expect(m.uri).toBe('sip:34020000002000000001@3402000000');
    expect(m.version).toBe('SIP/2.0');
    expect(m.headers.get('from')).toBe('<sip:34020000001320000001@3402000000>;tag=2043466181');
    expect(m.headers.get('Expires')).toBe('3600');
    expect(m.headers.get('cseq')).toBe('1 REGISTER');
    expect(m.body.length).toBe(0);
  });

  it('parses a REGISTER with a Digest Authorization header and keeps the value verbatim', () => {
    const m = parseSipMessage(SAMPLE_REGISTER_AUTH);
    expect(m.headers.get('Authorization')).toContain('response="dcb484b405fb3c5c7c78c25bec9cdcdd"');
  });

  it('takes a GB2312 MESSAGE body by byte Content-Length, not by characters', () => {
    const m = parseSipMessage(SAMPLE_KEEPALIVE);
    expect(KEEPALIVE_BODY_GB2312.length).toBeGreaterThan(KEEPALIVE_XML.length); // 2 bytes per Han character
    expect(m.body.equals(KEEPALIVE_BODY_GB2312)).toBe(true);
    expect(iconv.decode(m.body, 'gb2312')).toBe(KEEPALIVE_XML);
  });

  it('parses an INVITE with an SDP body and a Subject header', () => {
    const m = parseSipMessage(SAMPLE_INVITE);
    expect(m.type === 'request' && m.method).toBe('INVITE');
    expect(m.body.toString()).toBe(SAMPLE_SDP);
    expect(m.headers.get('Subject')).toBe('34020000001320000001:0200000001,34020000002000000001:0');
    expect(m.headers.get('content-type')).toBe('APPLICATION/SDP');
  });

  it('parses a 200 OK response with status, reason and headers', () => {
    const m = parseSipMessage(SAMPLE_200_OK);
    expect(m.type).toBe('response');
    if (m.type !== 'response') return;
    expect(m.status).toBe(200);
    expect(m.reason).toBe('OK');
    expect(m.headers.get('Via')).toContain('received=10.0.0.7');
  });

  it('parses a response with a multi-word reason phrase and an empty one', () => {
    const a = parseSipMessage(msg(['SIP/2.0 481 Call/Transaction Does Not Exist', ...base, 'CSeq: 1 BYE']));
    expect(a.type === 'response' && a.reason).toBe('Call/Transaction Does Not Exist');
    const b = parseSipMessage(msg(['SIP/2.0 100 ', ...base, 'CSeq: 1 INVITE']));
    expect(b.type === 'response' && [b.status, b.reason]).toEqual([100, '']);
  });

  it('accepts bare LF line ends', () => {
    const data = Buffer.from(['OPTIONS sip:x@3402000000 SIP/2.0', ...base, 'CSeq: 1 OPTIONS', 'Content-Length: 4', '', 'abcd'].join('\n'));
    const m = parseSipMessage(data);
    expect(m.headers.get('Call-ID')).toBe('c1');
    expect(m.body.toString()).toBe('abcd');
  });

  it('unfolds LWS continuation lines into one value', () => {
    const m = parseSipMessage(msg(['OPTIONS sip:x@h SIP/2.0', ...base, 'CSeq: 7', '\t OPTIONS', 'Subject: first', '  second', ' third']));
    expect(m.headers.get('CSeq')).toBe('7 OPTIONS');
    expect(m.headers.get('Subject')).toBe('first second third');
  });

  it('maps compact header names to long names', () => {
    const m = parseSipMessage(
      msg([
        'MESSAGE sip:x@h SIP/2.0',
        'v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1',
        'f: <sip:a@h>;tag=1',
        't: <sip:b@h>',
        'i: cid',
        'CSeq: 1 MESSAGE',
        'm: <sip:a@10.0.0.1>',
        'c: Application/MANSCDP+xml',
        'k: timer',
        's: subj',
        'o: Catalog',
        'u: presence',
        'e: gzip',
        'l: 2',
      ], 'hi'),
    );
    expect(m.headers.entries().map(([n]) => n)).toEqual([
      'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Content-Type', 'Supported', 'Subject', 'Event', 'Allow-Events', 'Content-Encoding', 'Content-Length',
    ]);
    expect(m.headers.get('call-id')).toBe('cid');
    expect(m.headers.get('i')).toBe('cid');
    expect(m.body.toString()).toBe('hi');
  });

  it('keeps multiple Via values in order, both multi-line and comma-joined', () => {
    const m = parseSipMessage(
      msg([
        'OPTIONS sip:x@h SIP/2.0',
        'Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/TCP p2.example.com:5070;branch=z9hG4bK2',
        'v: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3',
        'From: <sip:a@h>;tag=1', 'To: <sip:b@h>', 'Call-ID: x', 'CSeq: 1 OPTIONS',
      ]),
    );
    expect(m.headers.getAll('Via')).toEqual([
      'SIP/2.0/UDP p1.example.com;branch=z9hG4bK1',
      'SIP/2.0/TCP p2.example.com:5070;branch=z9hG4bK2',
      'SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3',
    ]);
    expect(m.headers.get('Via')).toBe('SIP/2.0/UDP p1.example.com;branch=z9hG4bK1, SIP/2.0/TCP p2.example.com:5070;branch=z9hG4bK2');
  });

  it('skips CRLFs before the start line', () => {
    expect(codeOf(Buffer.concat([Buffer.from('\r\n\r\n'), SAMPLE_REGISTER]))).toBe('OK');
  });

  it('without Content-Length takes the rest of the datagram as body', () => {
    const m = parseSipMessage(msg(['MESSAGE sip:x@h SIP/2.0', ...base, 'CSeq: 1 MESSAGE'], 'rest of datagram'));
    expect(m.body.toString()).toBe('rest of datagram');
  });

  it('with a Content-Length smaller than the body truncates the body', () => {
    const m = parseSipMessage(msg(['MESSAGE sip:x@h SIP/2.0', ...base, 'CSeq: 1 MESSAGE', 'Content-Length: 4'], 'abcdefgh'));
    expect(m.body.toString()).toBe('abcd');
  });

  it('tolerates a datagram that ends right after the last header CRLF', () => {
    const data = Buffer.from(['OPTIONS sip:x@h SIP/2.0', ...base, 'CSeq: 1 OPTIONS', 'l: 0', ''].join('\r\n'));
    expect(codeOf(data)).toBe('OK');
  });

  const rejects: [string, Buffer, string][] = [
    ['an empty buffer', Buffer.alloc(0), 'SIP_EMPTY'],
    ['only CRLFs', Buffer.from('\r\n\r\n'), 'SIP_EMPTY'],
    ['a message over maxMessageBytes', Buffer.alloc(DEFAULT_SIP_PARSE_LIMITS.maxMessageBytes + 1, 0x41), 'SIP_MESSAGE_TOO_LARGE'],
    ['a request line without version', msg(['OPTIONS sip:x@h', ...base, 'CSeq: 1 OPTIONS']), 'SIP_BAD_START_LINE'],
    ['a Request-URI in angle brackets', msg(['OPTIONS <sip:x@h> SIP/2.0', ...base, 'CSeq: 1 OPTIONS']), 'SIP_BAD_START_LINE'],
    ['a status code of 4 digits', msg(['SIP/2.0 2000 OK', ...base, 'CSeq: 1 OPTIONS']), 'SIP_BAD_START_LINE'],
    ['SIP/3.0', msg(['OPTIONS sip:x@h SIP/3.0', ...base, 'CSeq: 1 OPTIONS']), 'SIP_BAD_VERSION'],
    ['a header line without colon', msg(['OPTIONS sip:x@h SIP/2.0', ...base, 'CSeq: 1 OPTIONS', 'Broken header']), 'SIP_BAD_HEADER'],
    ['a continuation line first', msg(['OPTIONS sip:x@h SIP/2.0', ' folded', ...base, 'CSeq: 1 OPTIONS']), 'SIP_BAD_HEADER'],
    ['no CSeq', msg(['OPTIONS sip:x@h SIP/2.0', ...base]), 'SIP_MISSING_HEADER'],
    ['no Via', msg(['OPTIONS sip:x@h SIP/2.0', ...base.slice(1), 'CSeq: 1 OPTIONS']), 'SIP_MISSING_HEADER'],
    ['a CSeq over 2^32-1', msg(['OPTIONS sip:x@h SIP/2.0', ...base, 'CSeq: 4294967296 OPTIONS']), 'SIP_BAD_CSEQ'],
    ['a CSeq method unlike the request method', msg(['OPTIONS sip:x@h SIP/2.0', ...base, 'CSeq: 1 INVITE']), 'SIP_BAD_CSEQ'],
    ['two Call-ID headers', msg(['OPTIONS sip:x@h SIP/2.0', ...base, 'Call-ID: c2', 'CSeq: 1 OPTIONS']), 'SIP_DUPLICATE_HEADER'],
    ['Content-Length larger than the body', msg(['MESSAGE sip:x@h SIP/2.0', ...base, 'CSeq: 1 MESSAGE', 'Content-Length: 10'], 'abc'), 'SIP_CONTENT_LENGTH_MISMATCH'],
    ['a negative Content-Length', msg(['MESSAGE sip:x@h SIP/2.0', ...base, 'CSeq: 1 MESSAGE', 'Content-Length: -1'], 'abc'), 'SIP_BAD_CONTENT_LENGTH'],
    ['more headers than maxHeaders', msg(['OPTIONS sip:x@h SIP/2.0', ...base, 'CSeq: 1 OPTIONS', ...Array.from({ length: 300 }, (_, i) => `X-H${i}: v`)]), 'SIP_TOO_MANY_HEADERS'],
    ['a header line over maxHeaderLineBytes', msg(['OPTIONS sip:x@h SIP/2.0', ...base, 'CSeq: 1 OPTIONS', 'X-Long: ' + 'a'.repeat(20000)]), 'SIP_HEADER_LINE_TOO_LONG'],
    ['a Via with an empty parameter', msg(['OPTIONS sip:x@h SIP/2.0', 'Via: SIP/2.0/UDP h;;branch=z9hG4bK1', ...base.slice(1), 'CSeq: 1 OPTIONS']), 'SIP_BAD_HEADER'],
    ['an unterminated quote in From', msg(['OPTIONS sip:x@h SIP/2.0', base[0]!, 'From: "Joe <sip:a@h>;tag=1', ...base.slice(2), 'CSeq: 1 OPTIONS']), 'SIP_BAD_HEADER'],
  ];
  for (const [what, data, code] of rejects) {
    it(`rejects ${what} with ${code}`, () => {
      expect(codeOf(data)).toBe(code);
    });
  }

  it('honours caller-supplied limits', () => {
    expect(() => parseSipMessage(SAMPLE_REGISTER, { maxHeaders: 5 })).toThrow(expect.objectContaining({ code: 'SIP_TOO_MANY_HEADERS' }));
    expect(() => parseSipMessage(SAMPLE_REGISTER, { maxMessageBytes: 100 })).toThrow(expect.objectContaining({ code: 'SIP_MESSAGE_TOO_LARGE' }));
  });
});

describe('serializeSipMessage()', () => {
  const samples: [string, Buffer][] = [
    ['REGISTER', SAMPLE_REGISTER],
    ['REGISTER with Authorization', SAMPLE_REGISTER_AUTH],
    ['GB2312 keepalive MESSAGE', SAMPLE_KEEPALIVE],
    ['INVITE with SDP', SAMPLE_INVITE],
    ['200 OK', SAMPLE_200_OK],
  ];
  const view = (m: SipMessage) => ({
    ...(m.type === 'request' ? { method: m.method, uri: m.uri } : { status: m.status, reason: m.reason }),
    version: m.version,
    headers: m.headers.entries(),
    body: m.body.toString('hex'),
  });
  for (const [name, data] of samples) {
    it(`round-trips a ${name}: parse(serialize(parse(x))) equals parse(x), bytes identical`, () => {
      const a = parseSipMessage(data);
      const bytes = serializeSipMessage(a);
      expect(view(parseSipMessage(bytes))).toEqual(view(a));
      expect(bytes.equals(data)).toBe(true);
    });
  }

  it('rewrites a wrong Content-Length with the body byte length', () => {
    const m = parseSipMessage(SAMPLE_KEEPALIVE);
    m.headers.set('Content-Length', '1');
    const out = parseSipMessage(serializeSipMessage(m));
    expect(out.headers.get('Content-Length')).toBe(String(KEEPALIVE_BODY_GB2312.length));
    expect(out.body.equals(KEEPALIVE_BODY_GB2312)).toBe(true);
  });

  it('adds Content-Length when the message has none, and writes compact headers in long form', () => {
    const m = parseSipMessage(msg(['MESSAGE sip:x@h SIP/2.0', 'v: SIP/2.0/UDP h;branch=z9hG4bK1', 'f: <sip:a@h>;tag=1', 't: <sip:b@h>', 'i: x', 'CSeq: 1 MESSAGE'], '汉字'));
    const text = serializeSipMessage(m).toString();
    expect(text).toContain('\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n');
    expect(text.endsWith('Content-Length: 6\r\n\r\n汉字')).toBe(true);
  });
});
