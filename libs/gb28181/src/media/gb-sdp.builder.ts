import { Gb28181Error } from '../errors';
import { parseSdp, serializeSdp, type MediaDescription, type SessionDescription } from './sdp.codec';

export type GbSessionName = 'Play' | 'Playback' | 'Download' | 'Talk';
export type GbTransport = 'udp' | 'tcp-passive' | 'tcp-active';

/** Payload types platforms offer (GB/T 28181-2016 §9.2, Annex F). */
export const GB_PAYLOAD_TYPES = { PS: 96, MPEG4: 97, H264: 98, H265: 99, PCMA: 8 } as const;

export interface GbOfferOptions {
  sessionName: GbSessionName;
  platformId: string;
  /** Media address the platform receives on. */
  ip: string;
  port: number;
  /** tcp-passive: the device connects to us (a=setup:passive); tcp-active: we connect to the device. */
  transport: GbTransport;
  /** y= 10-digit SSRC. */
  ssrc: string;
  /** Needed for Playback/Download (u=<channelId>:0). */
  channelId?: string;
  /** Unix seconds, Playback/Download. */
  startTime?: number;
  endTime?: number;
  /** Download: a=downloadspeed. */
  downloadSpeed?: number;
  /** Substream: written as a=streamnumber (2022) and a=stream (2016 practice), or as `substreamStyle` says. */
  streamNumber?: number;
  /** How `streamNumber` is written (see SUBSTREAM_SDP_STYLES); default 'gb2022'. */
  substreamStyle?: SubstreamSdpStyle;
}

/**
 * Ways a play offer names the stream of a channel (0 main, 1 sub):
 *   gb2022         a=streamnumber:N (GB/T 28181-2022) and a=stream:N (what 2016-era platforms wrote)
 *   streamprofile  a=streamprofile:N (platforms report it for Hikvision devices)
 *   streamMode     a=streamMode:MAIN|SUB (seen from platforms talking to Dahua-style devices)
 *   all            every line above: for a device of unknown make (a device reads the one it knows)
 */
export const SUBSTREAM_SDP_STYLES = ['gb2022', 'streamprofile', 'streamMode', 'all'] as const;
export type SubstreamSdpStyle = (typeof SUBSTREAM_SDP_STYLES)[number];

function checkField(name: string, v: string): void {
  if (!/^[\x21-\x7e]{1,128}$/.test(v)) throw new Gb28181Error('SDP_BAD_FIELD', `${name} '${v.slice(0, 40)}' must be 1..128 printable characters without spaces`);
}

function addrType(ip: string): 'IP4' | 'IP6' {
  return ip.includes(':') ? 'IP6' : 'IP4';
}

function rtpmap(m: MediaDescription, pt: number, encoding: string, clockRate: number): void {
  m.rtpmap[pt] = { encoding, clockRate };
  m.attributes.push({ name: 'rtpmap', value: `${pt} ${encoding}/${clockRate}` });
}

/** The platform's INVITE offer (GB/T 28181-2016 §9.2.2, example in Annex F). */
/**
 * The stream an offer asks for, however it is written (any SUBSTREAM_SDP_STYLES line of its first media): 0 main,
 * 1.. sub; null when it names none. What a device reads; a value outside 0..9 is ignored.
 */
export function offeredStreamNumber(m: Pick<MediaDescription, 'attributes'>): number | null {
  for (const a of m.attributes) {
    const name = a.name.toLowerCase();
    const v = (a.value ?? '').trim();
    if ((name === 'streamnumber' || name === 'stream' || name === 'streamprofile') && /^[0-9]$/.test(v)) return Number(v);
    if (name === 'streammode' && /^(main|sub)$/i.test(v)) return v.toUpperCase() === 'MAIN' ? 0 : 1;
  }
  return null;
}

export function buildGbOffer(opts: GbOfferOptions): string {
  checkField('platformId', opts.platformId);
  checkField('ip', opts.ip);
  checkField('ssrc', opts.ssrc);
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Gb28181Error('SDP_BAD_FIELD', `port ${opts.port} is not in 0..65535`);
  }
  const history = opts.sessionName === 'Playback' || opts.sessionName === 'Download';
  if (history) {
    if (!opts.channelId) throw new Gb28181Error('SDP_BAD_FIELD', `${opts.sessionName} needs channelId for u=`);
    checkField('channelId', opts.channelId);
  }
  const tcp = opts.transport !== 'udp';
  const talk = opts.sessionName === 'Talk';
  const c = { netType: 'IN', addrType: addrType(opts.ip), address: opts.ip };
  const m: MediaDescription = {
    type: talk ? 'audio' : 'video',
    port: opts.port,
    protocol: tcp ? 'TCP/RTP/AVP' : 'RTP/AVP',
    formats: talk ? [GB_PAYLOAD_TYPES.PCMA, GB_PAYLOAD_TYPES.PS] : [96, 97, 98, 99],
    attributes: [],
    rtpmap: {},
  };
  m.direction = talk ? 'sendrecv' : 'recvonly';
  m.attributes.push({ name: m.direction });
  if (talk) {
    rtpmap(m, GB_PAYLOAD_TYPES.PCMA, 'PCMA', 8000);
    rtpmap(m, GB_PAYLOAD_TYPES.PS, 'PS', 90000);
  } else {
    rtpmap(m, GB_PAYLOAD_TYPES.PS, 'PS', 90000);
    rtpmap(m, GB_PAYLOAD_TYPES.MPEG4, 'MPEG4', 90000);
    rtpmap(m, GB_PAYLOAD_TYPES.H264, 'H264', 90000);
    rtpmap(m, GB_PAYLOAD_TYPES.H265, 'H265', 90000);
  }
  if (tcp) {
    m.setup = opts.transport === 'tcp-passive' ? 'passive' : 'active';
    m.connectionMode = 'new';
    m.attributes.push({ name: 'setup', value: m.setup }, { name: 'connection', value: 'new' });
  }
  if (opts.sessionName === 'Download' && opts.downloadSpeed !== undefined) {
    if (!Number.isInteger(opts.downloadSpeed) || opts.downloadSpeed < 1 || opts.downloadSpeed > 64) {
      throw new Gb28181Error('SDP_BAD_FIELD', `downloadSpeed ${opts.downloadSpeed} is not in 1..64`);
    }
    m.downloadSpeed = opts.downloadSpeed;
    m.attributes.push({ name: 'downloadspeed', value: String(opts.downloadSpeed) });
  }
  if (opts.streamNumber !== undefined) {
    if (!Number.isInteger(opts.streamNumber) || opts.streamNumber < 0 || opts.streamNumber > 9) {
      throw new Gb28181Error('SDP_BAD_FIELD', `streamNumber ${opts.streamNumber} is not in 0..9`);
    }
    const n = String(opts.streamNumber);
    const style = opts.substreamStyle ?? 'gb2022';
    if (!SUBSTREAM_SDP_STYLES.includes(style)) throw new Gb28181Error('SDP_BAD_FIELD', `unknown substream style ${String(style)}`);
    if (style === 'gb2022' || style === 'all') m.attributes.push({ name: 'streamnumber', value: n }, { name: 'stream', value: n });
    if (style === 'streamprofile' || style === 'all') m.attributes.push({ name: 'streamprofile', value: n });
    if (style === 'streamMode' || style === 'all') m.attributes.push({ name: 'streamMode', value: opts.streamNumber === 0 ? 'MAIN' : 'SUB' });
  }
  const s: SessionDescription = {
    version: 0,
    origin: { username: opts.platformId, sessionId: '0', sessionVersion: '0', ...c },
    sessionName: opts.sessionName,
    connection: c,
    timing: history ? { start: opts.startTime ?? 0, stop: opts.endTime ?? 0 } : { start: 0, stop: 0 },
    ssrc: opts.ssrc,
    media: [m],
  };
  if (history) s.uri = `${opts.channelId}:0`;
  return serializeSdp(s);
}

export interface GbAnswerOptions {
  /** The offer text or its parsed form. */
  offer: string | SessionDescription;
  /** The answering device or channel ID (o= username). */
  deviceId: string;
  /** The device's media address and port (the source of RTP; for tcp, where it listens or connects from). */
  ip: string;
  port: number;
  /** y= to answer with; defaults to the offer's. */
  ssrc?: string;
  /** f= line, e.g. `v/2/5/25/1/4096a/1/8/1`; omitted when absent. */
  format?: string;
}

/**
 * The sender's 200 OK answer (the device simulator's, and this gateway's to a superior platform): sendonly PS/90000
 * on the offered transport, with the opposite TCP role (offer passive or actpass -> answer active), as GB/T 28181
 * devices answer.
 */
export function buildGbAnswer(opts: GbAnswerOptions): string {
  const offer = typeof opts.offer === 'string' ? parseSdp(opts.offer) : opts.offer;
  checkField('deviceId', opts.deviceId);
  checkField('ip', opts.ip);
  const talk = offer.sessionName === 'Talk';
  // The section answered: the video one (an offer may list audio first), the first one for Talk.
  const om = (talk ? undefined : offer.media.find((x) => x.type === 'video')) ?? offer.media[0];
  if (!om) throw new Gb28181Error('SDP_NO_MEDIA', 'the offer has no m= line to answer');
  const c = { netType: 'IN', addrType: addrType(opts.ip), address: opts.ip };
  const m: MediaDescription = { type: om.type, port: opts.port, protocol: om.protocol, formats: [], attributes: [], rtpmap: {} };
  m.direction = talk ? 'sendrecv' : 'sendonly';
  m.attributes.push({ name: m.direction });
  const pt = talk && om.formats.includes(GB_PAYLOAD_TYPES.PCMA) && !om.formats.includes(GB_PAYLOAD_TYPES.PS) ? GB_PAYLOAD_TYPES.PCMA : GB_PAYLOAD_TYPES.PS;
  m.formats = [pt];
  if (pt === GB_PAYLOAD_TYPES.PS) rtpmap(m, pt, 'PS', 90000);
  else rtpmap(m, pt, 'PCMA', 8000);
  if (/^TCP\//i.test(om.protocol)) {
    m.setup = om.setup === 'active' ? 'passive' : 'active';
    m.connectionMode = 'new';
    m.attributes.push({ name: 'setup', value: m.setup }, { name: 'connection', value: 'new' });
  }
  const ssrc = opts.ssrc ?? offer.ssrc;
  if (ssrc !== undefined) checkField('ssrc', ssrc);
  const s: SessionDescription = {
    version: 0,
    origin: { username: opts.deviceId, sessionId: '0', sessionVersion: '0', ...c },
    sessionName: offer.sessionName,
    connection: c,
    timing: { ...offer.timing },
    media: [m],
  };
  if (offer.uri !== undefined) s.uri = offer.uri;
  if (ssrc !== undefined) s.ssrc = ssrc;
  if (opts.format !== undefined) s.format = opts.format;
  return serializeSdp(s);
}
