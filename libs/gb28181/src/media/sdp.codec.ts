import { Gb28181Error } from '../errors';

/** Largest SDP body accepted (GB/T 28181 bodies are < 1 KiB). */
export const MAX_SDP_BYTES = 16 * 1024;
/** Most lines accepted in one SDP body. */
export const MAX_SDP_LINES = 256;

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpAttribute {
  name: string;
  value?: string;
}

export interface MediaDescription {
  type: 'video' | 'audio' | string;
  port: number;
  /** `RTP/AVP` (UDP) or `TCP/RTP/AVP` (RFC 4571 framing). */
  protocol: string;
  formats: number[];
  connection?: SdpConnection;
  /** All a= lines of the section, in order. */
  attributes: SdpAttribute[];
  rtpmap: Record<number, { encoding: string; clockRate: number }>;
  direction?: 'recvonly' | 'sendonly' | 'sendrecv' | 'inactive';
  /** RFC 4145 a=setup. */
  setup?: 'active' | 'passive' | 'actpass';
  /** RFC 4145 a=connection. */
  connectionMode?: 'new' | 'existing';
  /** GB/T 28181 a=downloadspeed. */
  downloadSpeed?: number;
}

export interface SessionDescription {
  version: number;
  origin: { username: string; sessionId: string; sessionVersion: string; netType: string; addrType: string; address: string };
  /** GB/T 28181: Play | Playback | Download | Talk. */
  sessionName: string;
  connection?: SdpConnection;
  timing: { start: number; stop: number };
  /** u=, GB/T 28181 `<channelId>:0` for Playback/Download. */
  uri?: string;
  /** GB/T 28181 y= (10-digit SSRC, §9.2 / Annex F). */
  ssrc?: string;
  /** GB/T 28181 f= media format line. */
  format?: string;
  /** Session-level a= lines. */
  attributes?: SdpAttribute[];
  media: MediaDescription[];
}

const DIRECTIONS = new Set(['recvonly', 'sendonly', 'sendrecv', 'inactive']);

function fail(code: string, msg: string): never {
  throw new Gb28181Error(code, msg);
}

function parseConnection(v: string, lineNo: number): SdpConnection {
  const p = v.trim().split(/\s+/);
  if (p.length < 3) fail('SDP_BAD_CONNECTION', `line ${lineNo}: c= needs <nettype> <addrtype> <address>`);
  // RFC 4566 §5.7: multicast addresses may carry /ttl; keep the address only.
  return { netType: p[0], addrType: p[1], address: p[2].split('/')[0] };
}

function parseUint(s: string, code: string, what: string): number {
  if (!/^\d{1,15}$/.test(s)) fail(code, `${what} '${s.slice(0, 20)}' is not a non-negative integer`);
  return Number(s);
}

/**
 * Parses an SDP body (RFC 4566) with the GB/T 28181 additions y= (SSRC) and f= (media format),
 * which devices write after the m= section. Lenient where devices are (LF-only lines, missing t=,
 * unknown lines); strict on bounds and on v=/o=/s=.
 */
export function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string') fail('SDP_NOT_TEXT', 'SDP body is not a string');
  if (text.length > MAX_SDP_BYTES) fail('SDP_TOO_LARGE', `SDP of ${text.length} characters exceeds ${MAX_SDP_BYTES}`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text)) fail('SDP_BINARY', 'SDP contains control characters');
  const lines = text.split(/\r?\n/).filter((l) => l.trim().length > 0);
  if (lines.length > MAX_SDP_LINES) fail('SDP_TOO_MANY_LINES', `SDP of ${lines.length} lines exceeds ${MAX_SDP_LINES}`);

  let version: number | undefined;
  let origin: SessionDescription['origin'] | undefined;
  let sessionName: string | undefined;
  let connection: SdpConnection | undefined;
  let timing: SessionDescription['timing'] | undefined;
  let uri: string | undefined;
  let ssrc: string | undefined;
  let format: string | undefined;
  const attributes: SdpAttribute[] = [];
  const media: MediaDescription[] = [];
  let current: MediaDescription | undefined;

  lines.forEach((raw, i) => {
    const line = raw.trim();
    const n = i + 1;
    if (line.length < 2 || line[1] !== '=') fail('SDP_BAD_LINE', `line ${n}: expected <type>=<value>`);
    const type = line[0];
    const value = line.slice(2);
    switch (type) {
      case 'v':
        version = parseUint(value.trim(), 'SDP_BAD_VERSION', 'v=');
        break;
      case 'o': {
        const p = value.trim().split(/\s+/);
        if (p.length < 6) fail('SDP_BAD_ORIGIN', `line ${n}: o= needs 6 fields, got ${p.length}`);
        origin = { username: p[0], sessionId: p[1], sessionVersion: p[2], netType: p[3], addrType: p[4], address: p[5] };
        break;
      }
      case 's':
        sessionName = value.trim();
        break;
      case 'u':
        uri = value.trim();
        break;
      case 'c':
        if (current) current.connection = parseConnection(value, n);
        else connection = parseConnection(value, n);
        break;
      case 't': {
        const p = value.trim().split(/\s+/);
        if (p.length < 2) fail('SDP_BAD_TIMING', `line ${n}: t= needs <start> <stop>`);
        timing = { start: parseUint(p[0], 'SDP_BAD_TIMING', 't= start'), stop: parseUint(p[1], 'SDP_BAD_TIMING', 't= stop') };
        break;
      }
      case 'm': {
        const p = value.trim().split(/\s+/);
        if (p.length < 3) fail('SDP_BAD_MEDIA', `line ${n}: m= needs <media> <port> <proto> <fmt>...`);
        const port = parseUint(p[1].split('/')[0], 'SDP_BAD_MEDIA', 'm= port');
        if (port > 65535) fail('SDP_BAD_MEDIA', `line ${n}: port ${port} > 65535`);
        const formats = p.slice(3).map((f) => parseUint(f, 'SDP_BAD_MEDIA', 'm= format'));
        current = { type: p[0], port, protocol: p[2], formats, attributes: [], rtpmap: {} };
        media.push(current);
        break;
      }
      case 'a': {
        const colon = value.indexOf(':');
        const attr: SdpAttribute = colon < 0 ? { name: value.trim() } : { name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() };
        if (current) applyMediaAttribute(current, attr);
        else attributes.push(attr);
        break;
      }
      case 'y':
        ssrc = value.trim();
        break;
      case 'f':
        format = value.trim();
        break;
      default:
        break; // i=, e=, p=, b=, z=, k=, r=: not used by GB/T 28181
    }
  });

  if (version === undefined) fail('SDP_MISSING_VERSION', 'SDP has no v= line');
  if (!origin) fail('SDP_MISSING_ORIGIN', 'SDP has no o= line');
  if (sessionName === undefined) fail('SDP_MISSING_SESSION_NAME', 'SDP has no s= line');
  const s: SessionDescription = { version, origin, sessionName, timing: timing ?? { start: 0, stop: 0 }, media };
  if (connection) s.connection = connection;
  if (uri !== undefined) s.uri = uri;
  if (ssrc !== undefined) s.ssrc = ssrc;
  if (format !== undefined) s.format = format;
  if (attributes.length > 0) s.attributes = attributes;
  return s;
}

function applyMediaAttribute(m: MediaDescription, a: SdpAttribute): void {
  m.attributes.push(a);
  const name = a.name.toLowerCase();
  const v = a.value ?? '';
  if (DIRECTIONS.has(name)) m.direction = name as MediaDescription['direction'];
  else if (name === 'rtpmap') {
    // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<params>]
    const match = /^(\d{1,3})\s+([^/\s]+)\/(\d{1,10})/.exec(v);
    if (match) m.rtpmap[Number(match[1])] = { encoding: match[2], clockRate: Number(match[3]) };
  } else if (name === 'setup' && (v === 'active' || v === 'passive' || v === 'actpass')) m.setup = v;
  else if (name === 'connection' && (v === 'new' || v === 'existing')) m.connectionMode = v;
  else if (name === 'downloadspeed' && /^\d{1,6}$/.test(v)) m.downloadSpeed = Number(v);
}

/**
 * Writes an SDP body with CRLF line ends. Media attributes come from `attributes`; rtpmap,
 * direction, setup, connection and downloadspeed fields missing from it are added. The GB/T 28181
 * y= and f= lines follow the last m= section, where devices expect them.
 */
export function serializeSdp(s: SessionDescription): string {
  const o = s.origin;
  const lines = [
    `v=${s.version}`,
    `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`,
    `s=${s.sessionName}`,
  ];
  if (s.uri !== undefined) lines.push(`u=${s.uri}`);
  if (s.connection) lines.push(conn(s.connection));
  lines.push(`t=${s.timing.start} ${s.timing.stop}`);
  for (const a of s.attributes ?? []) lines.push(attr(a));
  for (const m of s.media) {
    lines.push(`m=${m.type} ${m.port} ${m.protocol} ${m.formats.join(' ')}`);
    if (m.connection) lines.push(conn(m.connection));
    const names = new Set(m.attributes.map((a) => a.name.toLowerCase()));
    const mapped = new Set(m.attributes.filter((a) => a.name.toLowerCase() === 'rtpmap').map((a) => (a.value ?? '').split(/\s/)[0]));
    const extra: SdpAttribute[] = [];
    if (m.direction && ![...DIRECTIONS].some((d) => names.has(d))) extra.push({ name: m.direction });
    for (const [pt, r] of Object.entries(m.rtpmap)) if (!mapped.has(pt)) extra.push({ name: 'rtpmap', value: `${pt} ${r.encoding}/${r.clockRate}` });
    if (m.setup && !names.has('setup')) extra.push({ name: 'setup', value: m.setup });
    if (m.connectionMode && !names.has('connection')) extra.push({ name: 'connection', value: m.connectionMode });
    if (m.downloadSpeed !== undefined && !names.has('downloadspeed')) extra.push({ name: 'downloadspeed', value: String(m.downloadSpeed) });
    for (const a of [...m.attributes, ...extra]) lines.push(attr(a));
  }
  if (s.ssrc !== undefined) lines.push(`y=${s.ssrc}`);
  if (s.format !== undefined) lines.push(`f=${s.format}`);
  const text = lines.join('\r\n') + '\r\n';
  if (/[\r\n]/.test(lines.join(''))) fail('SDP_BAD_FIELD', 'an SDP field contains a line break');
  return text;
}

function conn(c: SdpConnection): string {
  return `c=${c.netType} ${c.addrType} ${c.address}`;
}

function attr(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}
