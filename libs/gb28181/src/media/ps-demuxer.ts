import { Gb28181Error } from '../errors';
import { AnnexBAuSplitter, type SplitAccessUnit } from './annexb-au.splitter';
import { findResolution, guessVideoCodec } from './nal';
import { codecOfStreamType, isAudioStreamId, isVideoStreamId, PS_START, readPesTimestamp, type PsCodec } from './ps-stream-types';

/** Default bound on one access unit (bytes); crossing it throws PS_PES_TOO_LARGE. */
export const PS_DEFAULT_MAX_PES_BYTES = 8 * 1024 * 1024;
/** Default bound on bytes held between pushes; crossing it throws PS_BUFFER_OVERFLOW. */
export const PS_DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** A PSM longer than this is treated as malformed and skipped (real ones are < 100 bytes). */
export const PS_MAX_PSM_BYTES = 4096;

export interface PsAccessUnit {
  kind: 'video' | 'audio';
  codec: PsCodec;
  streamId: number;
  /** 90 kHz, 33 bits. Absent when no PES timestamp applied to this unit. */
  pts?: number;
  dts?: number;
  keyframe: boolean;
  /** For video: Annex B elementary stream (with start codes). Owned by the caller (a copy). */
  data: Buffer;
}

export interface PsStreamInfo {
  streamId: number;
  kind: 'video' | 'audio';
  codec: PsCodec;
  /** PSM stream_type, when a PSM declared the stream. */
  streamType?: number;
  /** Where `codec` came from. */
  source: 'psm' | 'guess';
  width?: number;
  height?: number;
}

export interface PsDemuxerStats {
  bytesIn: number;
  packs: number;
  systemHeaders: number;
  psms: number;
  psmChanges: number;
  pesPackets: number;
  videoUnits: number;
  audioUnits: number;
  /** Bytes skipped while looking for a start code. */
  garbageBytes: number;
  resyncs: number;
  /** Headers that did not parse (skipped). */
  malformed: number;
  lossEvents: number;
  /** Video units dropped while waiting for a keyframe, partial units dropped at a loss. */
  droppedUnits: number;
  /** Elementary-stream bytes that belonged to no complete unit. */
  orphanBytes: number;
}

export interface PsDemuxerOptions {
  maxPesBytes?: number;
  maxBufferedBytes?: number;
}

export interface PsPushMeta {
  /** A gap (lost RTP packets) preceded this payload. */
  lost?: boolean;
  /** RTP marker bit: this payload ends a video frame, so the pending unit can be emitted now. */
  marker?: boolean;
}

type Mode = 'sync' | 'body' | 'unbounded' | 'skip';
interface Pes {
  streamId: number;
  pts?: number;
  dts?: number;
  chunks: Buffer[];
  bytes: number;
}
interface Group {
  pts?: number;
  dts?: number;
  chunks: Buffer[];
  bytes: number;
}

const EMPTY = Buffer.alloc(0);
const START3 = Buffer.from([0, 0, 1]);

/**
 * MPEG-2 program stream demuxer (ISO/IEC 13818-1 §2.5; GB/T 28181-2016 Annex C), fed RTP payloads.
 *
 * Pack header:  00 00 01 BA | 01 SCR(33) SCR_ext(9) markers | mux_rate(22) 11 | rsvd(5) stuffing_len(3) | stuffing
 * System header: 00 00 01 BB | header_length(16) | ...               (skipped)
 * PSM:          00 00 01 BC | length(16) | cur_next ver | ... | es_map_length(16) | {type id es_info_len info}* | CRC32
 * PES:          00 00 01 Cx/Ex | PES_packet_length(16) | 10 flags | PTS_DTS_flags.. | header_data_length | PTS [DTS] | payload
 *
 * H.264/H.265 units are cut on NAL boundaries (so PES that split or share frames both work); other
 * video codecs give one unit per run of PES with the same PTS; audio gives one unit per PES.
 * Video is emitted from the first keyframe on, and again from the next keyframe after `lost`.
 * Malformed input is counted in `stats` and skipped; only bound violations throw.
 * Pushed buffers are referenced (not copied) until the units holding them are emitted.
 */
export class PsDemuxer {
  readonly stats: PsDemuxerStats = {
    bytesIn: 0, packs: 0, systemHeaders: 0, psms: 0, psmChanges: 0, pesPackets: 0, videoUnits: 0, audioUnits: 0,
    garbageBytes: 0, resyncs: 0, malformed: 0, lossEvents: 0, droppedUnits: 0, orphanBytes: 0,
  };
  private readonly maxPesBytes: number;
  private readonly maxBufferedBytes: number;
  private head: Buffer = EMPTY;
  private mode: Mode = 'sync';
  private remaining = 0;
  private pes?: Pes;
  private psm = new Map<number, number>();
  private readonly info = new Map<number, PsStreamInfo>();
  private readonly splitters = new Map<number, AnnexBAuSplitter>();
  private readonly groups = new Map<number, Group>();
  private waitKeyframe = true;

  constructor(opts: PsDemuxerOptions = {}) {
    this.maxPesBytes = opts.maxPesBytes ?? PS_DEFAULT_MAX_PES_BYTES;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? PS_DEFAULT_MAX_BUFFERED_BYTES;
  }

  get streams(): PsStreamInfo[] {
    return [...this.info.values()].sort((a, b) => a.streamId - b.streamId).map((s) => ({ ...s }));
  }

  /** Units completed by this payload, appended to `out` (a caller may pass one array it empties and reuses). */
  push(payload: Buffer, meta: PsPushMeta = {}, out: PsAccessUnit[] = []): PsAccessUnit[] {
    this.stats.bytesIn += payload.length;
    if (meta.lost) this.onLoss();
    let data = this.head.length > 0 ? Buffer.concat([this.head, payload]) : payload;
    this.head = EMPTY;
    let off = 0;
    while (off < data.length) {
      if (this.mode === 'body' || this.mode === 'skip') {
        const n = Math.min(this.remaining, data.length - off);
        if (this.mode === 'body') this.appendPes(data.subarray(off, off + n));
        off += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          if (this.mode === 'body') this.finishPes(out);
          this.mode = 'sync';
        }
      } else if (this.mode === 'unbounded') {
        const j = findSystemStart(data, off);
        if (j < 0 || j + 3 >= data.length) {
          const keep = j < 0 ? Math.min(3, data.length - off) : data.length - j;
          this.appendPes(data.subarray(off, data.length - keep));
          this.head = data.subarray(data.length - keep);
          break;
        }
        this.appendPes(data.subarray(off, j));
        this.finishPes(out);
        this.mode = 'sync';
        off = j;
      } else {
        const next = this.parseUnit(data, off, out);
        if (next < 0) {
          this.head = data.subarray(off);
          break;
        }
        off = next;
      }
    }
    data = EMPTY;
    if (meta.marker) this.onMarker(out);
    if (this.head.length > this.maxBufferedBytes) {
      const n = this.head.length;
      this.resetParser();
      throw new Gb28181Error('PS_BUFFER_OVERFLOW', `${n} buffered PS bytes exceed ${this.maxBufferedBytes}`);
    }
    return out;
  }

  /** End of stream: emits what is complete, drops partial PES. */
  flush(): PsAccessUnit[] {
    const out: PsAccessUnit[] = [];
    if (this.mode === 'unbounded') {
      this.appendPes(this.head);
      this.finishPes(out);
    } else if (this.pes) this.stats.droppedUnits++;
    this.resetParser();
    this.endVideoUnits(out);
    return out;
  }

  private onMarker(out: PsAccessUnit[]): void {
    if (this.mode === 'unbounded') {
      this.appendPes(this.head);
      this.head = EMPTY;
      this.finishPes(out);
      this.mode = 'sync';
    }
    if (this.mode === 'sync' && this.head.length === 0) this.endVideoUnits(out);
  }

  private endVideoUnits(out: PsAccessUnit[]): void {
    for (const [id, s] of this.splitters) {
      const units: SplitAccessUnit[] = [];
      s.endOfUnit(units);
      this.emitVideo(id, s.codec, units, out);
    }
    for (const id of [...this.groups.keys()]) this.emitGroup(id, out);
  }

  private onLoss(): void {
    this.stats.lossEvents++;
    if (this.pes || this.head.length > 0 || this.mode !== 'sync') this.stats.droppedUnits++;
    this.resetParser();
    for (const s of this.splitters.values()) {
      if (s.bufferedBytes > 0) this.stats.droppedUnits++;
      s.reset();
    }
    this.stats.droppedUnits += this.groups.size;
    this.groups.clear();
    this.waitKeyframe = true;
  }

  private resetParser(): void {
    this.head = EMPTY;
    this.mode = 'sync';
    this.remaining = 0;
    this.pes = undefined;
  }

  /** Parses one unit at `off` (sync mode). Returns the next offset, or -1 when more bytes are needed. */
  private parseUnit(d: Buffer, off: number, out: PsAccessUnit[]): number {
    const avail = d.length - off;
    if (avail < 4) return isStartPrefix(d, off) ? -1 : this.resync(d, off);
    if (d[off] !== 0 || d[off + 1] !== 0 || d[off + 2] !== 1 || d[off + 3] < PS_START.END) return this.resync(d, off);
    const id = d[off + 3];
    if (id === PS_START.END) return off + 4;
    if (id === PS_START.PACK) {
      if (avail < 5) return -1;
      let len: number;
      if ((d[off + 4] & 0xc0) === 0x40) {
        if (avail < 14) return -1;
        len = 14 + (d[off + 13] & 7); // MPEG-2 pack header (§2.5.3.3)
      } else if ((d[off + 4] & 0xf0) === 0x20) len = 12; // MPEG-1 pack header (ISO/IEC 11172-1)
      else {
        this.stats.malformed++;
        return this.resync(d, off + 4);
      }
      if (avail < len) return -1;
      this.stats.packs++;
      return off + len;
    }
    if (avail < 6) return -1;
    const len = d.readUInt16BE(off + 4);
    if (id === PS_START.PSM) {
      if (len > PS_MAX_PSM_BYTES) {
        this.stats.malformed++;
        return this.skip(off + 6, len);
      }
      if (avail < 6 + len) return -1;
      this.parsePsm(d.subarray(off, off + 6 + len));
      return off + 6 + len;
    }
    if (isVideoStreamId(id) || isAudioStreamId(id)) return this.parsePesHeader(d, off, id, len, out);
    if (id === PS_START.SYSTEM_HEADER) this.stats.systemHeaders++;
    return this.skip(off + 6, len); // system header, padding, private streams, others
  }

  private skip(from: number, n: number): number {
    if (n > 0) {
      this.mode = 'skip';
      this.remaining = n;
    }
    return from;
  }

  private resync(d: Buffer, from: number): number {
    const j = findSystemStart(d, from + 1);
    this.stats.resyncs++;
    if (j < 0) {
      const keep = Math.min(2, d.length - from);
      this.stats.garbageBytes += d.length - from - keep;
      const tail = d.subarray(d.length - keep);
      // Keep a possible start-code prefix only; one ending in a non-zero byte cannot start one.
      this.head = tail.length > 0 && tail[tail.length - 1] === 0 ? Buffer.from(tail) : EMPTY;
      if (this.head.length === 0) this.stats.garbageBytes += keep;
      return d.length;
    }
    this.stats.garbageBytes += j - from;
    return j;
  }

  private parsePesHeader(d: Buffer, off: number, id: number, len: number, out: PsAccessUnit[]): number {
    const avail = d.length - off;
    let pts: number | undefined;
    let dts: number | undefined;
    let hdrEnd: number;
    if (avail < 7) return -1;
    if ((d[off + 6] & 0xc0) === 0x80) {
      // MPEG-2 PES header (§2.4.3.6)
      if (avail < 9) return -1;
      const hdrLen = d[off + 8];
      if (avail < 9 + hdrLen) return -1;
      const flags = d[off + 7] >> 6;
      if (flags >= 2 && hdrLen >= 5) pts = readPesTimestamp(d, off + 9);
      if (flags === 3 && hdrLen >= 10) dts = readPesTimestamp(d, off + 14);
      hdrEnd = off + 9 + hdrLen;
    } else {
      // MPEG-1 packet header (ISO/IEC 11172-1 §2.4.3.3): stuffing, STD buffer, PTS/DTS.
      let p = off + 6;
      const limit = Math.min(d.length, off + 6 + 16);
      while (p < limit && d[p] === 0xff) p++;
      if (p >= d.length) return -1;
      if ((d[p] & 0xc0) === 0x40) p += 2;
      if (p >= d.length) return -1;
      const b = d[p];
      if ((b & 0xf0) === 0x20) {
        if (p + 5 > d.length) return -1;
        pts = readPesTimestamp(d, p);
        p += 5;
      } else if ((b & 0xf0) === 0x30) {
        if (p + 10 > d.length) return -1;
        pts = readPesTimestamp(d, p);
        dts = readPesTimestamp(d, p + 5);
        p += 10;
      } else if (b === 0x0f) p += 1;
      else {
        this.stats.malformed++;
        return this.skip(off + 6, len);
      }
      hdrEnd = p;
    }
    const headerAfterLength = hdrEnd - (off + 6);
    if (len !== 0 && len < headerAfterLength) {
      this.stats.malformed++;
      return this.skip(off + 6, len);
    }
    this.stats.pesPackets++;
    this.pes = { streamId: id, pts, dts, chunks: [], bytes: 0 };
    if (len === 0) this.mode = 'unbounded';
    else {
      this.remaining = len - headerAfterLength;
      this.mode = 'body';
      if (this.remaining === 0) {
        this.finishPes(out);
        this.mode = 'sync';
      }
    }
    return hdrEnd;
  }

  private appendPes(chunk: Buffer): void {
    const pes = this.pes;
    if (!pes || chunk.length === 0) return;
    pes.chunks.push(chunk);
    pes.bytes += chunk.length;
    if (pes.bytes > this.maxPesBytes) {
      this.resetParser();
      throw new Gb28181Error('PS_PES_TOO_LARGE', `PES of more than ${pes.bytes} bytes exceeds ${this.maxPesBytes}`);
    }
  }

  private finishPes(out: PsAccessUnit[]): void {
    const pes = this.pes;
    this.pes = undefined;
    if (!pes) return;
    const id = pes.streamId;
    if (isVideoStreamId(id)) this.videoPes(id, pes, out);
    else this.audioPes(id, pes.chunks.length === 1 ? Buffer.from(pes.chunks[0]!) : Buffer.concat(pes.chunks, pes.bytes), pes, out);
  }

  /** The PES payload in one piece (a copy when it came in several), for the paths that need it whole. */
  private static joined(pes: Pes): Buffer {
    return pes.chunks.length === 1 ? pes.chunks[0]! : Buffer.concat(pes.chunks, pes.bytes);
  }

  private videoPes(id: number, pes: Pes, out: PsAccessUnit[]): void {
    // The codec is known (PSM, or guessed before) for all but a stream's first PES: no joined copy is needed for it.
    let payload: Buffer | null = this.codecKnown(id) ? null : PsDemuxer.joined(pes);
    const codec = this.codecOf(id, 'video', payload ?? EMPTY);
    let splitter = this.splitters.get(id);
    if (splitter && splitter.codec !== codec) {
      // Codec changed (new PSM): finish what the old one held.
      const units: SplitAccessUnit[] = [];
      splitter.endOfUnit(units);
      this.emitVideo(id, splitter.codec, units, out);
      this.stats.orphanBytes += splitter.orphanBytes;
      this.splitters.delete(id);
      splitter = undefined;
    }
    if (codec === 'h264' || codec === 'h265') {
      if (!splitter) {
        splitter = new AnnexBAuSplitter(codec, this.maxPesBytes);
        this.splitters.set(id, splitter);
      }
      const units: SplitAccessUnit[] = [];
      const before = splitter.orphanBytes;
      // The splitter takes a unit in pieces: the PES's chunks (views of the RTP payloads) go in as they are, and the
      // unit's bytes are copied once, when it is cut.
      if (payload) splitter.push(payload, pes.pts, pes.dts, units);
      else for (let i = 0; i < pes.chunks.length; i++) splitter.push(pes.chunks[i]!, i === 0 ? pes.pts : undefined, i === 0 ? pes.dts : undefined, units);
      this.stats.orphanBytes += splitter.orphanBytes - before;
      this.emitVideo(id, codec, units, out);
      return;
    }
    // Other video codecs: one unit per run of PES with the same PTS.
    payload ??= PsDemuxer.joined(pes);
    const g = this.groups.get(id);
    if (g && (pes.pts === undefined || pes.pts === g.pts)) {
      g.chunks.push(payload);
      g.bytes += payload.length;
      if (g.bytes > this.maxPesBytes) {
        this.groups.delete(id);
        throw new Gb28181Error('PS_PES_TOO_LARGE', `video unit of ${g.bytes} bytes exceeds ${this.maxPesBytes}`);
      }
      return;
    }
    if (g) this.emitGroup(id, out);
    this.groups.set(id, { pts: pes.pts, dts: pes.dts, chunks: [payload], bytes: payload.length });
  }

  private emitGroup(id: number, out: PsAccessUnit[]): void {
    const g = this.groups.get(id);
    this.groups.delete(id);
    if (!g) return;
    const data = Buffer.concat(g.chunks, g.bytes);
    const codec = this.info.get(id)?.codec ?? 'unknown';
    const keyframe = codec === 'mpeg4' ? isMpeg4Keyframe(data) : false;
    if (this.waitKeyframe && codec === 'mpeg4' && !keyframe) {
      this.stats.droppedUnits++;
      return;
    }
    if (keyframe) this.waitKeyframe = false;
    this.stats.videoUnits++;
    out.push({ kind: 'video', codec, streamId: id, pts: g.pts, dts: g.dts, keyframe, data });
  }

  private emitVideo(id: number, codec: PsCodec, units: SplitAccessUnit[], out: PsAccessUnit[]): void {
    for (const u of units) {
      if (this.waitKeyframe && !u.keyframe) {
        this.stats.droppedUnits++;
        continue;
      }
      if (u.keyframe) {
        this.waitKeyframe = false;
        const info = this.info.get(id);
        if (info && (codec === 'h264' || codec === 'h265')) {
          const res = findResolution(u.data, codec);
          if (res) {
            info.width = res.width;
            info.height = res.height;
          }
        }
      }
      this.stats.videoUnits++;
      out.push({ kind: 'video', codec, streamId: id, pts: u.pts, dts: u.dts, keyframe: u.keyframe, data: u.data });
    }
  }

  private audioPes(id: number, payload: Buffer, pes: Pes, out: PsAccessUnit[]): void {
    if (payload.length === 0) return;
    const codec = this.codecOf(id, 'audio', payload);
    this.stats.audioUnits++;
    // payload is the caller's own copy already (finishPes)
    out.push({ kind: 'audio', codec, streamId: id, pts: pes.pts, dts: pes.dts, keyframe: true, data: payload });
  }

  /** Whether codecOf() can answer without looking at the payload. */
  private codecKnown(id: number): boolean {
    const type = this.psm.get(id);
    if (type !== undefined && codecOfStreamType(type) !== 'unknown') return true;
    const info = this.info.get(id);
    return info !== undefined && info.codec !== 'unknown' && info.source === 'guess';
  }

  /** Codec of a stream: the PSM's when it names a known type, else guessed from the payload. */
  private codecOf(id: number, kind: 'video' | 'audio', payload: Buffer): PsCodec {
    const type = this.psm.get(id);
    const declared = type === undefined ? 'unknown' : codecOfStreamType(type);
    let info = this.info.get(id);
    if (declared !== 'unknown') {
      if (!info || info.codec !== declared || info.source !== 'psm') {
        info = { ...info, streamId: id, kind, codec: declared, streamType: type, source: 'psm' };
        this.info.set(id, info);
      }
      return declared;
    }
    if (info && info.codec !== 'unknown' && info.source === 'guess') return info.codec;
    let guess: PsCodec = 'unknown';
    if (kind === 'video') guess = guessVideoCodec(payload) ?? 'unknown';
    else if (payload.length >= 2 && payload[0] === 0xff && (payload[1] & 0xf6) === 0xf0) guess = 'aac'; // ADTS syncword
    info = { streamId: id, kind, codec: guess, source: 'guess', ...(type !== undefined ? { streamType: type } : {}) };
    this.info.set(id, info);
    return guess;
  }

  private parsePsm(b: Buffer): void {
    // b = 00 00 01 BC len(2) | cur_next/ver | rsvd/marker | ps_info_len(2) | info | es_map_len(2) | entries | CRC(4)
    const end = b.length - 4;
    if (b.length < 16) {
      this.stats.malformed++;
      return;
    }
    const infoLen = b.readUInt16BE(8);
    let p = 10 + infoLen;
    if (p + 2 > end) {
      this.stats.malformed++;
      return;
    }
    const mapEnd = Math.min(p + 2 + b.readUInt16BE(p), end);
    p += 2;
    const map = new Map<number, number>();
    while (p + 4 <= mapEnd) {
      const type = b[p];
      const id = b[p + 1];
      const esInfoLen = b.readUInt16BE(p + 2);
      if (isVideoStreamId(id) || isAudioStreamId(id)) map.set(id, type);
      p += 4 + esInfoLen;
    }
    this.stats.psms++;
    let changed = map.size !== this.psm.size;
    for (const [id, t] of map) if (this.psm.get(id) !== t) changed = true;
    if (changed && this.psm.size > 0) this.stats.psmChanges++;
    this.psm = map;
    for (const [id, type] of map) {
      const codec = codecOfStreamType(type);
      const kind = isVideoStreamId(id) ? 'video' : 'audio';
      const prev = this.info.get(id);
      if (codec !== 'unknown') this.info.set(id, { ...prev, streamId: id, kind, codec, streamType: type, source: 'psm' });
    }
  }
}

/** First 00 00 01 xx at or after `from` with xx a system start code (>= 0xB9), or a trailing prefix position. */
function findSystemStart(d: Buffer, from: number): number {
  let i = d.indexOf(START3, from);
  while (i >= 0) {
    if (i + 3 >= d.length || d[i + 3] >= PS_START.END) return i;
    i = d.indexOf(START3, i + 1);
  }
  return -1;
}

function isStartPrefix(d: Buffer, off: number): boolean {
  const pattern = [0, 0, 1];
  for (let i = off; i < d.length; i++) if (d[i] !== pattern[i - off]) return false;
  return true;
}

/** MPEG-4 Part 2: VOS/VOL header or an I-VOP (vop_coding_type 0) marks a keyframe. */
function isMpeg4Keyframe(d: Buffer): boolean {
  let i = d.indexOf(START3);
  while (i >= 0 && i + 4 < d.length) {
    const c = d[i + 3];
    if (c === 0xb0 || (c >= 0x20 && c <= 0x2f)) return true;
    if (c === 0xb6) return d[i + 4] >> 6 === 0;
    i = d.indexOf(START3, i + 3);
  }
  return false;
}
