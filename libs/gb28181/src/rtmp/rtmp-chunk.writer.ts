import { RTMP_DEFAULT_CHUNK_SIZE } from './rtmp-chunk.reader';

/**
 * Cuts a message into chunks (RTMP 1.0 §5.3): a type 0 header on the first chunk, type 3 on the rest. Timestamps
 * above 0xFFFFFF go into the extended field (repeated on each type 3 chunk, as ffmpeg and librtmp read it).
 */
export function writeRtmpChunks(m: { csid: number; type: number; streamId: number; timestamp: number; payload: Buffer }, chunkSize = RTMP_DEFAULT_CHUNK_SIZE): Buffer {
  const ext = m.timestamp >= 0xffffff;
  const basic = (fmt: number): Buffer => {
    if (m.csid < 64) return Buffer.from([(fmt << 6) | m.csid]);
    if (m.csid < 320) return Buffer.from([fmt << 6, m.csid - 64]);
    return Buffer.from([(fmt << 6) | 1, (m.csid - 64) & 0xff, (m.csid - 64) >> 8]);
  };
  const extBytes = (): Buffer => {
    const e = Buffer.alloc(4);
    e.writeUInt32BE(m.timestamp >>> 0, 0);
    return e;
  };
  const h = Buffer.alloc(11);
  h.writeUIntBE(ext ? 0xffffff : m.timestamp, 0, 3);
  h.writeUIntBE(m.payload.length, 3, 3);
  h[6] = m.type;
  h.writeUInt32LE(m.streamId, 7);
  const parts: Buffer[] = [basic(0), h];
  if (ext) parts.push(extBytes());
  for (let off = 0; off < m.payload.length || off === 0; off += chunkSize) {
    if (off > 0) {
      parts.push(basic(3));
      if (ext) parts.push(extBytes());
    }
    parts.push(m.payload.subarray(off, off + chunkSize));
    if (m.payload.length === 0) break;
  }
  return Buffer.concat(parts);
}
