import { Gb28181Error } from '../errors';
import { GB_PAYLOAD_TYPES, type GbTransport } from './gb-sdp.builder';
import { parseSdp, type MediaDescription, type SessionDescription } from './sdp.codec';

/** The sessions a media sender answers (s=): live, history, history download (GB/T 28181-2016 §9.2, §9.8, §9.9). */
export type GbSendSession = 'Play' | 'Playback' | 'Download';

/** Latest time a Playback/Download t= may name (2100-01-01T00:00:00Z): larger numbers are garbage, not a date. */
export const MAX_OFFER_UNIX_S = 4_102_444_800;
/** Fastest a=downloadspeed accepted (the platform's own offers use 1..64, gb-sdp.builder). */
export const MAX_OFFER_DOWNLOAD_SPEED = 64;
/** Largest y= value: the RTP SSRC field is 32 bits (RFC 3550 §5.1). */
export const MAX_OFFER_SSRC = 0xffff_ffff;

/**
 * What an INVITE offer asks of the one who sends the media (a device, or this gateway as a lower platform answering
 * its superior, GB/T 28181-2016 §9.2 and Annex F), read and checked from the offerer's SDP.
 */
export interface GbOffer {
  sessionName: GbSendSession;
  /**
   * The receiver's (offerer's) transport, named from its side as GbTransport is: `udp` (RTP/AVP); `tcp-passive`
   * (TCP/RTP/AVP with a=setup:passive, or actpass, or no a=setup: it listens at host:port and the sender connects);
   * `tcp-active` (a=setup:active: it connects to the port the sender answers with).
   */
  transport: GbTransport;
  /** The receiver's media address (media-level c=, else session-level): an IPv4 or IPv6 literal, never 0.0.0.0. */
  host: string;
  /** The receiver's media port (m=); 0 only for `tcp-active`, where the sender does not use it. */
  port: number;
  /** y= as written (decimal, 10 digits by Annex F), when present. */
  ssrc?: string;
  /** y= as the RTP SSRC field. */
  ssrcNumber?: number;
  /** Playback/Download: the t= range, unix seconds (start < end). */
  startTime?: number;
  endTime?: number;
  /** Download: a=downloadspeed (1 when absent). */
  downloadSpeed?: number;
  /** u= (`<channelId>:0` for Playback/Download), when present. */
  uri?: string;
  /** The parsed offer (for the answer, buildGbAnswer). */
  sdp: SessionDescription;
  /** The media section read (the first video one). */
  media: MediaDescription;
}

/** An offer that parses but asks for what a sender of PS over RTP cannot give (the SIP edge answers 488). */
export const GB_OFFER_UNSUPPORTED = 'GB_OFFER_UNSUPPORTED';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** An IPv4 dotted quad, or an IPv6 address (RFC 4291 §2.2: eight groups, one `::`, an IPv4 tail). No zone, no name. */
export function isIpLiteral(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  let head = s;
  let groups = 0;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    if (!IPV4.test(s.slice(lastColon + 1))) return false;
    head = s.slice(0, lastColon + 1) + '0';
    groups = 1; // the IPv4 tail is two groups; '0' stands for one of them
  }
  const halves = head.split('::');
  if (halves.length > 2) return false;
  const parts = halves.map((h) => (h === '' ? [] : h.split(':')));
  if (!parts.every((p) => p.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g)))) return false;
  groups += parts.reduce((n, p) => n + p.length, 0);
  return halves.length === 2 ? groups <= 7 : groups === 8;
}

function fail(code: string, msg: string): never {
  throw new Gb28181Error(code, msg);
}

/**
 * Reads an INVITE offer for sending media (GB/T 28181-2016 §9.2.2, Annex F). Throws Gb28181Error:
 * - the SDP_* codes of parseSdp for what is not SDP (bounds, control characters, missing v=/o=/s=);
 * - `GB_OFFER_UNSUPPORTED` for a session other than Play/Playback/Download (Talk), no video section, a video section
 *   without PS (payload type 96 or an rtpmap PS/90000), a direction that asks us to receive (sendonly/inactive), a
 *   protocol other than RTP/AVP or TCP/RTP/AVP;
 * - `GB_OFFER_BAD_ADDRESS` for no c=, a non-IN or non-literal address (a host name would need a lookup), 0.0.0.0 / ::;
 * - `GB_OFFER_BAD_PORT` for port 0 where the sender needs the receiver's port (udp, tcp-passive);
 * - `GB_OFFER_BAD_SSRC` for a y= that is not 1..10 decimal digits within 32 bits;
 * - `GB_OFFER_BAD_RANGE` for a Playback/Download t= without start < end within MAX_OFFER_UNIX_S;
 * - `GB_OFFER_BAD_SPEED` for an a=downloadspeed outside 1..MAX_OFFER_DOWNLOAD_SPEED.
 */
export function readGbOffer(text: string): GbOffer {
  const sdp = parseSdp(text);
  const name = sdp.sessionName;
  if (name !== 'Play' && name !== 'Playback' && name !== 'Download') {
    fail(GB_OFFER_UNSUPPORTED, `s=${name.slice(0, 32)}: only Play, Playback and Download are sent`);
  }
  const m = sdp.media.find((x) => x.type === 'video');
  if (!m) fail(GB_OFFER_UNSUPPORTED, 'the offer has no m=video section');
  const ps = m.formats.includes(GB_PAYLOAD_TYPES.PS) || Object.values(m.rtpmap).some((r) => r.encoding.toUpperCase() === 'PS');
  if (!ps) fail(GB_OFFER_UNSUPPORTED, `m=video offers payload types ${m.formats.join(' ').slice(0, 60)} without PS (96)`);
  if (m.direction === 'sendonly' || m.direction === 'inactive') fail(GB_OFFER_UNSUPPORTED, `a=${m.direction}: the offerer does not receive`);
  const proto = m.protocol.toUpperCase();
  if (proto !== 'RTP/AVP' && proto !== 'TCP/RTP/AVP') fail(GB_OFFER_UNSUPPORTED, `m=video protocol ${m.protocol.slice(0, 32)}: only RTP/AVP and TCP/RTP/AVP`);
  const transport: GbTransport = proto === 'RTP/AVP' ? 'udp' : m.setup === 'active' ? 'tcp-active' : 'tcp-passive';

  const c = m.connection ?? sdp.connection;
  if (!c) fail('GB_OFFER_BAD_ADDRESS', 'the offer has no c= line');
  if (c.netType !== 'IN') fail('GB_OFFER_BAD_ADDRESS', `c= network type ${c.netType.slice(0, 16)} is not IN`);
  if (!isIpLiteral(c.address)) fail('GB_OFFER_BAD_ADDRESS', `c= address '${c.address.slice(0, 64)}' is not an IPv4 or IPv6 address`);
  if (/^(0\.0\.0\.0|::|0:0:0:0:0:0:0:0)$/.test(c.address)) fail('GB_OFFER_BAD_ADDRESS', `c= address ${c.address} names no host`);
  if (transport !== 'tcp-active' && m.port === 0) fail('GB_OFFER_BAD_PORT', `m=video port 0: nowhere to send ${transport === 'udp' ? 'RTP' : 'the TCP connection'} to`);

  const offer: GbOffer = { sessionName: name, transport, host: c.address, port: m.port, sdp, media: m };
  if (sdp.ssrc !== undefined) {
    if (!/^\d{1,10}$/.test(sdp.ssrc) || Number(sdp.ssrc) > MAX_OFFER_SSRC) fail('GB_OFFER_BAD_SSRC', `y=${sdp.ssrc.slice(0, 20)} is not a decimal 32-bit SSRC`);
    offer.ssrc = sdp.ssrc;
    offer.ssrcNumber = Number(sdp.ssrc);
  }
  if (sdp.uri !== undefined) offer.uri = sdp.uri;
  if (name !== 'Play') {
    const { start, stop } = sdp.timing;
    if (!(start > 0 && stop > start && stop <= MAX_OFFER_UNIX_S)) fail('GB_OFFER_BAD_RANGE', `t=${start} ${stop}: ${name} needs 0 < start < end <= ${MAX_OFFER_UNIX_S}`);
    offer.startTime = start;
    offer.endTime = stop;
  }
  if (name === 'Download') {
    const speedAttr = m.attributes.find((a) => a.name.toLowerCase() === 'downloadspeed');
    if (speedAttr && m.downloadSpeed === undefined) fail('GB_OFFER_BAD_SPEED', `a=downloadspeed:${(speedAttr.value ?? '').slice(0, 16)} is not a number`);
    const speed = m.downloadSpeed ?? 1;
    if (speed < 1 || speed > MAX_OFFER_DOWNLOAD_SPEED) fail('GB_OFFER_BAD_SPEED', `a=downloadspeed:${speed} is not in 1..${MAX_OFFER_DOWNLOAD_SPEED}`);
    offer.downloadSpeed = speed;
  }
  return offer;
}
