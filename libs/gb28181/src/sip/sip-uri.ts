import { Gb28181Error } from '../errors';

/**
 * SIP-URI / SIPS-URI (RFC 3261 §19.1, §25.1):
 *   sip:user:password@host:port;uri-parameters?headers
 * User, password, parameters and headers are %HH-unescaped once (RFC 4475 §3.1.1.3).
 * All-digit hosts (GB28181 domains such as `3402000000`) are accepted.
 */
export interface SipUri {
  scheme: string;
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
  headers: Record<string, string>;
}

/** Longest URI we accept (bounded: URIs come from peers). */
export const MAX_SIP_URI_LENGTH = 4096;

const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9.])?)$/;

function bad(msg: string): Gb28181Error {
  return new Gb28181Error('SIP_BAD_URI', msg);
}

/** %HH-decodes into UTF-8 text; a `%` not followed by two hex digits is kept literally. */
export function sipUnescape(s: string): string {
  if (s.indexOf('%') < 0) return s;
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25 && i + 2 < raw.length && isHex(raw[i + 1]) && isHex(raw[i + 2])) {
      bytes.push(parseInt(String.fromCharCode(raw[i + 1]!, raw[i + 2]!), 16));
      i += 2;
    } else bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

const UNRESERVED = "A-Za-z0-9\\-_.!~*'()";
const USER_SAFE = new RegExp(`[^${UNRESERVED}&=+$,;?/]`, 'gu');
const PASSWORD_SAFE = new RegExp(`[^${UNRESERVED}&=+$,]`, 'gu');
const PARAM_SAFE = new RegExp(`[^${UNRESERVED}\\[\\]/:&+$]`, 'gu');
const HEADER_SAFE = new RegExp(`[^${UNRESERVED}\\[\\]/?:+$]`, 'gu');

function escapeWith(s: string, re: RegExp): string {
  return s.replace(re, (ch) =>
    Array.from(Buffer.from(ch, 'utf8'), (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join(''),
  );
}

export function parseSipUri(s: string): SipUri {
  if (typeof s !== 'string' || s.length === 0) throw bad('empty URI');
  if (s.length > MAX_SIP_URI_LENGTH) throw bad(`URI longer than ${MAX_SIP_URI_LENGTH}`);
  const colon = s.indexOf(':');
  if (colon <= 0) throw bad(`no scheme in "${s.slice(0, 64)}"`);
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips') throw bad(`unsupported URI scheme "${scheme.slice(0, 32)}"`);
  let rest = s.slice(colon + 1);
  if (/[\s<>"]/.test(rest)) throw bad('URI contains whitespace, quote or angle bracket');

  let user: string | undefined;
  let password: string | undefined;
  // '@' cannot appear unescaped in hostport, params or headers, so the last one ends userinfo.
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    const rawUser = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    if (rawUser === '') throw bad('empty user part');
    user = sipUnescape(rawUser);
    if (pc >= 0) password = sipUnescape(userinfo.slice(pc + 1));
  }

  let headersPart = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    headersPart = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const semi = rest.indexOf(';');
  const hostport = semi >= 0 ? rest.slice(0, semi) : rest;
  const paramsPart = semi >= 0 ? rest.slice(semi + 1) : '';

  let host = hostport;
  let port: number | undefined;
  const close = hostport.lastIndexOf(']');
  const pcolon = hostport.lastIndexOf(':');
  if (pcolon > close) {
    host = hostport.slice(0, pcolon);
    const p = hostport.slice(pcolon + 1);
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) throw bad(`bad port "${p.slice(0, 16)}"`);
    port = Number(p);
  }
  if (!HOST_RE.test(host)) throw bad(`bad host "${host.slice(0, 64)}"`);

  const params: Record<string, string | null> = {};
  if (semi >= 0) {
    for (const p of paramsPart.split(';')) {
      if (p === '') throw bad('empty URI parameter');
      const eq = p.indexOf('=');
      const name = sipUnescape(eq >= 0 ? p.slice(0, eq) : p).toLowerCase();
      if (name === '') throw bad('empty URI parameter name');
      params[name] = eq >= 0 ? sipUnescape(p.slice(eq + 1)) : null;
    }
  }
  const headers: Record<string, string> = {};
  if (headersPart !== '') {
    for (const h of headersPart.split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw bad('bad URI header');
      headers[sipUnescape(h.slice(0, eq))] = sipUnescape(h.slice(eq + 1));
    }
  }
  const uri: SipUri = { scheme, host, params, headers };
  if (user !== undefined) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  return uri;
}

export function formatSipUri(u: SipUri): string {
  let s = `${u.scheme}:`;
  if (u.user !== undefined) {
    s += escapeWith(u.user, USER_SAFE);
    if (u.password !== undefined) s += ':' + escapeWith(u.password, PASSWORD_SAFE);
    s += '@';
  }
  s += u.host;
  if (u.port !== undefined) s += `:${u.port}`;
  for (const [k, v] of Object.entries(u.params)) {
    s += ';' + escapeWith(k, PARAM_SAFE);
    if (v !== null) s += '=' + escapeWith(v, PARAM_SAFE);
  }
  const hs = Object.entries(u.headers);
  if (hs.length > 0) s += '?' + hs.map(([k, v]) => `${escapeWith(k, HEADER_SAFE)}=${escapeWith(v, HEADER_SAFE)}`).join('&');
  return s;
}
