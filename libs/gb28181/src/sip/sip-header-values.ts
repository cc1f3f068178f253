import { Gb28181Error } from '../errors';

/**
 * Structured header values (RFC 3261 §20, §25.1): name-addr / addr-spec (From, To, Contact),
 * Via, CSeq, Expires. Every failure is a `Gb28181Error` with code `SIP_BAD_HEADER`
 * (or `SIP_BAD_CSEQ` / `SIP_BAD_EXPIRES`).
 */

export interface NameAddr {
  displayName?: string;
  uri: string;
  /** Header parameters (`;tag=...`), names lower-cased, values as written (quoted strings keep quotes); `null` = no value. */
  params: Record<string, string | null>;
}

export interface ViaValue {
  /** `SIP/2.0` */
  protocol: string;
  /** Upper-cased transport token: UDP, TCP, TLS, SCTP, WS... */
  transport: string;
  host: string;
  port?: number;
  params: Record<string, string | null>;
}

export interface CSeqValue {
  seq: number;
  method: string;
}

/** CSeq sequence numbers are 32-bit unsigned (RFC 3261 §8.1.1.5). */
export const MAX_CSEQ = 0xffffffff;

// RFC 3261 token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.\-]*:/;

function bad(msg: string, code = 'SIP_BAD_HEADER'): Gb28181Error {
  return new Gb28181Error(code, msg);
}

export function isSipToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

/** Reads a quoted-string starting at `s[i] === '"'`; returns the unescaped text and the index after the closing quote. */
function readQuoted(s: string, i: number): { text: string; end: number } {
  let text = '';
  for (let j = i + 1; j < s.length; j++) {
    const ch = s[j]!;
    if (ch === '\\') {
      if (j + 1 >= s.length) break;
      text += s[++j];
    } else if (ch === '"') return { text, end: j + 1 };
    else text += ch;
  }
  throw bad('unterminated quoted string');
}

/**
 * `;name[=value]` parameters. `s` starts right after the first `;` or is '' for none.
 * LWS is allowed around `;` and `=` (RFC 4475 wsinv). Empty parameters (`;;`) are rejected.
 */
function parseParams(s: string): Record<string, string | null> {
  const params: Record<string, string | null> = {};
  let i = 0;
  const n = s.length;
  while (i <= n) {
    // name
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let j = i;
    while (j < n && s[j] !== '=' && s[j] !== ';' && s[j] !== ' ' && s[j] !== '\t') j++;
    const name = s.slice(i, j);
    if (!TOKEN_RE.test(name)) throw bad(name === '' ? 'empty parameter' : `bad parameter name "${name.slice(0, 32)}"`);
    i = j;
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    let value: string | null = null;
    if (i < n && s[i] === '=') {
      i++;
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      if (s[i] === '"') {
        const q = readQuoted(s, i);
        value = s.slice(i, q.end);
        i = q.end;
      } else {
        j = i;
        while (j < n && s[j] !== ';' && s[j] !== ' ' && s[j] !== '\t') j++;
        value = s.slice(i, j);
        if (value === '') throw bad(`empty value for parameter "${name}"`);
        i = j;
      }
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
    }
    params[name.toLowerCase()] = value;
    if (i >= n) break;
    if (s[i] !== ';') throw bad(`unexpected "${s[i]}" in parameters`);
    i++;
    if (i >= n) throw bad('empty parameter');
  }
  return params;
}

function formatParams(params: Record<string, string | null>): string {
  let s = '';
  for (const [k, v] of Object.entries(params)) s += v === null ? `;${k}` : `;${k}=${v}`;
  return s;
}

/**
 * From / To / Contact / Route value: `"Display" <uri>;params`, `Display <uri>;params`,
 * or the bare addr-spec form `uri;params` (params then belong to the header, RFC 4475 §3.3.12).
 * `Contact: *` yields `{ uri: '*' }`.
 */
export function parseNameAddr(v: string): NameAddr {
  const s = v.trim();
  if (s === '') throw bad('empty name-addr');
  if (s === '*') return { uri: '*', params: {} };
  let displayName: string | undefined;
  let i = 0;
  if (s[0] === '"') {
    const q = readQuoted(s, 0);
    displayName = q.text;
    i = q.end;
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '<') throw bad('quoted display name not followed by <uri>');
  } else {
    const lt = s.indexOf('<');
    if (lt >= 0) {
      const dn = s.slice(0, lt).trim();
      if (dn !== '') {
        // *(token LWS): RFC 4475 §3.1.2.15 rejects commas etc.; §3.1.1.6 allows no LWS before '<'.
        for (const word of dn.split(/[ \t]+/)) if (!TOKEN_RE.test(word)) throw bad(`bad display name "${dn.slice(0, 64)}"`);
        displayName = dn;
      }
      i = lt;
    }
  }
  let uri: string;
  let rest: string;
  if (s[i] === '<') {
    const gt = s.indexOf('>', i + 1);
    if (gt < 0) throw bad('missing > in name-addr');
    uri = s.slice(i + 1, gt).trim(); // liberal with "< sip:x >" (RFC 4475 §3.1.2.14)
    rest = s.slice(gt + 1).trim();
  } else {
    const semi = s.indexOf(';');
    uri = (semi >= 0 ? s.slice(0, semi) : s).trim();
    rest = semi >= 0 ? s.slice(semi) : '';
    if (/[\s,"]/.test(uri)) throw bad(`bad addr-spec "${uri.slice(0, 64)}"`);
  }
  if (!SCHEME_RE.test(uri)) throw bad(`URI without scheme "${uri.slice(0, 64)}"`);
  if (rest !== '' && rest[0] !== ';') throw bad(`unexpected text after URI "${rest.slice(0, 32)}"`);
  const na: NameAddr = { uri, params: rest === '' ? {} : parseParams(rest.slice(1)) };
  if (displayName !== undefined) na.displayName = displayName;
  return na;
}

export function formatNameAddr(na: NameAddr): string {
  if (na.uri === '*') return '*';
  const dn = na.displayName !== undefined ? `"${na.displayName.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${dn}<${na.uri}>${formatParams(na.params)}`;
}

/** The `tag` parameter of a From/To value, or undefined. */
export function getTag(nameAddrValue: string): string | undefined {
  const t = parseNameAddr(nameAddrValue).params['tag'];
  return t === null || t === undefined ? undefined : t;
}

const VIA_RE = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+([^;]+?)[ \t]*(?:;(.*))?$/s;

/** One via-parm: `SIP/2.0/UDP host[:port];branch=...;received=...;rport` (LWS around "/" allowed). */
export function parseVia(v: string): ViaValue {
  const m = VIA_RE.exec(v.trim());
  if (!m) throw bad(`bad Via "${v.slice(0, 64)}"`);
  const sentBy = m[4]!;
  let host = sentBy;
  let port: number | undefined;
  const close = sentBy.lastIndexOf(']');
  const colon = sentBy.lastIndexOf(':');
  if (colon > close) {
    host = sentBy.slice(0, colon).trim();
    const p = sentBy.slice(colon + 1).trim();
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) throw bad(`bad Via port "${p.slice(0, 16)}"`);
    port = Number(p);
  }
  if (!/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)$/.test(host)) throw bad(`bad Via host "${host.slice(0, 64)}"`);
  const via: ViaValue = {
    protocol: `${m[1]!.toUpperCase()}/${m[2]}`,
    transport: m[3]!.toUpperCase(),
    host,
    params: m[5] === undefined ? {} : parseParams(m[5]),
  };
  if (m[5] !== undefined && m[5].trim() === '') throw bad('empty Via parameter');
  if (port !== undefined) via.port = port;
  return via;
}

export function formatVia(v: ViaValue): string {
  return `${v.protocol}/${v.transport} ${v.host}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

const CSEQ_RE = /^(\d{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)$/;

export function parseCSeq(v: string): CSeqValue {
  const m = CSEQ_RE.exec(v.trim());
  if (!m) throw bad(`bad CSeq "${v.slice(0, 64)}"`, 'SIP_BAD_CSEQ');
  const seq = Number(m[1]);
  if (seq > MAX_CSEQ) throw bad(`CSeq ${m[1]} exceeds 2^32-1`, 'SIP_BAD_CSEQ');
  return { seq, method: m[2]! };
}

/** Largest Expires we accept (2^32-1 s, RFC 3261 §20.19). */
export const MAX_EXPIRES = 0xffffffff;

/** `Expires` delta-seconds (also the Contact `expires` parameter). */
export function parseExpires(v: string): number {
  const t = v.trim();
  if (!/^\d{1,10}$/.test(t) || Number(t) > MAX_EXPIRES) throw bad(`bad Expires "${t.slice(0, 32)}"`, 'SIP_BAD_EXPIRES');
  return Number(t);
}
