import { describe, it, expect } from 'vitest';
import { createRequest, createResponse, newBranch, newCallId, newTag, randomToken, SIP_REASON_PHRASES } from './sip-builders';
import { parseSipMessage } from './sip-parser';
import { serializeSipMessage } from './sip-serializer';
import { getTag } from './sip-header-values';
import { SipRequest } from './sip-message';
import { SAMPLE_KEEPALIVE, SAMPLE_REGISTER } from './testing/sip-samples';

const req = parseSipMessage(SAMPLE_REGISTER) as SipRequest;

describe('createResponse()', () => {
  it('copies Via, From, To, Call-ID and CSeq and adds a To tag for a final response', () => {
    const res = createResponse(req, 200, undefined, { toTag: 'srv1', headers: [['Expires', '3600']] });
    expect(res.reason).toBe('OK');
    expect(res.headers.getAll('Via')).toEqual(req.headers.getAll('Via'));
    expect(res.headers.get('From')).toBe(req.headers.get('From'));
    expect(res.headers.get('To')).toBe('<sip:34020000001320000001@3402000000>;tag=srv1');
    expect(res.headers.get('Call-ID')).toBe('1011047669');
    expect(res.headers.get('CSeq')).toBe('1 REGISTER');
    expect(res.headers.get('Expires')).toBe('3600');
    expect(parseSipMessage(serializeSipMessage(res)).type).toBe('response');
  });
  it('adds no To tag to 100 Trying and keeps an existing tag', () => {
    expect(getTag(createResponse(req, 100).headers.get('To')!)).toBeUndefined();
    const tagged = { ...req, headers: req.headers.clone().set('To', '<sip:b@h>;tag=old') };
    expect(createResponse(tagged, 486).headers.get('To')).toBe('<sip:b@h>;tag=old');
    expect(getTag(createResponse(req, 401).headers.get('To')!)).toMatch(/^[A-Za-z0-9]{12}$/);
  });
  it('copies every Via line in order when there are several', () => {
    const two = parseSipMessage(Buffer.from(SAMPLE_KEEPALIVE.toString('latin1').replace('Via:', 'Via: SIP/2.0/UDP proxy;branch=z9hG4bKp\r\nVia:'), 'latin1')) as SipRequest;
    expect(createResponse(two, 200).headers.getAll('Via')).toEqual(two.headers.getAll('Via'));
    expect(two.headers.getAll('Via')).toHaveLength(2);
  });
  it('carries a body with its Content-Type and byte Content-Length', () => {
    const body = Buffer.from('<Response>汉</Response>');
    const res = createResponse(req, 200, 'OK', { body, contentType: 'Application/MANSCDP+xml' });
    const back = parseSipMessage(serializeSipMessage(res));
    expect(back.headers.get('Content-Type')).toBe('Application/MANSCDP+xml');
    expect(back.body.equals(body)).toBe(true);
  });
  it('uses the reason table and "Unknown" for codes it lacks', () => {
    expect(createResponse(req, 403).reason).toBe(SIP_REASON_PHRASES[403]);
    expect(createResponse(req, 499).reason).toBe('Unknown');
  });
});

describe('createRequest()', () => {
  it('builds a MESSAGE that the parser accepts, with byte Content-Length for a Chinese body', () => {
    const body = Buffer.from([0xb4, 0xf3, 0xc3, 0xc5]); // GB2312 大门
    const r = createRequest({
      method: 'MESSAGE', uri: 'sip:34020000001320000001@192.168.1.64:5060',
      via: { transport: 'udp', host: '192.0.2.10', port: 5060, branch: 'z9hG4bKq1', rport: true },
      from: { uri: 'sip:34020000002000000001@3402000000', tag: 'f1' },
      to: { uri: 'sip:34020000001320000001@3402000000' },
      callId: 'cid@192.0.2.10', cseq: 3, contact: 'sip:34020000002000000001@192.0.2.10:5060',
      headers: [['User-Agent', 'gb-gateway']], body, contentType: 'Application/MANSCDP+xml',
    });
    const back = parseSipMessage(serializeSipMessage(r)) as SipRequest;
    expect(back.method).toBe('MESSAGE');
    expect(back.headers.get('Via')).toBe('SIP/2.0/UDP 192.0.2.10:5060;rport;branch=z9hG4bKq1');
    expect(back.headers.get('From')).toBe('<sip:34020000002000000001@3402000000>;tag=f1');
    expect(back.headers.get('To')).toBe('<sip:34020000001320000001@3402000000>');
    expect(back.headers.get('CSeq')).toBe('3 MESSAGE');
    expect(back.headers.get('Contact')).toBe('<sip:34020000002000000001@192.0.2.10:5060>');
    expect(back.headers.get('Max-Forwards')).toBe('70');
    expect(back.headers.get('Content-Length')).toBe('4');
    expect(back.body.equals(body)).toBe(true);
  });
});

describe('random identifiers', () => {
  it('newBranch() has the RFC 3261 magic cookie and differs each call', () => {
    const a = newBranch();
    expect(a).toMatch(/^z9hG4bK[A-Za-z0-9]{16}$/);
    expect(newBranch()).not.toBe(a);
  });
  it('randomToken(), newTag() and newCallId() have the requested shape', () => {
    expect(randomToken(30)).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(newTag()).toMatch(/^[A-Za-z0-9]+$/);
    expect(newCallId('192.0.2.10')).toMatch(/^[A-Za-z0-9]{20}@192\.0\.2\.10$/);
  });
});
