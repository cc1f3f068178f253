import { randomBytes } from 'node:crypto';
import { SipHeaders, SipRequest, SipResponse } from './sip-message';
import { parseNameAddr } from './sip-header-values';

/** Default reason phrases (RFC 3261 §21, plus the ones GB28181 peers use). */
export const SIP_REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily', 305: 'Use Proxy', 380: 'Alternative Service',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required', 408: 'Request Timeout',
  410: 'Gone', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long', 415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme', 420: 'Bad Extension', 421: 'Extension Required', 423: 'Interval Too Brief',
  480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 482: 'Loop Detected', 483: 'Too Many Hops',
  484: 'Address Incomplete', 485: 'Ambiguous', 486: 'Busy Here', 487: 'Request Terminated', 488: 'Not Acceptable Here',
  489: 'Bad Event', 491: 'Request Pending', 493: 'Undecipherable',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large',
  600: 'Busy Everywhere', 603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** CSPRNG bytes drawn in 4 KiB batches: one randomBytes() call per ~300 tags instead of one per tag. */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** The body of every message built without one: zero bytes cannot be changed, so one is shared (a response kept for Timer J no longer holds its own). */
const NO_BODY = Buffer.alloc(0);

/** `len` random alphanumeric characters from the CSPRNG. */
export function randomToken(len: number): string {
  if (poolOffset + len > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, len));
    poolOffset = 0;
  }
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHANUM[pool[poolOffset + i]! % 62];
  poolOffset += len;
  return s;
}

/** RFC 3261 §8.1.1.7 branch: the magic cookie plus 16 random characters. */
export function newBranch(): string {
  return 'z9hG4bK' + randomToken(16);
}

export function newTag(): string {
  return randomToken(12);
}

export function newCallId(host: string): string {
  return `${randomToken(20)}@${host}`;
}

export interface CreateResponseOptions {
  toTag?: string;
  headers?: [string, string][];
  body?: Buffer;
  contentType?: string;
}

/**
 * A response to `req` (RFC 3261 §8.2.6): Via(s), From, To, Call-ID and CSeq copied; a To tag is
 * added when the request's To has none and status > 100 (`opts.toTag` or a random one).
 */
export function createResponse(req: SipRequest, status: number, reason?: string, opts: CreateResponseOptions = {}): SipResponse {
  const h = new SipHeaders();
  for (const v of req.headers.getAllLines('Via')) h.append('Via', v);
  const from = req.headers.get('From');
  if (from !== undefined) h.append('From', from);
  let to = req.headers.get('To');
  if (to !== undefined) {
    if (status > 100 && !hasTag(to)) to = `${to};tag=${opts.toTag ?? newTag()}`;
    h.append('To', to);
  }
  const callId = req.headers.get('Call-ID');
  if (callId !== undefined) h.append('Call-ID', callId);
  const cseq = req.headers.get('CSeq');
  if (cseq !== undefined) h.append('CSeq', cseq);
  for (const [n, v] of opts.headers ?? []) h.append(n, v);
  const body = opts.body ?? NO_BODY;
  if (opts.contentType !== undefined) h.set('Content-Type', opts.contentType);
  h.set('Content-Length', String(body.length));
  return { type: 'response', status, reason: reason ?? SIP_REASON_PHRASES[status] ?? 'Unknown', version: 'SIP/2.0', headers: h, body };
}

function hasTag(nameAddr: string): boolean {
  try {
    return typeof parseNameAddr(nameAddr).params['tag'] === 'string';
  } catch {
    return /;\s*tag\s*=/i.test(nameAddr);
  }
}

export interface CreateRequestOptions {
  method: string;
  uri: string;
  via: { transport: string; host: string; port: number; branch: string; rport?: boolean };
  from: { uri: string; tag: string; displayName?: string };
  to: { uri: string; tag?: string; displayName?: string };
  callId: string;
  cseq: number;
  contact?: string;
  maxForwards?: number;
  headers?: [string, string][];
  body?: Buffer;
  contentType?: string;
}

function nameAddr(uri: string, tag?: string, displayName?: string): string {
  const dn = displayName !== undefined ? `"${displayName.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${dn}<${uri}>${tag !== undefined ? `;tag=${tag}` : ''}`;
}

/** A new out-of-dialog or in-dialog request (RFC 3261 §8.1.1). `contact` is a URI or a full name-addr. */
export function createRequest(o: CreateRequestOptions): SipRequest {
  const h = new SipHeaders();
  h.append('Via', `SIP/2.0/${o.via.transport.toUpperCase()} ${o.via.host}:${o.via.port};${o.via.rport ? 'rport;' : ''}branch=${o.via.branch}`);
  h.append('From', nameAddr(o.from.uri, o.from.tag, o.from.displayName));
  h.append('To', nameAddr(o.to.uri, o.to.tag, o.to.displayName));
  h.append('Call-ID', o.callId);
  h.append('CSeq', `${o.cseq} ${o.method}`);
  if (o.contact !== undefined) h.append('Contact', o.contact.includes('<') || o.contact === '*' ? o.contact : `<${o.contact}>`);
  h.append('Max-Forwards', String(o.maxForwards ?? 70));
  for (const [n, v] of o.headers ?? []) h.append(n, v);
  const body = o.body ?? NO_BODY;
  if (o.contentType !== undefined) h.set('Content-Type', o.contentType);
  h.set('Content-Length', String(body.length));
  return { type: 'request', method: o.method, uri: o.uri, version: 'SIP/2.0', headers: h, body };
}
