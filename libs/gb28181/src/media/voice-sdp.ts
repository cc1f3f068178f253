import { Gb28181Error } from '../errors';
import type { G711Law } from './g711.codec';
import { parseSdp, serializeSdp, type MediaDescription, type SessionDescription } from './sdp.codec';

/** What carries the voice: G.711 straight in RTP (PT 8 PCMA, 0 PCMU, RFC 3551) or G.711 in an MPEG-2 PS (PT 96). */
export type VoicePayload = 'PCMA' | 'PCMU' | 'PS';
/** Voice payload types by preference: raw G.711 first (what most cameras send and take), PS last. */
export const VOICE_PAYLOAD_TYPES: Readonly<Record<VoicePayload, number>> = { PCMA: 8, PCMU: 0, PS: 96 };

/** The audio side of a voice SDP (a device's offer for broadcast, its answer for talk). */
export interface VoiceMedia {
  sessionName: string;
  /** Where the peer receives (and, for sendrecv, sends from). */
  host: string;
  port: number;
  /** The peer's transport: udp; tcp-active = the peer connects to us; tcp-passive = it listens and we connect. */
  transport: 'udp' | 'tcp-active' | 'tcp-passive';
  payload: VoicePayload;
  payloadType: number;
  /** The G.711 law on the wire (PS: A-law unless the section maps PCMU too). */
  law: G711Law;
  /** y= SSRC, when given. */
  ssrc?: string;
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

function pickPayload(m: MediaDescription): { payload: VoicePayload; pt: number } | undefined {
  const named = (pt: number): string => (m.rtpmap[pt]?.encoding ?? '').toUpperCase();
  for (const want of ['PCMA', 'PCMU', 'PS'] as const) {
    const pt = m.formats.find((f) => named(f) === want || (m.rtpmap[f] === undefined && f === VOICE_PAYLOAD_TYPES[want]));
    if (pt !== undefined) return { payload: want, pt };
  }
  return undefined;
}

/**
 * The audio section of a voice SDP (GB/T 28181-2016 §9.12: the device's INVITE for broadcast, its 200 for talk):
 * the first m=audio with a G.711 or PS payload, the address (media c= before session c=), the transport and, for
 * TCP, who connects (RFC 4145 a=setup). Errors: VOICE_SDP_NO_AUDIO, VOICE_SDP_NO_CODEC, VOICE_SDP_BAD_ADDRESS (and
 * the SDP codec's own).
 */
export function readVoiceSdp(sdp: string | SessionDescription): VoiceMedia {
  const s = typeof sdp === 'string' ? parseSdp(sdp) : sdp;
  const m = s.media.find((x) => x.type === 'audio') ?? (s.sessionName === 'Talk' ? s.media[0] : undefined);
  if (!m) throw new Gb28181Error('VOICE_SDP_NO_AUDIO', 'the SDP has no m=audio section');
  const chosen = pickPayload(m);
  if (!chosen) throw new Gb28181Error('VOICE_SDP_NO_CODEC', `m=audio offers ${m.formats.join(' ') || 'nothing'}: none of PCMA (8), PCMU (0), PS (96)`);
  const host = (m.connection ?? s.connection)?.address ?? '';
  if (!/^[0-9a-fA-F.:]{2,45}$/.test(host) || host === '0.0.0.0') throw new Gb28181Error('VOICE_SDP_BAD_ADDRESS', `no usable c= address ('${host.slice(0, 45)}')`);
  if (!(m.port > 0 && m.port <= 65535)) throw new Gb28181Error('VOICE_SDP_BAD_ADDRESS', `m=audio port ${m.port} is not in 1..65535`);
  const tcp = /^TCP\//i.test(m.protocol);
  const transport = !tcp ? 'udp' : m.setup === 'passive' ? 'tcp-passive' : 'tcp-active';
  const law: G711Law = chosen.payload === 'PCMU' || (chosen.payload === 'PS' && pickPayload({ ...m, formats: m.formats.filter((f) => f !== chosen.pt) })?.payload === 'PCMU') ? 'ulaw' : 'alaw';
  return {
    sessionName: s.sessionName, host, port: m.port, transport, payload: chosen.payload, payloadType: chosen.pt, law,
    ...(s.ssrc !== undefined ? { ssrc: s.ssrc } : {}), direction: m.direction ?? 'sendrecv',
  };
}

export interface VoiceAnswerOptions {
  /** The peer's audio section, as readVoiceSdp read it. */
  peer: VoiceMedia;
  /** o= username: our ID. */
  localId: string;
  ip: string;
  port: number;
  ssrc?: string;
  /** Our direction: sendonly for broadcast (we only send), sendrecv for talk. */
  direction: 'sendonly' | 'sendrecv' | 'recvonly';
}

/**
 * Our answer to a voice SDP: the payload the peer chose, on its transport with the opposite TCP role (the peer
 * connects: we are passive; the peer listens: we are active), y= SSRC. s= is the peer's (Play for broadcast
 * invites from most cameras, Talk for talk).
 */
export function buildVoiceAnswer(o: VoiceAnswerOptions): string {
  if (!/^[\x21-\x7e]{1,64}$/.test(o.localId)) throw new Gb28181Error('SDP_BAD_FIELD', 'localId must be printable without spaces');
  if (!/^[0-9a-fA-F.:]{2,45}$/.test(o.ip)) throw new Gb28181Error('SDP_BAD_FIELD', `ip '${o.ip.slice(0, 45)}' is not an address`);
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Gb28181Error('SDP_BAD_FIELD', `port ${o.port} is not in 0..65535`);
  if (o.ssrc !== undefined && !/^\d{1,10}$/.test(o.ssrc)) throw new Gb28181Error('SDP_BAD_FIELD', `ssrc '${o.ssrc.slice(0, 12)}' is not 1..10 digits`);
  const p = o.peer;
  const c = { netType: 'IN', addrType: o.ip.includes(':') ? 'IP6' : 'IP4', address: o.ip };
  const tcp = p.transport !== 'udp';
  const encoding = p.payload === 'PS' ? { encoding: 'PS', clockRate: 90000 } : { encoding: p.payload, clockRate: 8000 };
  const m: MediaDescription = {
    type: 'audio', port: o.port, protocol: tcp ? 'TCP/RTP/AVP' : 'RTP/AVP', formats: [p.payloadType],
    attributes: [{ name: o.direction }, { name: 'rtpmap', value: `${p.payloadType} ${encoding.encoding}/${encoding.clockRate}` }],
    rtpmap: { [p.payloadType]: encoding }, direction: o.direction,
  };
  if (tcp) {
    m.setup = p.transport === 'tcp-active' ? 'passive' : 'active';
    m.connectionMode = 'new';
    m.attributes.push({ name: 'setup', value: m.setup }, { name: 'connection', value: 'new' });
  }
  const s: SessionDescription = {
    version: 0, origin: { username: o.localId, sessionId: '0', sessionVersion: '0', ...c }, sessionName: p.sessionName || 'Play',
    connection: c, timing: { start: 0, stop: 0 }, media: [m],
  };
  if (o.ssrc !== undefined) s.ssrc = o.ssrc;
  return serializeSdp(s);
}

export interface VoiceOfferOptions {
  sessionName: 'Talk' | 'Play';
  localId: string;
  ip: string;
  port: number;
  transport: 'udp' | 'tcp-active' | 'tcp-passive';
  /** Payloads offered, in preference order. */
  payloads: readonly VoicePayload[];
  ssrc?: string;
  direction: 'sendrecv' | 'sendonly' | 'recvonly';
}

/** A voice offer: the device's broadcast INVITE (simulator) or a talk INVITE with a chosen payload list. */
export function buildVoiceOffer(o: VoiceOfferOptions): string {
  if (!o.payloads.length) throw new Gb28181Error('SDP_BAD_FIELD', 'a voice offer needs at least one payload');
  const first = o.payloads[0]!;
  const sdp = buildVoiceAnswer({
    peer: { sessionName: o.sessionName, host: o.ip, port: o.port, transport: o.transport === 'tcp-active' ? 'tcp-passive' : o.transport === 'tcp-passive' ? 'tcp-active' : 'udp', payload: first, payloadType: VOICE_PAYLOAD_TYPES[first], law: 'alaw', direction: o.direction },
    localId: o.localId, ip: o.ip, port: o.port, direction: o.direction, ...(o.ssrc !== undefined ? { ssrc: o.ssrc } : {}),
  });
  const s = parseSdp(sdp);
  const m = s.media[0]!;
  m.formats = o.payloads.map((p) => VOICE_PAYLOAD_TYPES[p]);
  m.attributes = m.attributes.filter((a) => a.name !== 'rtpmap');
  for (const p of o.payloads) m.attributes.push({ name: 'rtpmap', value: `${VOICE_PAYLOAD_TYPES[p]} ${p}/${p === 'PS' ? 90000 : 8000}` });
  return serializeSdp(s);
}
