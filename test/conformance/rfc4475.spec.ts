import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parseSipMessage, parseNameAddr, parseSipUri, parseVia, SipRequest, SipResponse } from '../../libs/gb28181/src/sip';
import { outcome, requireCorpus } from './conformance-corpus';

const dir = requireCorpus('rfc4475');
const rows = readFileSync(join(dir, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const file = (name: string) => readFileSync(join(dir, name));

/**
 * Our verdict per message. 'OK' = parses; a code = rejected with that Gb28181Error.
 * Derived from MANIFEST.tsv: valid / transaction / backcompat / application-level messages parse
 * (application rejections such as 416, 420, 415 belong to the TU), except where the manifest asks
 * for a 400 on syntax (multi01, mcl01, insuf). Invalid messages are rejected, except the four where
 * the manifest allows a liberal element to accept them (LENIENT below).
 */
const VERDICT: Record<string, string> = {
  'wsinv.dat': 'OK', 'intmeth.dat': 'OK', 'esc01.dat': 'OK', 'escnull.dat': 'OK', 'esc02.dat': 'OK', 'lwsdisp.dat': 'OK',
  'longreq.dat': 'OK', 'dblreq.dat': 'OK', 'semiuri.dat': 'OK', 'transports.dat': 'OK', 'mpart01.dat': 'OK', 'unreason.dat': 'OK',
  'noreason.dat': 'OK',
  'badinv01.dat': 'SIP_BAD_HEADER', 'clerr.dat': 'SIP_CONTENT_LENGTH_MISMATCH', 'ncl.dat': 'SIP_BAD_CONTENT_LENGTH',
  'scalar02.dat': 'SIP_BAD_CSEQ', 'scalarlg.dat': 'SIP_BAD_CSEQ', 'quotbal.dat': 'SIP_BAD_HEADER', 'ltgtruri.dat': 'SIP_BAD_START_LINE',
  'lwsruri.dat': 'SIP_BAD_START_LINE', 'lwsstart.dat': 'SIP_BAD_START_LINE', 'trws.dat': 'SIP_BAD_START_LINE',
  'escruri.dat': 'OK', 'baddate.dat': 'OK', 'regbadct.dat': 'OK', 'badaspec.dat': 'OK',
  'baddn.dat': 'SIP_BAD_HEADER', 'badvers.dat': 'SIP_BAD_VERSION', 'mismatch01.dat': 'SIP_BAD_CSEQ', 'mismatch02.dat': 'SIP_BAD_CSEQ',
  'bigcode.dat': 'SIP_BAD_START_LINE',
  'badbranch.dat': 'OK',
  'insuf.dat': 'SIP_MISSING_HEADER', 'unkscm.dat': 'OK', 'novelsc.dat': 'OK', 'unksm2.dat': 'OK', 'bext01.dat': 'OK', 'invut.dat': 'OK',
  'regaut01.dat': 'OK', 'multi01.dat': 'SIP_DUPLICATE_HEADER', 'mcl01.dat': 'SIP_BAD_CONTENT_LENGTH', 'bcast.dat': 'OK', 'zeromf.dat': 'OK',
  'cparam01.dat': 'OK', 'cparam02.dat': 'OK', 'regescrt.dat': 'OK', 'sdp01.dat': 'OK',
  'inv2543.dat': 'OK',
  'test.dat': 'SIP_BAD_START_LINE',
};
/** Invalid messages we accept, each where the manifest says a liberal element may (reported to the lead). */
const LENIENT = new Set(['escruri.dat', 'baddate.dat', 'regbadct.dat', 'badaspec.dat']);

describe('RFC 4475 torture messages', () => {
  it('the corpus has 50 files whose sha256 matches the manifest', () => {
    expect(rows).toHaveLength(50);
    for (const r of rows) expect(createHash('sha256').update(file(r[0]!)).digest('hex'), r[0]).toBe(r[6]);
    expect(Object.keys(VERDICT).sort()).toEqual(rows.map((r) => r[0]!).sort());
  });

  for (const [name, section, cls, expectation] of rows as [string, string, string, string][]) {
    const verdict = VERDICT[name]!;
    it(`${name} (§${section}, ${cls}) ${verdict === 'OK' ? 'parses' : `is rejected with ${verdict}`}: ${expectation.slice(0, 90)}`, () => {
      expect(outcome(file(name))).toBe(verdict);
      if (cls === 'valid' || cls === 'backcompat' || cls === 'transaction') expect(verdict).toBe('OK');
      if (cls === 'invalid' && verdict === 'OK') expect(LENIENT.has(name)).toBe(true);
    });
  }

  it('wsinv.dat: 3 Via values on 2 lines, folded CSeq 9 INVITE, Max-Forwards 0068, opaque unknown header, 150-byte body', () => {
    const m = parseSipMessage(file('wsinv.dat')) as SipRequest;
    expect(m.headers.getAll('Via').map((v) => parseVia(v).transport)).toEqual(['UDP', 'TCP', 'UDP']);
    expect(m.headers.count('Via')).toBe(2);
    expect(m.headers.get('CSeq')).toBe('0009 INVITE');
    expect(m.headers.get('Max-Forwards')).toBe('0068');
    expect(m.headers.get('UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    expect(m.headers.get('Subject')).toBe('');
    expect(parseNameAddr(m.headers.get('From')!)).toEqual({ displayName: 'J Rosenberg \\"', uri: 'sip:jdrosen@example.com', params: { tag: '98asjd8' } });
    expect(m.body.length).toBe(150);
  });

  it('esc01 / escnull / semiuri: %HH unescaped once, inside SIP-URI parts only', () => {
    const esc01 = parseSipMessage(file('esc01.dat')) as SipRequest;
    expect(parseSipUri(esc01.uri).user).toBe('sips:user@example.com');
    expect(parseSipUri(parseNameAddr(esc01.headers.get('From')!).uri).user).toBe('I have spaces');
    expect(parseSipUri(parseNameAddr(esc01.headers.get('Contact')!).uri).params).toEqual({ lr: null, name: 'value%41' });
    const escnull = parseSipMessage(file('escnull.dat'));
    expect(parseSipUri(parseNameAddr(escnull.headers.get('To')!).uri).user).toBe('null-\u0000-null');
    expect(escnull.headers.getAll('Contact')).toHaveLength(2);
    expect(parseSipUri((parseSipMessage(file('semiuri.dat')) as SipRequest).uri).user).toBe('user;par=u@example.net');
  });

  it('esc02: RE%47IST%45R is an unknown method and C%6Fntact an unknown header (2 Contact values)', () => {
    const m = parseSipMessage(file('esc02.dat')) as SipRequest;
    expect(m.method).toBe('RE%47IST%45R');
    expect(m.headers.getAll('Contact')).toHaveLength(2);
    expect(parseNameAddr(m.headers.get('To')!).displayName).toBe('%Z%45');
  });

  it('longreq: 34 Via header fields; dblreq: only the REGISTER; mpart01: 553-byte binary body', () => {
    expect(parseSipMessage(file('longreq.dat')).headers.getAll('Via')).toHaveLength(34);
    const dbl = parseSipMessage(file('dblreq.dat')) as SipRequest;
    expect([dbl.method, dbl.body.length]).toEqual(['REGISTER', 0]);
    const mp = parseSipMessage(file('mpart01.dat'));
    expect(mp.body.length).toBe(553);
    expect(mp.body.includes(0)).toBe(true);
  });

  it('unreason / noreason: odd and empty reason phrases; transports: 5 transports', () => {
    const u = parseSipMessage(file('unreason.dat')) as SipResponse;
    expect(u.status).toBe(200);
    expect(u.reason.startsWith('= 2**3 * 5**2 ')).toBe(true);
    expect(/[\u0400-\u04ff]/.test(u.reason)).toBe(true);
    expect((parseSipMessage(file('noreason.dat')) as SipResponse).reason).toBe('');
    expect(parseSipMessage(file('transports.dat')).headers.getAll('Via').map((v) => parseVia(v).transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
  });

  it('cparam01 vs cparam02: ;unknownparam is a header parameter without <> and a URI parameter inside <>', () => {
    const c1 = parseNameAddr(parseSipMessage(file('cparam01.dat')).headers.get('Contact')!);
    expect(c1.params).toHaveProperty('unknownparam', null);
    expect(parseSipUri(c1.uri).params).toEqual({});
    const c2 = parseNameAddr(parseSipMessage(file('cparam02.dat')).headers.get('Contact')!);
    expect(c2.params).toEqual({});
    expect(parseSipUri(c2.uri).params).toHaveProperty('unknownparam', null);
  });

  it('inv2543: no Content-Length, so the body is every octet after the empty line (105)', () => {
    expect(parseSipMessage(file('inv2543.dat')).body.length).toBe(105);
  });
});
