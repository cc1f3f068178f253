/**
 * SIP message model (RFC 3261 §7). Headers are kept in wire order; names are
 * case-insensitive and compact forms (§7.3.3) are stored under their long name.
 */

/** RFC 3261 §7.3.3 compact forms, plus RFC 3265 `o`/`u`. */
export const SIP_COMPACT_HEADER_NAMES: Readonly<Record<string, string>> = {
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding',
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  o: 'Event',
  u: 'Allow-Events',
};

const CANONICAL_NAMES: Record<string, string> = {};
for (const n of [
  'Accept', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
  'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date',
  'Error-Info', 'Event', 'Expires', 'From', 'In-Reply-To', 'Max-Forwards', 'Min-Expires',
  'MIME-Version', 'Organization', 'Priority', 'Proxy-Authenticate', 'Proxy-Authorization',
  'Proxy-Require', 'Record-Route', 'Reply-To', 'Require', 'Retry-After', 'Route', 'Server',
  'Subject', 'Subscription-State', 'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent',
  'Via', 'Warning', 'WWW-Authenticate',
]) {
  CANONICAL_NAMES[n.toLowerCase()] = n;
}

/** Headers whose grammar is `#element` (RFC 3261 §7.3.1): `getAll` splits their values on commas. */
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'allow-events', 'content-encoding',
  'content-language', 'in-reply-to', 'call-info', 'alert-info', 'error-info', 'warning',
]);

/** Lower-case long name used as the lookup key (`v` -> `via`, `Call-Id` -> `call-id`). */
export function sipHeaderKey(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) {
    const long = SIP_COMPACT_HEADER_NAMES[lower];
    if (long !== undefined) return long.toLowerCase();
  }
  return lower;
}

/** The name written on the wire: canonical capitalisation for known headers, long form for compact ones. */
export function sipHeaderDisplayName(name: string): string {
  const key = sipHeaderKey(name);
  return CANONICAL_NAMES[key] ?? name;
}

/**
 * Splits a header value on commas that are outside quoted strings and `<...>`.
 * Empty elements are kept when `keepEmpty` (used to reject `Via: a,,b`), trimmed otherwise dropped.
 */
export function splitSipHeaderList(value: string, keepEmpty = false): string[] {
  if (value.indexOf(',') < 0) {
    const t = value.trim();
    return t === '' && !keepEmpty ? [] : [t];
  }
  const out: string[] = [];
  let inQuote = false;
  let inAngle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (inQuote) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inQuote = false;
    } else if (ch === 0x22) inQuote = true;
    else if (ch === 0x3c /* < */) inAngle = true;
    else if (ch === 0x3e /* > */) inAngle = false;
    else if (ch === 0x2c /* , */ && !inAngle) {
      const part = value.slice(start, i).trim();
      if (part !== '' || keepEmpty) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '' || keepEmpty) out.push(last);
  return out;
}

interface HeaderEntry {
  key: string;
  name: string;
  value: string;
}

/** Ordered, case-insensitive SIP header list. */
export class SipHeaders {
  private list: HeaderEntry[] = [];

  constructor(init?: Iterable<[string, string]>) {
    if (init) for (const [n, v] of init) this.append(n, v);
  }

  /** First value of the header, as written (not comma-split). */
  get(name: string): string | undefined {
    const key = sipHeaderKey(name);
    for (const e of this.list) if (e.key === key) return e.value;
    return undefined;
  }

  /** Every value; list headers (Via, Contact, Route...) are also split on top-level commas. */
  getAll(name: string): string[] {
    const key = sipHeaderKey(name);
    const split = LIST_HEADERS.has(key);
    const out: string[] = [];
    for (const e of this.list) {
      if (e.key !== key) continue;
      if (split) for (const p of splitSipHeaderList(e.value)) out.push(p);
      else out.push(e.value);
    }
    return out;
  }

  /** Every header line's value with this name, not comma-split. */
  getAllLines(name: string): string[] {
    const key = sipHeaderKey(name);
    const out: string[] = [];
    for (const e of this.list) if (e.key === key) out.push(e.value);
    return out;
  }

  /** @internal line counts for several lookup keys (lower-case long names) in one pass. */
  countKeys(keys: readonly string[]): number[] {
    const out = keys.map(() => 0);
    for (const e of this.list) {
      const i = keys.indexOf(e.key);
      if (i >= 0) out[i]!++;
    }
    return out;
  }

  /** Number of header lines (not comma elements) with this name. */
  count(name: string): number {
    const key = sipHeaderKey(name);
    let n = 0;
    for (const e of this.list) if (e.key === key) n++;
    return n;
  }

  /** Replaces every line of this header by one line, at the position of the first (or at the end). */
  set(name: string, value: string): this {
    const key = sipHeaderKey(name);
    const idx = this.list.findIndex((e) => e.key === key);
    if (idx < 0) {
      this.list.push({ key, name: sipHeaderDisplayName(name), value });
      return this;
    }
    this.list[idx] = { key, name: this.list[idx]!.name, value };
    this.list = this.list.filter((e, i) => i === idx || e.key !== key);
    return this;
  }

  append(name: string, value: string): this {
    this.list.push({ key: sipHeaderKey(name), name: sipHeaderDisplayName(name), value });
    return this;
  }

  /** @internal fast path for the parser: name already trimmed. */
  appendRaw(name: string, value: string): void {
    const key = sipHeaderKey(name);
    this.list.push({ key, name: CANONICAL_NAMES[key] ?? name, value });
  }

  delete(name: string): boolean {
    const key = sipHeaderKey(name);
    const before = this.list.length;
    this.list = this.list.filter((e) => e.key !== key);
    return this.list.length !== before;
  }

  has(name: string): boolean {
    const key = sipHeaderKey(name);
    return this.list.some((e) => e.key === key);
  }

  /** `[name, value]` per header line, in wire order, names in long canonical form. */
  entries(): [string, string][] {
    return this.list.map((e) => [e.name, e.value]);
  }

  get size(): number {
    return this.list.length;
  }

  clone(): SipHeaders {
    const h = new SipHeaders();
    h.list = this.list.map((e) => ({ ...e }));
    return h;
  }
}

export interface SipRequest {
  type: 'request';
  method: string;
  uri: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  type: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;
