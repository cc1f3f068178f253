import type { FlvSink } from '../media/flv-fanout';

/**
 * The stream's current GOP as H.264 access units (Annex B), read from its FLV fan-out: a WebRTC feed that starts when
 * its first viewer arrives has not seen the keyframe yet, but the FLV fan-out keeps the sequence header and the frames
 * from the latest keyframe for its own late joiners (FlvFanout.subscribe writes them at once). Pure parsing of those
 * tags (Adobe FLV spec v10 §E.4.3):
 *
 *   tag: type(1)=9 size(3) ts(3) tsExt(1) streamId(3) | frameType<<4|codecId(1)=7 avcPacketType(1) cts(3) body | prevSize(4)
 *   avcPacketType 0: AVCDecoderConfigurationRecord (ISO 14496-15 §5.2.4.1): ... lengthSizeMinusOne numSps [len(2) sps]… numPps [len(2) pps]…
 *   avcPacketType 1: NAL units, each with a (lengthSizeMinusOne+1)-byte big-endian length
 *
 * The keyframe gets the record's SPS and PPS in front. Tags that are not H.264 video are skipped; a malformed one ends
 * the reading (what came before it is kept only if it starts at a keyframe).
 */
export interface FlvGopFrame {
  data: Buffer;
  keyframe: boolean;
  /** 90 kHz, from the tag's timestamp + composition time (another clock than the camera's: only the order counts). */
  pts: number;
}

const START = Buffer.from([0, 0, 0, 1]);

export function flvGopFrames(tags: Buffer[]): FlvGopFrame[] {
  let lengthSize = 4;
  let params: Buffer[] = [];
  const out: FlvGopFrame[] = [];
  for (const tag of tags) {
    if (tag.length < 16 || (tag[0]! & 0x1f) !== 9 || (tag[11]! & 0x0f) !== 7) continue;
    const size = tag.readUIntBE(1, 3);
    const body = tag.subarray(11, Math.min(tag.length, 11 + size));
    if (body.length < 5) break;
    if (body[1] === 0) {
      const r = configRecord(body.subarray(5));
      if (!r) break;
      ({ lengthSize, params } = r);
      continue;
    }
    if (body[1] !== 1) continue;
    const nals = lengthPrefixed(body.subarray(5), lengthSize);
    if (!nals) break;
    const keyframe = body[0]! >> 4 === 1;
    if (!out.length && !keyframe) continue;
    const ms = tag.readUIntBE(4, 3) | (tag[7]! << 24);
    const cts = (body.readUIntBE(2, 3) << 8) >> 8; // signed 24-bit
    const units = keyframe ? [...params, ...nals] : nals;
    out.push({ data: Buffer.concat(units.flatMap((n) => [START, n])), keyframe, pts: (ms + cts) * 90 });
  }
  return out;
}

function configRecord(b: Buffer): { lengthSize: number; params: Buffer[] } | null {
  if (b.length < 7) return null;
  const lengthSize = (b[4]! & 3) + 1;
  const params: Buffer[] = [];
  let off = 5;
  for (const mask of [0x1f, 0xff]) {
    if (off >= b.length) return null;
    const n = b[off]! & mask;
    off++;
    for (let i = 0; i < n; i++) {
      if (off + 2 > b.length) return null;
      const len = b.readUInt16BE(off);
      if (off + 2 + len > b.length) return null;
      params.push(b.subarray(off + 2, off + 2 + len));
      off += 2 + len;
    }
  }
  return { lengthSize, params };
}

function lengthPrefixed(b: Buffer, lengthSize: number): Buffer[] | null {
  const out: Buffer[] = [];
  let off = 0;
  while (off < b.length) {
    if (off + lengthSize > b.length) return null;
    const len = b.readUIntBE(off, lengthSize);
    off += lengthSize;
    if (off + len > b.length) return null;
    out.push(b.subarray(off, off + len));
    off += len;
  }
  return out;
}

/** What the fan-out writes to a new subscriber at once (header, configs, current GOP), taken without staying subscribed. */
export function flvSnapshot(fanout: { subscribe(sink: FlvSink): () => void }): Buffer[] {
  const tags: Buffer[] = [];
  const off = fanout.subscribe({ write: (b) => void tags.push(b), backlog: 0, close: () => undefined });
  off();
  return tags;
}
