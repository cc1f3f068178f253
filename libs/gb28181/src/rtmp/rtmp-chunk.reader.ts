import { Gb28181Error } from '../errors';

/** Largest chunk size a peer may set (Set Chunk Size, RTMP 1.0 §5.4.1 allows up to 2^31 - 1). */
export const MAX_RTMP_CHUNK_SIZE = 65_536;
/** Largest message a peer may send (a video message is one FLV video tag body: a 4K keyframe fits). */
export const MAX_RTMP_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Most chunk streams with a message in progress or a remembered header at once. */
export const MAX_RTMP_CHUNK_STREAMS = 16;
/** RTMP 1.0 §5.4.1: the chunk size until the peer sets another. */
export const RTMP_DEFAULT_CHUNK_SIZE = 128;

/** A whole RTMP message out of the chunk stream (RTMP 1.0 §6.1). */
export interface RtmpMessage {
  /** Message type ID: 1 Set Chunk Size, 2 Abort, 3 Ack, 4 User Control, 5 Window Ack Size, 6 Set Peer Bandwidth, 8 audio, 9 video, 18 AMF0 data, 20 AMF0 command, 15/17 AMF3 data/command. */
  type: number;
  /** Message stream ID (0: the NetConnection). */
  streamId: number;
  /** Milliseconds (32 bits, wraps). */
  timestamp: number;
  csid: number;
  payload: Buffer;
}

interface ChunkStreamState {
  /** The last header's fields, inherited by fmt 1..3 chunks. */
  timestamp: number;
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** The last header had an extended timestamp: fmt 3 chunks of it carry the 4 bytes again. */
  extended: boolean;
  /** The message being assembled, and how much of it arrived. */
  parts: Buffer[];
  got: number;
  started: boolean;
}

/**
 * The chunk stream of RTMP 1.0 §5.3, server side: bytes in (any cut), whole messages out. Keeps one header per
 * chunk stream ID (fmt 0: full header; 1: no stream ID; 2: timestamp delta only; 3: nothing), the extended timestamp
 * (0xFFFFFF in the 3-byte field, RTMP 1.0 §5.3.1.3), and applies Set Chunk Size and Abort itself.
 *
 * ```
 * basic header   fmt(2) csid(6)  [csid 0: +1 byte, +64; csid 1: +2 bytes little-endian, +64]
 * fmt 0 (11 B)   timestamp(24) | length(24) | type(8) | stream ID(32, little-endian)
 * fmt 1 (7 B)    delta(24) | length(24) | type(8)
 * fmt 2 (3 B)    delta(24)
 * [extended timestamp (32)]  then payload: min(chunk size, what the message still lacks)
 * ```
 * Bounds: MAX_RTMP_CHUNK_SIZE, MAX_RTMP_MESSAGE_BYTES, MAX_RTMP_CHUNK_STREAMS; crossing one throws Gb28181Error
 * (RTMP_CHUNK_SIZE_TOO_LARGE, RTMP_MESSAGE_TOO_LARGE, RTMP_TOO_MANY_CHUNK_STREAMS, RTMP_BAD_CHUNK): drop the peer.
 * Buffered input never exceeds one chunk (header + chunk size).
 */
export class RtmpChunkReader {
  chunkSize = RTMP_DEFAULT_CHUNK_SIZE;
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, ChunkStreamState>();

  /** Feeds bytes; returns the messages they completed (protocol control 1 and 2 are applied and returned too). */
  push(data: Buffer): RtmpMessage[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: RtmpMessage[] = [];
    for (;;) {
      const used = this.readChunk(out);
      if (used === 0) break;
      this.buf = this.buf.subarray(used);
    }
    if (this.buf.length) this.buf = Buffer.from(this.buf); // do not pin the caller's larger buffer
    return out;
  }

  /** Bytes held waiting for the rest of a chunk. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Reads one chunk at the start of buf; 0 when it is not all there yet. */
  private readChunk(out: RtmpMessage[]): number {
    const b = this.buf;
    if (b.length < 1) return 0;
    const fmt = b[0]! >> 6;
    let csid = b[0]! & 0x3f;
    let p = 1;
    if (csid === 0) {
      if (b.length < 2) return 0;
      csid = b[1]! + 64;
      p = 2;
    } else if (csid === 1) {
      if (b.length < 3) return 0;
      csid = b[1]! + b[2]! * 256 + 64;
      p = 3;
    }
    const hlen = [11, 7, 3, 0][fmt]!;
    if (b.length < p + hlen) return 0;
    let st = this.streams.get(csid);
    if (!st) {
      if (fmt !== 0) throw new Gb28181Error('RTMP_BAD_CHUNK', `chunk stream ${csid} starts with a type ${fmt} header (needs type 0)`);
      if (this.streams.size >= MAX_RTMP_CHUNK_STREAMS) throw new Gb28181Error('RTMP_TOO_MANY_CHUNK_STREAMS', `more than ${MAX_RTMP_CHUNK_STREAMS} chunk streams`);
      st = { timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, parts: [], got: 0, started: false };
    }
    // Parse into locals first: a chunk that is not all there yet must leave the state untouched.
    let { timestamp, delta, length, type, streamId, extended } = st;
    let ts3 = 0;
    if (fmt <= 2) ts3 = b.readUIntBE(p, 3);
    if (fmt <= 1) {
      length = b.readUIntBE(p + 3, 3);
      type = b[p + 6]!;
    }
    if (fmt === 0) streamId = b.readUInt32LE(p + 7);
    p += hlen;
    if (fmt <= 2) extended = ts3 === 0xffffff;
    let tsField = ts3;
    if (extended) {
      if (b.length < p + 4) return 0;
      tsField = b.readUInt32BE(p);
      p += 4;
    }
    const newMessage = !st.started || st.got === 0;
    if (newMessage) {
      if (fmt === 0) timestamp = tsField;
      else if (fmt === 1 || fmt === 2) {
        delta = tsField;
        timestamp = (timestamp + delta) >>> 0;
      } else timestamp = (timestamp + delta) >>> 0; // fmt 3 starting a message: the previous delta again (§5.3.1.2.4)
      if (fmt === 0) delta = 0;
      if (length > MAX_RTMP_MESSAGE_BYTES) throw new Gb28181Error('RTMP_MESSAGE_TOO_LARGE', `a ${length}-byte message on chunk stream ${csid} (max ${MAX_RTMP_MESSAGE_BYTES})`);
    } else if (fmt !== 3) {
      throw new Gb28181Error('RTMP_BAD_CHUNK', `chunk stream ${csid}: a type ${fmt} header in the middle of a message`);
    }
    const want = Math.min(this.chunkSize, length - st.got);
    if (b.length < p + want) return 0;
    // The chunk is complete: commit.
    if (!this.streams.has(csid)) this.streams.set(csid, st);
    Object.assign(st, { timestamp, delta, length, type, streamId, extended, started: true });
    if (want > 0) st.parts.push(b.subarray(p, p + want));
    st.got += want;
    if (st.got >= length) {
      const payload = st.parts.length === 1 ? Buffer.from(st.parts[0]!) : Buffer.concat(st.parts, length);
      st.parts = [];
      st.got = 0;
      const msg: RtmpMessage = { type, streamId, timestamp, csid, payload };
      this.control(msg);
      out.push(msg);
    }
    return p + want;
  }

  /** Set Chunk Size (1) and Abort (2) act on the chunk layer (RTMP 1.0 §5.4.1, §5.4.2). */
  private control(m: RtmpMessage): void {
    if (m.type === 1) {
      if (m.payload.length < 4) throw new Gb28181Error('RTMP_BAD_CHUNK', 'Set Chunk Size shorter than 4 bytes');
      const size = m.payload.readUInt32BE(0) & 0x7fffffff;
      if (size < 1) throw new Gb28181Error('RTMP_BAD_CHUNK', 'Set Chunk Size 0');
      if (size > MAX_RTMP_CHUNK_SIZE) throw new Gb28181Error('RTMP_CHUNK_SIZE_TOO_LARGE', `Set Chunk Size ${size} (max ${MAX_RTMP_CHUNK_SIZE})`);
      this.chunkSize = size;
    } else if (m.type === 2 && m.payload.length >= 4) {
      const st = this.streams.get(m.payload.readUInt32BE(0));
      if (st) {
        st.parts = [];
        st.got = 0;
      }
    }
  }
}
