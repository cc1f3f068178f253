import { describe, it, expect } from 'vitest';
import { Gb28181Error } from '../errors';
import { buildAuthorization, computeDigestResponse, createDigestChallenge, md5Hex, parseDigestParams, verifyDigest } from './digest';

// GB28181 notes test vector (Annex J.1 flow)
const V = {
  username: '34020000001320000001',
  realm: '3402000000',
  password: '12345678',
  nonce: '9bd055b0a7e5b2a7',
  uri: 'sip:34020000002000000001@3402000000',
  method: 'REGISTER',
};

describe('digest (RFC 2617 MD5)', () => {
  it('computes the HA1 and HA2 of the GB28181 vector', () => {
    expect(md5Hex(`${V.username}:${V.realm}:${V.password}`)).toBe('8258341d7dd730ce4d3b8fd2db050320');
    expect(md5Hex(`${V.method}:${V.uri}`)).toBe('95fced343cf76247d3e2102931f17507');
  });

  const table: [string, Partial<Parameters<typeof computeDigestResponse>[0]>, string][] = [
    ['without qop', {}, 'dcb484b405fb3c5c7c78c25bec9cdcdd'],
    ['with qop=auth nc=00000001 cnonce=0a4f113b', { qop: 'auth', nc: '00000001', cnonce: '0a4f113b' }, 'd451ad3df93366448bbdfc3f58ee5e2e'],
  ];
  for (const [name, extra, expected] of table) {
    it(`computeDigestResponse() ${name} gives ${expected}`, () => {
      expect(computeDigestResponse({ ...V, ...extra })).toBe(expected);
    });
  }

  it('parseDigestParams() reads quoted and unquoted values, upper-case keys, the Digest prefix and escapes', () => {
    const p = parseDigestParams('Digest USERNAME="34020000001320000001",realm="3402000000" , nonce="a\\"b", uri="sip:x@h", response="DCB484B405FB3C5C7C78C25BEC9CDCDD", algorithm=MD5, qop=auth, nc=0000000A, cnonce="c"');
    expect(p).toEqual({
      username: '34020000001320000001', realm: '3402000000', nonce: 'a"b', uri: 'sip:x@h',
      response: 'DCB484B405FB3C5C7C78C25BEC9CDCDD', algorithm: 'MD5', qop: 'auth', nc: '0000000A', cnonce: 'c',
    });
    expect(parseDigestParams('realm="r", nonce=n')).toEqual({ realm: 'r', nonce: 'n' });
  });

  const bad = ['', 'Digest', 'Basic dXNlcjpwYXNz', 'NoOneKnowsThisScheme foo="bar"', 'Digest realm="unterminated', 'Digest realm', 'Digest realm=', 'Digest realm="a" nonce="b"', 'Digest realm="a", realm="b"', 'Digest ' + 'x'.repeat(9000)];
  for (const v of bad) {
    it(`parseDigestParams() rejects ${JSON.stringify(v.slice(0, 40))} with SIP_BAD_AUTH_HEADER`, () => {
      expect(() => parseDigestParams(v)).toThrow(expect.objectContaining({ code: 'SIP_BAD_AUTH_HEADER' }));
      expect(() => parseDigestParams(v)).toThrow(Gb28181Error);
    });
  }

  it('createDigestChallenge() always carries algorithm=MD5 and quotes realm, nonce, opaque and qop', () => {
    expect(createDigestChallenge({ realm: '3402000000', nonce: 'n1' })).toBe('Digest realm="3402000000", nonce="n1", algorithm=MD5');
    expect(createDigestChallenge({ realm: 'r', nonce: 'n', qop: 'auth', opaque: 'o', stale: true })).toBe(
      'Digest realm="r", nonce="n", opaque="o", algorithm=MD5, qop="auth", stale=true',
    );
  });

  it('verifyDigest() accepts the vector without qop and with qop=auth, and an upper-case response', () => {
    const noQop = parseDigestParams(`Digest username="${V.username}", realm="${V.realm}", nonce="${V.nonce}", uri="${V.uri}", response="DCB484B405FB3C5C7C78C25BEC9CDCDD", algorithm=MD5`);
    expect(verifyDigest({ params: noQop, method: 'REGISTER', password: V.password })).toBe(true);
    const qop = parseDigestParams(`Digest username="${V.username}", realm="${V.realm}", nonce="${V.nonce}", uri="${V.uri}", response="d451ad3df93366448bbdfc3f58ee5e2e", qop=auth, nc=00000001, cnonce="0a4f113b"`);
    expect(verifyDigest({ params: qop, method: 'REGISTER', password: V.password })).toBe(true);
  });

  it('verifyDigest() rejects a wrong password, a wrong method, a tampered uri and a non-MD5 algorithm', () => {
    const params = parseDigestParams(`Digest username="${V.username}", realm="${V.realm}", nonce="${V.nonce}", uri="${V.uri}", response="dcb484b405fb3c5c7c78c25bec9cdcdd"`);
    expect(verifyDigest({ params, method: 'REGISTER', password: '87654321' })).toBe(false);
    expect(verifyDigest({ params, method: 'INVITE', password: V.password })).toBe(false);
    expect(verifyDigest({ params: { ...params, uri: 'sip:3402000000' }, method: 'REGISTER', password: V.password })).toBe(false);
    expect(verifyDigest({ params: { ...params, algorithm: 'SHA-256' }, method: 'REGISTER', password: V.password })).toBe(false);
    expect(verifyDigest({ params: { ...params, response: 'short' }, method: 'REGISTER', password: V.password })).toBe(false);
    const { response: _r, ...noResponse } = params;
    expect(verifyDigest({ params: noResponse, method: 'REGISTER', password: V.password })).toBe(false);
  });

  it('verifyDigest() hashes the uri the device sent (Hikvision uses sip:<serverId>@<domain>)', () => {
    const uri = 'sip:34020000002000000001@192.168.1.1:5060';
    const response = computeDigestResponse({ ...V, uri });
    expect(verifyDigest({ params: { username: V.username, realm: V.realm, nonce: V.nonce, uri, response }, method: 'REGISTER', password: V.password })).toBe(true);
  });

  it('verifyDigest() accepts an upper-case nc whether the device hashed it upper- or lower-case', () => {
    const base = { ...V, qop: 'auth', cnonce: 'abc' };
    const hashedUpper = computeDigestResponse({ ...base, nc: '0000000A' });
    const hashedLower = computeDigestResponse({ ...base, nc: '0000000a' });
    const params = { username: V.username, realm: V.realm, nonce: V.nonce, uri: V.uri, qop: 'auth', nc: '0000000A', cnonce: 'abc' };
    expect(verifyDigest({ params: { ...params, response: hashedUpper }, method: 'REGISTER', password: V.password })).toBe(true);
    expect(verifyDigest({ params: { ...params, response: hashedLower }, method: 'REGISTER', password: V.password })).toBe(true);
    expect(verifyDigest({ params: { ...params, nc: 'zz', response: hashedLower }, method: 'REGISTER', password: V.password })).toBe(false);
  });

  it('buildAuthorization() answers a no-qop challenge with the vector response, which the server side verifies', () => {
    const challenge = createDigestChallenge({ realm: V.realm, nonce: V.nonce, opaque: 'op' });
    const auth = buildAuthorization({ challenge, method: 'REGISTER', uri: V.uri, username: V.username, password: V.password, cnonce: 'x', nc: 1 });
    const p = parseDigestParams(auth);
    expect(p['response']).toBe('dcb484b405fb3c5c7c78c25bec9cdcdd');
    expect(p['opaque']).toBe('op');
    expect(p['qop']).toBeUndefined();
    expect(verifyDigest({ params: p, method: 'REGISTER', password: V.password })).toBe(true);
  });

  it('buildAuthorization() answers a qop="auth" challenge with nc as 8 hex digits and the vector response', () => {
    const challenge = createDigestChallenge({ realm: V.realm, nonce: V.nonce, qop: 'auth' });
    const p = parseDigestParams(buildAuthorization({ challenge, method: 'REGISTER', uri: V.uri, username: V.username, password: V.password, cnonce: '0a4f113b', nc: 1 }));
    expect(p).toMatchObject({ qop: 'auth', nc: '00000001', cnonce: '0a4f113b', response: 'd451ad3df93366448bbdfc3f58ee5e2e' });
  });

  it('buildAuthorization() rejects a challenge with another algorithm', () => {
    expect(() => buildAuthorization({ challenge: 'Digest realm="r", nonce="n", algorithm=SHA-256', method: 'REGISTER', uri: 'sip:h', username: 'u', password: 'p', cnonce: 'c', nc: 1 })).toThrow(
      expect.objectContaining({ code: 'SIP_BAD_AUTH_HEADER' }),
    );
  });
});
