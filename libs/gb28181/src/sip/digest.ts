import { createHash, timingSafeEqual } from 'node:crypto';
import { Gb28181Error } from '../errors';

/**
 * HTTP Digest for SIP (RFC 2617, RFC 7616 MD5, RFC 3261 §22.4), server and client side.
 * GB/T 28181-2016 §9.1 / Annex J.1: REGISTER -> 401 WWW-Authenticate -> REGISTER Authorization.
 *   HA1 = MD5(username:realm:password), HA2 = MD5(method:uri)
 *   response = MD5(HA1:nonce:HA2)                         (no qop)
 *   response = MD5(HA1:nonce:nc:cnonce:qop:HA2)           (qop=auth)
 */

/** Longest Authorization / WWW-Authenticate value accepted. */
export const MAX_DIGEST_HEADER_BYTES = 8192;
/** Most parameters in one Digest header. */
export const MAX_DIGEST_PARAMS = 32;

function bad(msg: string): Gb28181Error {
  return new Gb28181Error('SIP_BAD_AUTH_HEADER', msg);
}

export function md5Hex(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

const TOKEN_CH = /[A-Za-z0-9\-.!%*_+`'~]/;

/**
 * `Digest k=v, k="quoted", ...` -> `{ k: v }`. Keys lower-cased; values unquoted as written
 * (case kept). The scheme prefix is optional; any scheme other than Digest is rejected.
 */
export function parseDigestParams(headerValue: string): Record<string, string> {
  if (typeof headerValue !== 'string') throw bad('not a string');
  if (headerValue.length > MAX_DIGEST_HEADER_BYTES) throw bad(`auth header longer than ${MAX_DIGEST_HEADER_BYTES}`);
  let s = headerValue.trim();
  // a first token not followed by '=' is the auth scheme
  const m = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*(=?)/.exec(s);
  if (m && m[2] === '') {
    if (m[1]!.toLowerCase() !== 'digest') throw bad(`unsupported auth scheme "${m[1]!.slice(0, 32)}"`);
    s = s.slice(m[1]!.length);
  }
  const out = Object.create(null) as Record<string, string>;
  let n = 0;
  let i = 0;
  const len = s.length;
  while (i < len) {
    while (i < len && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    if (i >= len) break;
    let j = i;
    while (j < len && TOKEN_CH.test(s[j]!)) j++;
    const key = s.slice(i, j).toLowerCase();
    if (key === '') throw bad(`unexpected "${s[j]}" in auth header`);
    i = j;
    while (i < len && (s[i] === ' ' || s[i] === '\t')) i++;
    if (s[i] !== '=') throw bad(`parameter "${key.slice(0, 32)}" without value`);
    i++;
    while (i < len && (s[i] === ' ' || s[i] === '\t')) i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < len) {
        const ch = s[i]!;
        if (ch === '\\' && i + 1 < len) {
          value += s[i + 1];
          i += 2;
        } else if (ch === '"') {
          closed = true;
          i++;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      if (!closed) throw bad('unterminated quoted string in auth header');
    } else {
      j = i;
      while (j < len && s[j] !== ',' && s[j] !== ' ' && s[j] !== '\t') j++;
      value = s.slice(i, j);
      i = j;
      if (value === '') throw bad(`empty value for "${key.slice(0, 32)}"`);
    }
    while (i < len && (s[i] === ' ' || s[i] === '\t')) i++;
    if (i < len && s[i] !== ',') throw bad(`expected "," after "${key.slice(0, 32)}"`);
    if (Object.prototype.hasOwnProperty.call(out, key)) throw bad(`duplicate parameter "${key.slice(0, 32)}"`);
    if (++n > MAX_DIGEST_PARAMS) throw bad(`more than ${MAX_DIGEST_PARAMS} parameters`);
    out[key] = value;
  }
  if (n === 0) throw bad('no digest parameters');
  return out;
}

function quote(v: string): string {
  return `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

export interface DigestChallengeOptions {
  realm: string;
  nonce: string;
  qop?: 'auth';
  opaque?: string;
  algorithm?: 'MD5';
  stale?: boolean;
}

/** WWW-Authenticate value. Always carries `algorithm=MD5`: Dahua NVRs do not retry without it. */
export function createDigestChallenge(o: DigestChallengeOptions): string {
  let s = `Digest realm=${quote(o.realm)}, nonce=${quote(o.nonce)}`;
  if (o.opaque !== undefined) s += `, opaque=${quote(o.opaque)}`;
  s += `, algorithm=${o.algorithm ?? 'MD5'}`;
  if (o.qop !== undefined) s += `, qop=${quote(o.qop)}`;
  if (o.stale) s += ', stale=true';
  return s;
}

export interface DigestResponseOptions {
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}

export function computeDigestResponse(o: DigestResponseOptions): string {
  const ha1 = md5Hex(`${o.username}:${o.realm}:${o.password}`);
  const ha2 = md5Hex(`${o.method}:${o.uri}`);
  if (o.qop === undefined || o.qop === '') return md5Hex(`${ha1}:${o.nonce}:${ha2}`);
  if (o.nc === undefined || o.cnonce === undefined) throw bad('qop requires nc and cnonce');
  return md5Hex(`${ha1}:${o.nonce}:${o.nc}:${o.cnonce}:${o.qop}:${ha2}`);
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'latin1');
  const y = Buffer.from(b.toLowerCase(), 'latin1');
  if (x.length !== y.length) {
    timingSafeEqual(x, x); // keep the timing independent of where the mismatch is
    return false;
  }
  return timingSafeEqual(x, y);
}

export interface VerifyDigestOptions {
  /** From `parseDigestParams(Authorization)`. */
  params: Record<string, string>;
  method: string;
  password: string;
}

/**
 * Checks the device's `response`, hashing the realm and uri the device sent (Hikvision puts
 * `sip:<serverId>@<domain>` there). Checking that nonce/realm are ones we issued is the caller's job.
 * Supports no-qop and qop=auth; `nc` may be upper-case hex (hashed as sent, then lower-cased).
 */
export function verifyDigest(o: VerifyDigestOptions): boolean {
  const p = o.params;
  const { username, realm, nonce, uri, response } = p;
  if (username === undefined || realm === undefined || nonce === undefined || uri === undefined || response === undefined) return false;
  if (!/^[0-9a-fA-F]{32}$/.test(response)) return false;
  if (p['algorithm'] !== undefined && p['algorithm'].toUpperCase() !== 'MD5') return false;
  const qop = p['qop'];
  if (qop === undefined || qop === '') {
    return safeEqualHex(computeDigestResponse({ username, realm, password: o.password, method: o.method, uri, nonce }), response);
  }
  if (qop.toLowerCase() !== 'auth') return false;
  const nc = p['nc'];
  const cnonce = p['cnonce'];
  if (nc === undefined || cnonce === undefined || !/^[0-9a-fA-F]{8}$/.test(nc)) return false;
  const base = { username, realm, password: o.password, method: o.method, uri, nonce, qop, cnonce };
  if (safeEqualHex(computeDigestResponse({ ...base, nc }), response)) return true;
  const lower = nc.toLowerCase();
  return lower !== nc && safeEqualHex(computeDigestResponse({ ...base, nc: lower }), response);
}

export interface BuildAuthorizationOptions {
  /** The WWW-Authenticate / Proxy-Authenticate value received. */
  challenge: string;
  method: string;
  uri: string;
  username: string;
  password: string;
  cnonce: string;
  nc: number;
}

/** Client side: the Authorization value answering `challenge` (qop=auth when offered, else RFC 2069 style). */
export function buildAuthorization(o: BuildAuthorizationOptions): string {
  const ch = parseDigestParams(o.challenge);
  const realm = ch['realm'];
  const nonce = ch['nonce'];
  if (realm === undefined || nonce === undefined) throw bad('challenge without realm or nonce');
  if (ch['algorithm'] !== undefined && ch['algorithm'].toUpperCase() !== 'MD5') throw bad(`unsupported digest algorithm "${ch['algorithm'].slice(0, 32)}"`);
  const offersAuth = ch['qop'] !== undefined && ch['qop'].split(',').some((q) => q.trim().toLowerCase() === 'auth');
  const base = { username: o.username, realm, password: o.password, method: o.method, uri: o.uri, nonce };
  let s = `Digest username=${quote(o.username)}, realm=${quote(realm)}, nonce=${quote(nonce)}, uri=${quote(o.uri)}`;
  if (offersAuth) {
    if (!Number.isInteger(o.nc) || o.nc < 1 || o.nc > 0xffffffff) throw bad('nc must be 1..2^32-1');
    const nc = o.nc.toString(16).padStart(8, '0');
    const response = computeDigestResponse({ ...base, qop: 'auth', nc, cnonce: o.cnonce });
    s += `, response=${quote(response)}, algorithm=MD5, cnonce=${quote(o.cnonce)}, qop=auth, nc=${nc}`;
  } else {
    const response = computeDigestResponse(base);
    s += `, response=${quote(response)}, algorithm=MD5`;
  }
  if (ch['opaque'] !== undefined) s += `, opaque=${quote(ch['opaque'])}`;
  return s;
}
