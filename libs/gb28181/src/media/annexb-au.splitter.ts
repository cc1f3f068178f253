import { Gb28181Error } from '../errors';

export interface SplitAccessUnit {
  data: Buffer;
  pts?: number;
  dts?: number;
  keyframe: boolean;
}

/** Bytes kept from the end of each push so start codes straddling two pushes are found. */
const CARRY = 6;

/**
 * Cuts an H.264/H.265 Annex B elementary stream, delivered in arbitrary pieces (PES payloads),
 * into access units using the first-NAL-of-an-AU rules (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4):
 * an AUD, or a parameter set / SEI after a VCL NAL, or a VCL NAL that starts a new picture
 * (first_mb_in_slice = 0, first_slice_segment_in_pic_flag = 1) after a VCL NAL.
 *
 * PTS/DTS follow ISO/IEC 13818-1 §2.4.3.7: a PES timestamp belongs to the first access unit that
 * starts in that PES. An access unit always starts at a start code that can begin one; bytes
 * before it (the tail of a unit whose start was lost) are dropped and counted in `orphanBytes`.
 * Keyframes: H.264 IDR (5) or SPS (7); H.265 IRAP (16..21) or VPS (32).
 */
export class AnnexBAuSplitter {
  orphanBytes = 0;
  private chunks: Buffer[] = [];
  /** Absolute stream position of chunks[0][0]. */
  private listStart = 0;
  /** Absolute position where the bytes pushed so far end. */
  private streamEnd = 0;
  /** Absolute position of the current unit's first byte, -1 before a unit has started. */
  private auStart = -1;
  private scannedUpTo = 0;
  private carry: Buffer = Buffer.alloc(0);
  private hasVcl = false;
  private key = false;
  private pts?: number;
  private dts?: number;
  private pendingPts?: number;
  private pendingDts?: number;
  private pendingFrom = 0;

  constructor(
    readonly codec: 'h264' | 'h265',
    private readonly maxUnitBytes: number,
  ) {}

  /** Bytes held for the unit being collected. */
  get bufferedBytes(): number {
    return this.streamEnd - this.listStart;
  }

  push(payload: Buffer, pts: number | undefined, dts: number | undefined, out: SplitAccessUnit[]): void {
    if (payload.length === 0) return;
    const base = this.streamEnd;
    if (pts !== undefined) {
      this.pendingPts = pts;
      this.pendingDts = dts;
      this.pendingFrom = base;
    }
    this.chunks.push(payload);
    this.streamEnd += payload.length;
    const need = this.codec === 'h264' ? 2 : 3;

    // Start codes beginning in the carried tail of the previous push.
    if (this.carry.length > 0) {
      const j = Buffer.concat([this.carry, payload.subarray(0, CARRY + 2)]);
      const jBase = base - this.carry.length;
      for (let i = 0; i < this.carry.length; i++) {
        if (j[i] === 0 && j[i + 1] === 0 && j[i + 2] === 1 && jBase + i >= this.scannedUpTo) {
          if (i + 3 + need > j.length) break;
          this.onStartCode(jBase + i, j, i + 3, out);
        }
      }
    }
    let i = payload.indexOf(START3);
    while (i >= 0) {
      if (base + i >= this.scannedUpTo) {
        if (i + 3 + need > payload.length) break;
        this.onStartCode(base + i, payload, i + 3, out);
      }
      i = payload.indexOf(START3, i + 1);
    }
    if (payload.length >= CARRY) this.carry = payload.subarray(payload.length - CARRY);
    else {
      const tail = Buffer.concat([this.carry, payload]);
      this.carry = tail.subarray(Math.max(0, tail.length - CARRY));
    }
    if (this.auStart < 0) this.dropBefore(Math.max(this.listStart, this.streamEnd - CARRY));
    else if (this.streamEnd - this.auStart > this.maxUnitBytes) {
      const size = this.streamEnd - this.auStart;
      this.reset();
      throw new Gb28181Error('PS_PES_TOO_LARGE', `video access unit of more than ${size} bytes exceeds ${this.maxUnitBytes}`);
    }
  }

  /** The caller knows the current unit is complete (RTP marker bit): emit it if it holds a picture. */
  endOfUnit(out: SplitAccessUnit[]): void {
    if (this.auStart >= 0 && this.hasVcl) {
      this.emit(this.streamEnd, out);
      this.auStart = -1;
      this.carry = Buffer.alloc(0);
      this.scannedUpTo = this.streamEnd;
    }
  }

  /** Drops everything held (after packet loss); the next unit must start cleanly. */
  reset(): void {
    this.orphanBytes += this.streamEnd - this.listStart;
    this.chunks = [];
    this.listStart = this.streamEnd;
    this.auStart = -1;
    this.scannedUpTo = this.streamEnd;
    this.carry = Buffer.alloc(0);
    this.pendingPts = undefined;
    this.pendingDts = undefined;
  }

  private onStartCode(pos: number, buf: Buffer, h: number, out: SplitAccessUnit[]): void {
    this.scannedUpTo = pos + 1;
    const b0 = buf[h];
    let type: number;
    let vcl: boolean;
    let firstSlice: boolean;
    let begins: boolean; // can begin an access unit
    let boundary: boolean;
    let key: boolean;
    if (this.codec === 'h264') {
      type = b0 & 0x1f;
      vcl = type === 1 || type === 5;
      firstSlice = vcl && (buf[h + 1] & 0x80) !== 0;
      const prefixNal = type === 6 || type === 7 || type === 8 || (type >= 14 && type <= 18);
      begins = type === 9 || prefixNal || firstSlice;
      boundary = type === 9 || (this.hasVcl && (prefixNal || firstSlice));
      key = type === 5 || type === 7;
    } else {
      type = (b0 >> 1) & 0x3f;
      vcl = type <= 31;
      firstSlice = vcl && (buf[h + 2] & 0x80) !== 0;
      const prefixNal = (type >= 32 && type <= 34) || type === 39 || (type >= 41 && type <= 44) || (type >= 48 && type <= 55);
      begins = type === 35 || prefixNal || firstSlice;
      boundary = type === 35 || (this.hasVcl && (prefixNal || firstSlice));
      key = (type >= 16 && type <= 21) || type === 32;
    }
    if ((b0 & 0x80) !== 0) return; // forbidden_zero_bit: not a NAL start
    // A zero byte before 00 00 01 makes a 4-byte start code: it goes with the unit it starts.
    if (this.auStart < 0) {
      if (!begins) return;
      const at = pos - 1 >= this.listStart && this.byteAt(pos - 1) === 0 ? pos - 1 : pos;
      this.dropBefore(at);
      this.startUnit(at);
    } else if (boundary && pos > this.auStart) {
      const at = pos - 1 > this.auStart && this.byteAt(pos - 1) === 0 ? pos - 1 : pos;
      this.emit(at, out);
      this.startUnit(at);
    }
    if (vcl) this.hasVcl = true;
    if (key) this.key = true;
  }

  private startUnit(pos: number): void {
    this.auStart = pos;
    this.hasVcl = false;
    this.key = false;
    if (this.pendingPts !== undefined && pos + 3 >= this.pendingFrom) {
      this.pts = this.pendingPts;
      this.dts = this.pendingDts;
      this.pendingPts = undefined;
      this.pendingDts = undefined;
    } else {
      this.pts = undefined;
      this.dts = undefined;
    }
  }

  /** Emits [auStart, end) as a unit. */
  private emit(end: number, out: SplitAccessUnit[]): void {
    const data = this.take(end - this.listStart);
    if (this.hasVcl) out.push({ data, pts: this.pts, dts: this.dts, keyframe: this.key });
    else this.orphanBytes += data.length;
  }

  /** The byte at absolute position `abs` (held in the chunk list; recent, so searched from the end). */
  private byteAt(abs: number): number {
    let end = this.streamEnd;
    for (let k = this.chunks.length - 1; k >= 0; k--) {
      const c = this.chunks[k];
      const start = end - c.length;
      if (abs >= start) return c[abs - start];
      end = start;
    }
    return -1;
  }

  private dropBefore(pos: number): void {
    if (pos > this.listStart) {
      this.orphanBytes += pos - this.listStart;
      this.take(pos - this.listStart, true);
    }
  }

  /** Removes n bytes from the front of the chunk list; returns them joined (one copy) unless discarding. */
  private take(n: number, discard = false): Buffer {
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const c = this.chunks[0];
      if (c.length <= left) {
        parts.push(c);
        this.chunks.shift();
        left -= c.length;
      } else {
        parts.push(c.subarray(0, left));
        this.chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.listStart += n;
    return discard ? EMPTY : Buffer.concat(parts, n);
  }
}

const START3 = Buffer.from([0, 0, 1]);
const EMPTY = Buffer.alloc(0);
