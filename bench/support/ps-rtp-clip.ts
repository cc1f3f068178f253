import { PsDemuxer, PsMuxer, packetizePs, parseRtpPacket, serializeRtpPacket, writePesTimestamp } from '../../libs/gb28181/src/media';
import type { H264Clip } from './h264-clip';

/** RTP payload type the GB/T 28181 offer maps to PS/90000. */
const PT_PS = 96;

interface TimestampField {
  /** Offset of the field in the frame's PS bytes. */
  at: number;
  kind: 'scr' | 'pts';
}

interface FramePackets {
  /** RTP packets (12-byte header + PS payload) muxed once, with PS timestamps for PTS 0. */
  packets: Buffer[];
  fields: TimestampField[];
  keyframe: boolean;
}

/** Where to send one replayed stream's packets and how to number them. */
export interface ReplayState {
  ssrc: number;
  seq: number;
}

/**
 * A clip muxed once into GB/T 28181 PS (PsMuxer, one pack per frame, system header + PSM before keyframes),
 * cut into 1400-byte RTP payloads (packetizePs) with RTP headers (serializeRtpPacket). Replaying a frame copies its
 * packets and patches only what differs per stream and per loop: sequence number, RTP timestamp, SSRC, and the
 * SCR / PTS fields inside the PS, so every stream looks like one continuous camera whatever the loop count.
 */
export class PsRtpClip {
  readonly frames: FramePackets[];
  readonly fps: number;
  /** 90 kHz ticks per frame. */
  readonly frameTicks: number;
  readonly bytesPerLoop: number;
  private readonly scratch = Buffer.alloc(6);

  constructor(readonly clip: H264Clip) {
    this.fps = clip.options.fps;
    this.frameTicks = Math.round(90_000 / this.fps);
    const muxer = new PsMuxer({ video: 'h264' });
    this.frames = clip.frames.map((f) => {
      const ps = muxer.muxVideo(f.data, 0, f.keyframe);
      const payloads = packetizePs(ps);
      const packets = payloads.map((payload, i) => serializeRtpPacket({ payloadType: PT_PS, sequenceNumber: 0, timestamp: 0, ssrc: 0, marker: i === payloads.length - 1, payload }));
      return { packets, fields: timestampFields(ps), keyframe: f.keyframe };
    });
    this.bytesPerLoop = this.frames.reduce((n, f) => n + f.packets.reduce((m, p) => m + p.length, 0), 0);
  }

  get frameCount(): number {
    return this.frames.length;
  }

  /** RTP packets of frame `index` of the clip for a stream, at 90 kHz time `pts` (mod 2^33). Advances `state.seq`. */
  packetsOf(index: number, pts: number, state: ReplayState): Buffer[] {
    const f = this.frames[index]!;
    const out = f.packets.map((t) => {
      const b = Buffer.allocUnsafe(t.length);
      t.copy(b);
      b.writeUInt16BE(state.seq, 2);
      b.writeUInt32BE(pts % 0x100000000, 4);
      b.writeUInt32BE(state.ssrc >>> 0, 8);
      state.seq = (state.seq + 1) & 0xffff;
      return b;
    });
    const payload = f.packets[0]!.length - 12; // every payload but the last is full
    for (const field of f.fields) {
      const len = field.kind === 'scr' ? 6 : 5;
      if (field.kind === 'scr') writeScr(this.scratch, 0, pts);
      else writePesTimestamp(this.scratch, 0, 0x2, pts % 0x200000000);
      for (let i = 0; i < len; i++) {
        const abs = field.at + i;
        const k = Math.floor(abs / payload);
        out[k]![12 + (abs - k * payload)] = this.scratch[i]!;
      }
    }
    return out;
  }

  /**
   * Demuxes two loops of the replayed stream and checks that every frame comes back with the PTS it was sent with
   * and the keyframes where they were: a wrong patch offset would break every figure measured with this clip.
   */
  selfCheck(): void {
    const d = new PsDemuxer();
    const state = { ssrc: 1234, seq: 65530 };
    const want: number[] = [];
    const got: { pts?: number; keyframe: boolean }[] = [];
    const base = 0x1fff00000; // crosses the 33-bit wrap on the way
    for (let i = 0; i < this.frameCount * 2; i++) {
      const pts = (base + i * this.frameTicks) % 0x200000000;
      want.push(pts);
      for (const p of this.packetsOf(i % this.frameCount, pts, state)) {
        const r = parseRtpPacket(p);
        if (r.ssrc !== 1234) throw new Error('replayed RTP packet has the wrong SSRC');
        got.push(...d.push(r.payload, { marker: r.marker }));
      }
    }
    got.push(...d.flush());
    if (got.length !== want.length) throw new Error(`PS self-check: ${got.length} access units back for ${want.length} frames sent`);
    got.forEach((u, i) => {
      if (u.pts !== want[i]) throw new Error(`PS self-check: frame ${i} came back with PTS ${u.pts}, sent ${want[i]}`);
      if (u.keyframe !== this.frames[i % this.frameCount]!.keyframe) throw new Error(`PS self-check: frame ${i} keyframe flag differs`);
    });
  }
}

/** Walks the PS (pack, system header, PSM, PES) and lists where the SCR of each pack and the PTS of each PES sit. */
function timestampFields(ps: Buffer): TimestampField[] {
  const out: TimestampField[] = [];
  let o = 0;
  while (o + 6 <= ps.length) {
    if (ps.readUIntBE(o, 3) !== 1) throw new Error(`PS walk: no start code at ${o}`);
    const id = ps[o + 3]!;
    if (id === 0xba) {
      out.push({ at: o + 4, kind: 'scr' });
      o += 14 + (ps[o + 13]! & 7);
    } else {
      if (id >= 0xc0 && id <= 0xef && (ps[o + 7]! & 0x80) !== 0) out.push({ at: o + 9, kind: 'pts' });
      o += 6 + ps.readUInt16BE(o + 4);
    }
  }
  return out;
}

/** SCR base (33 bits) in pack header bytes 4..9 (ISO/IEC 13818-1 §2.5.3.3), extension 0, markers set. */
function writeScr(b: Buffer, o: number, scr: number): void {
  const v = scr % 0x200000000;
  const hi = Math.floor(v / 0x40000000) & 7;
  const lo = v % 0x40000000;
  b[o] = 0x40 | (hi << 3) | 0x04 | ((lo >> 28) & 3);
  b[o + 1] = (lo >> 20) & 0xff;
  b[o + 2] = (((lo >> 15) & 0x1f) << 3) | 0x04 | ((lo >> 13) & 3);
  b[o + 3] = (lo >> 5) & 0xff;
  b[o + 4] = ((lo & 0x1f) << 3) | 0x04;
  b[o + 5] = 0x01;
}
