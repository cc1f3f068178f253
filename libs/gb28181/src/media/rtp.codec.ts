import { Gb28181Error } from '../errors';

/** RFC 3550 §5.1 fixed header length. */
export const RTP_HEADER_BYTES = 12;
/** Largest RTP packet accepted: the RFC 4571 length field is 16 bits, and a UDP datagram is smaller. */
export const MAX_RTP_PACKET_BYTES = 65535;

export interface RtpPacket {
  version: number;
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc: number[];
  extensionProfile?: number;
  /** Header extension body (without the 4-byte profile/length word). */
  extensionData?: Buffer;
  /** Number of padding bytes that followed the payload (0 when `padding` is false). */
  paddingLength?: number;
  /** A subarray of the parsed buffer, no copy. */
  payload: Buffer;
}

/** What `serializeRtpPacket` needs; an `RtpPacket` from `parseRtpPacket` fits. */
export interface RtpPacketInit {
  marker?: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrc?: number[];
  extensionProfile?: number;
  /** Must be a multiple of 4 bytes. */
  extensionData?: Buffer;
  /** 1..255 padding bytes appended (RFC 3550 §5.1 P bit); 0 or absent for none. */
  paddingLength?: number;
  payload: Buffer;
}

/** The `csrc` of every parsed packet without CSRCs (shared, frozen). */
const NO_CSRC = Object.freeze([]) as unknown as number[];
const EMPTY_PAYLOAD = Buffer.alloc(0);

/**
 * Parses one RTP packet (RFC 3550 §5.1). The payload is a subarray of `buf`.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                           timestamp                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           synchronization source (SSRC) identifier            |
 * +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 * |            contributing source (CSRC) identifiers             |
 * |                             ....                              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   defined by profile (X=1)    |  length (32-bit words)        |  §5.3.1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   header extension ... / payload ...          |
 * |                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                               | padding (P=1) | padding count |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 */
export function parseRtpPacket(buf: Buffer): RtpPacket {
  return parseRtpPacketInto(buf, {
    version: 2, padding: false, extension: false, csrcCount: 0, marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0,
    csrc: NO_CSRC, paddingLength: 0, payload: EMPTY_PAYLOAD,
  });
}

/**
 * parseRtpPacket() into the caller's object (a receiver reuses one for every packet: no object per packet); returns it.
 * Every field is overwritten; `extensionProfile`/`extensionData` are set to undefined when the packet has no extension
 * and the object had them. On a throw the object is left half-written.
 */
export function parseRtpPacketInto(buf: Buffer, out: RtpPacket): RtpPacket {
  if (buf.length > MAX_RTP_PACKET_BYTES) {
    throw new Gb28181Error('RTP_TOO_LARGE', `RTP packet of ${buf.length} bytes exceeds ${MAX_RTP_PACKET_BYTES}`);
  }
  if (buf.length < RTP_HEADER_BYTES) {
    throw new Gb28181Error('RTP_TOO_SHORT', `RTP packet of ${buf.length} bytes is shorter than the 12-byte header`);
  }
  const b0 = buf[0];
  const b1 = buf[1];
  const version = b0 >> 6;
  if (version !== 2) throw new Gb28181Error('RTP_BAD_VERSION', `RTP version ${version}, expected 2`);
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_BYTES + csrcCount * 4;
  if (buf.length < offset) {
    throw new Gb28181Error('RTP_TOO_SHORT', `RTP header with ${csrcCount} CSRCs needs ${offset} bytes, got ${buf.length}`);
  }
  // Almost every packet has no CSRC: they share one frozen empty list (no array per packet).
  let csrc = NO_CSRC;
  if (csrcCount > 0) {
    csrc = [];
    for (let i = 0; i < csrcCount; i++) csrc.push(buf.readUInt32BE(RTP_HEADER_BYTES + i * 4));
  }

  let extensionProfile: number | undefined;
  let extensionData: Buffer | undefined;
  if (extension) {
    if (buf.length < offset + 4) {
      throw new Gb28181Error('RTP_BAD_EXTENSION', 'RTP header extension truncated before its length word');
    }
    extensionProfile = buf.readUInt16BE(offset);
    const extBytes = buf.readUInt16BE(offset + 2) * 4;
    if (buf.length < offset + 4 + extBytes) {
      throw new Gb28181Error('RTP_BAD_EXTENSION', `RTP header extension of ${extBytes} bytes overruns the packet`);
    }
    extensionData = buf.subarray(offset + 4, offset + 4 + extBytes);
    offset += 4 + extBytes;
  }

  let end = buf.length;
  let paddingLength = 0;
  if (padding) {
    paddingLength = buf[buf.length - 1];
    if (paddingLength === 0 || offset + paddingLength > buf.length) {
      throw new Gb28181Error('RTP_BAD_PADDING', `RTP padding count ${paddingLength} is invalid for ${buf.length - offset} bytes after the header`);
    }
    end -= paddingLength;
  }

  out.version = version;
  out.padding = padding;
  out.extension = extension;
  out.csrcCount = csrcCount;
  out.marker = (b1 & 0x80) !== 0;
  out.payloadType = b1 & 0x7f;
  out.sequenceNumber = (buf[2] << 8) | buf[3];
  out.timestamp = buf.readUInt32BE(4);
  out.ssrc = buf.readUInt32BE(8);
  out.csrc = csrc;
  out.paddingLength = paddingLength;
  out.payload = buf.subarray(offset, end);
  if (extension) {
    out.extensionProfile = extensionProfile;
    out.extensionData = extensionData;
  } else if (out.extensionData !== undefined) {
    out.extensionProfile = undefined;
    out.extensionData = undefined;
  }
  return out;
}

function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new Gb28181Error('RTP_BAD_FIELD', `RTP ${name} ${v} is not an integer in 0..${max}`);
  }
}

/** Writes an RTP packet (RFC 3550 §5.1); the X bit is set when `extensionData` is given, P when `paddingLength` > 0. */
export function serializeRtpPacket(p: RtpPacketInit): Buffer {
  const csrc = p.csrc ?? [];
  if (csrc.length > 15) throw new Gb28181Error('RTP_BAD_FIELD', `RTP CSRC count ${csrc.length} exceeds 15`);
  checkUint('payload type', p.payloadType, 0x7f);
  checkUint('sequence number', p.sequenceNumber, 0xffff);
  checkUint('timestamp', p.timestamp, 0xffffffff);
  checkUint('SSRC', p.ssrc, 0xffffffff);
  const pad = p.paddingLength ?? 0;
  checkUint('padding length', pad, 0xff);
  const ext = p.extensionData;
  if (ext && (ext.length % 4 !== 0 || ext.length / 4 > 0xffff)) {
    throw new Gb28181Error('RTP_BAD_EXTENSION', `RTP header extension of ${ext.length} bytes is not a multiple of 4 below 256 KiB`);
  }
  const headerBytes = RTP_HEADER_BYTES + csrc.length * 4 + (ext ? 4 + ext.length : 0);
  const total = headerBytes + p.payload.length + pad;
  if (total > MAX_RTP_PACKET_BYTES) {
    throw new Gb28181Error('RTP_TOO_LARGE', `RTP packet of ${total} bytes exceeds ${MAX_RTP_PACKET_BYTES}`);
  }
  const out = Buffer.allocUnsafe(total);
  out[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrc.length;
  out[1] = (p.marker ? 0x80 : 0) | p.payloadType;
  out.writeUInt16BE(p.sequenceNumber, 2);
  out.writeUInt32BE(p.timestamp, 4);
  out.writeUInt32BE(p.ssrc, 8);
  let o = RTP_HEADER_BYTES;
  for (const c of csrc) {
    checkUint('CSRC', c, 0xffffffff);
    out.writeUInt32BE(c, o);
    o += 4;
  }
  if (ext) {
    checkUint('extension profile', p.extensionProfile ?? 0, 0xffff);
    out.writeUInt16BE(p.extensionProfile ?? 0, o);
    out.writeUInt16BE(ext.length / 4, o + 2);
    ext.copy(out, o + 4);
    o += 4 + ext.length;
  }
  p.payload.copy(out, o);
  o += p.payload.length;
  if (pad > 0) {
    out.fill(0, o, o + pad - 1);
    out[o + pad - 1] = pad;
  }
  return out;
}
