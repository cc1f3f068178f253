import { Gb28181Error } from '../errors';
import { SipHeaders, SipMessage, splitSipHeaderList } from './sip-message';
import { parseCSeq, parseNameAddr, parseVia } from './sip-header-values';

/**
 * Parses one SIP message (RFC 3261 §7) from a UDP datagram or a TCP frame.
 *
 *   start-line CRLF *( message-header CRLF ) CRLF [ message-body ]
 *
 * - Header bytes are decoded as UTF-8; the body stays raw bytes (GB2312 bodies).
 * - CRLF, bare LF or (inside the header section) bare CR line ends; LWS continuation lines are folded into one SP.
 * - Content-Length counts bytes. Absent (UDP): the body is the rest of the datagram.
 *   Larger than what is present: SIP_CONTENT_LENGTH_MISMATCH. Smaller: the extra
 *   octets are ignored (RFC 3261 §18.3, RFC 4475 §3.1.1.8).
 * - Leading CRLFs before the start line are skipped (§7.5). A missing empty line after
 *   the last header is tolerated: the datagram then has no body.
 */
export interface SipParseLimits {
  /** Largest message (datagram or frame) accepted, bytes. */
  maxMessageBytes: number;
  /** Most header lines (after unfolding). */
  maxHeaders: number;
  /** Longest start line or unfolded header line, bytes (UTF-16 units after decoding). */
  maxHeaderLineBytes: number;
}

export const DEFAULT_SIP_PARSE_LIMITS: Readonly<SipParseLimits> = Object.freeze({
  maxMessageBytes: 262144,
  maxHeaders: 256,
  maxHeaderLineBytes: 16384,
});

/** Headers that must be present in every request and response (RFC 3261 §8.1.1). */
export const SIP_MANDATORY_HEADERS = ['Via', 'From', 'To', 'Call-ID', 'CSeq'] as const;

/** Headers that may appear once only (RFC 3261 §7.3.1, RFC 4475 §3.3.8 / §3.3.9). */
const SINGLE_VALUED = ['From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards'] as const;

/** Lookup keys checked in one pass: the mandatory five, then the single-valued ones (Via excluded). */
const CHECKED_NAMES = ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Max-Forwards'] as const;
const CHECKED_KEYS = CHECKED_NAMES.map((n) => n.toLowerCase());

/**
 * Fast paths for the overwhelmingly common shapes (`<sip:...>;tag=x`, `SIP/2.0/UDP h:port;k=v`);
 * anything else goes through the full parseNameAddr / parseVia, which may reject it.
 */
const SIMPLE_NAME_ADDR_RE = /^<[A-Za-z][A-Za-z0-9+.\-]*:[^<>"\s]+>(?:;tag=[A-Za-z0-9\-.!%*_+`'~]+)?$/;
const SIMPLE_VIA_RE = /^SIP\/2\.0\/[A-Za-z]+ [A-Za-z0-9.\-]+(?::\d{1,4})?(?:;[A-Za-z0-9\-.!%*_+`'~]+(?:=[A-Za-z0-9\-.!%*_+`'~:]+)?)*$/;

const METHOD_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const VERSION_RE = /^SIP\/(\d+)\.(\d+)$/i;
const URI_RE = /^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>]+$/;

function fail(code: string, msg: string): never {
  throw new Gb28181Error(code, msg);
}

/** Index of the first byte after the empty line that ends the header section, and where headers end. */
function findHeaderEnd(data: Buffer, from: number): { headEnd: number; bodyStart: number } | null {
  let i = from;
  for (;;) {
    const lf = data.indexOf(10, i);
    if (lf < 0) return null;
    const next = data[lf + 1];
    if (next === 10) return { headEnd: lf, bodyStart: lf + 2 };
    if (next === 13 && data[lf + 2] === 10) return { headEnd: lf, bodyStart: lf + 3 };
    i = lf + 1;
  }
}

export function parseSipMessage(data: Buffer, limits?: Partial<SipParseLimits>): SipMessage {
  const lim = limits ? { ...DEFAULT_SIP_PARSE_LIMITS, ...limits } : DEFAULT_SIP_PARSE_LIMITS;
  if (!Buffer.isBuffer(data)) fail('SIP_EMPTY', 'not a buffer');
  if (data.length > lim.maxMessageBytes) fail('SIP_MESSAGE_TOO_LARGE', `message of ${data.length} bytes exceeds ${lim.maxMessageBytes}`);
  let start = 0;
  while (start < data.length && (data[start] === 13 || data[start] === 10)) start++;
  if (start >= data.length) fail('SIP_EMPTY', 'empty message');

  const end = findHeaderEnd(data, start);
  const headEnd = end ? end.headEnd : data.length;
  const bodyStart = end ? end.bodyStart : data.length;
  const head = data.toString('utf8', start, headEnd);
  const lines = head.split('\n');

  // ---- start line
  let startLine = lines[0]!;
  if (startLine.endsWith('\r')) startLine = startLine.slice(0, -1);
  if (startLine.length > lim.maxHeaderLineBytes) fail('SIP_BAD_START_LINE', 'start line too long');
  const sp1 = startLine.indexOf(' ');
  if (sp1 <= 0) fail('SIP_BAD_START_LINE', `bad start line "${startLine.slice(0, 80)}"`);
  const headers = new SipHeaders();
  let msg: SipMessage;
  if (startLine.startsWith('SIP/') || startLine.startsWith('sip/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const version = startLine.slice(0, sp1);
    checkVersion(version);
    const code = startLine.slice(sp1 + 1, sp1 + 4);
    if (!/^[1-6]\d\d$/.test(code) || startLine[sp1 + 4] !== ' ') {
      // "SIP/2.0 100" without the required SP is tolerated (RFC 4475 §3.1.1.13 is lenient here)
      if (!(/^[1-6]\d\d$/.test(code) && startLine.length === sp1 + 4)) fail('SIP_BAD_START_LINE', `bad status line "${startLine.slice(0, 80)}"`);
    }
    msg = { type: 'response', status: Number(code), reason: startLine.slice(sp1 + 5), version, headers, body: EMPTY };
  } else {
    // Request-Line = Method SP Request-URI SP SIP-Version
    const sp2 = startLine.lastIndexOf(' ');
    const method = startLine.slice(0, sp1);
    const uri = startLine.slice(sp1 + 1, sp2);
    const version = startLine.slice(sp2 + 1);
    if (sp2 === sp1 || !METHOD_RE.test(method) || !URI_RE.test(uri)) fail('SIP_BAD_START_LINE', `bad request line "${startLine.slice(0, 80)}"`);
    checkVersion(version);
    msg = { type: 'request', method, uri, version, headers, body: EMPTY };
  }

  // ---- headers: unfold LWS continuation lines first (a fold may even precede the colon), then split
  let logical: string | undefined;
  let count = 0;
  const addHeader = (l: string): void => {
    if (++count > lim.maxHeaders) fail('SIP_TOO_MANY_HEADERS', `more than ${lim.maxHeaders} headers`);
    const colon = l.indexOf(':');
    if (colon <= 0) fail('SIP_BAD_HEADER', `header line without name or colon "${l.slice(0, 80)}"`);
    const name = l.slice(0, colon).trimEnd();
    if (!METHOD_RE.test(name)) fail('SIP_BAD_HEADER', `bad header name "${name.slice(0, 80)}"`);
    headers.appendRaw(name, l.slice(colon + 1).trim());
  };
  const takeLine = (line: string): void => {
    const c0 = line.charCodeAt(0);
    if (c0 === 32 || c0 === 9) {
      if (logical === undefined) fail('SIP_BAD_HEADER', 'continuation line before any header');
      logical += ' ' + line.trim();
    } else {
      if (logical !== undefined) addHeader(logical);
      logical = line;
    }
    if (logical.length > lim.maxHeaderLineBytes) fail('SIP_HEADER_LINE_TOO_LONG', `header line exceeds ${lim.maxHeaderLineBytes}`);
  };
  for (let li = 1; li < lines.length; li++) {
    let line = lines[li]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '' && li === lines.length - 1) break; // datagram ended right after a header's CRLF
    if (line.indexOf('\r') < 0) takeLine(line);
    else for (const part of line.split('\r')) takeLine(part); // bare CR line ends (pjproject accepts them too)
  }
  if (logical !== undefined) addHeader(logical);

  // ---- mandatory headers and the cheap structural checks the transaction layer relies on
  const seen = headers.countKeys(CHECKED_KEYS);
  for (let k = 0; k < SIP_MANDATORY_HEADERS.length; k++) if (seen[k] === 0) fail('SIP_MISSING_HEADER', `missing ${SIP_MANDATORY_HEADERS[k]} header`);
  for (let k = 1; k < CHECKED_KEYS.length; k++) if (seen[k]! > 1) fail('SIP_DUPLICATE_HEADER', `more than one ${CHECKED_NAMES[k]} header`);
  const cseq = parseCSeq(headers.get('CSeq')!);
  if (msg.type === 'request' && cseq.method !== msg.method) fail('SIP_BAD_CSEQ', `CSeq method ${cseq.method} differs from request method ${msg.method}`);
  const from = headers.get('From')!;
  if (!SIMPLE_NAME_ADDR_RE.test(from)) parseNameAddr(from);
  const to = headers.get('To')!;
  if (!SIMPLE_NAME_ADDR_RE.test(to)) parseNameAddr(to);
  for (const line of headers.getAllLines('Via')) {
    if (SIMPLE_VIA_RE.test(line)) continue;
    for (const v of splitSipHeaderList(line, true)) parseVia(v);
  }
  if (headers.get('Call-ID')!.length === 0) fail('SIP_BAD_HEADER', 'empty Call-ID');

  // ---- body, framed by Content-Length in bytes
  const available = data.length - bodyStart;
  const clValues = headers.getAllLines('Content-Length');
  if (clValues.length === 0) {
    msg.body = available > 0 ? data.subarray(bodyStart) : EMPTY;
  } else {
    let cl = -1;
    for (const v of clValues) {
      const t = v.trim();
      if (!/^\d{1,10}$/.test(t)) fail('SIP_BAD_CONTENT_LENGTH', `bad Content-Length "${t.slice(0, 32)}"`);
      const n = Number(t);
      if (cl >= 0 && n !== cl) fail('SIP_BAD_CONTENT_LENGTH', 'conflicting Content-Length headers');
      cl = n;
    }
    if (cl > available) fail('SIP_CONTENT_LENGTH_MISMATCH', `Content-Length ${cl} exceeds the ${available} body bytes present`);
    msg.body = cl === 0 ? EMPTY : data.subarray(bodyStart, bodyStart + cl);
  }
  return msg;
}

const EMPTY = Buffer.alloc(0);

function checkVersion(v: string): void {
  const m = VERSION_RE.exec(v);
  if (!m) fail('SIP_BAD_START_LINE', `bad SIP version "${v.slice(0, 32)}"`);
  if (m[1] !== '2' || m[2] !== '0') fail('SIP_BAD_VERSION', `unsupported SIP version ${v}`);
}
