import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { AnnexBAuSplitter, RTMP_HANDSHAKE_BYTES, RtmpChunkReader, decodeAmf0, encodeAmf0, splitAnnexB, writeRtmpChunks, type SplitAccessUnit } from '@gb/gb28181';

/**
 * An RTMP publisher of H.265 in enhanced RTMP (FourCC hvc1, as OBS 29.1+ and recent drones send it), for the HEVC
 * push path: ffmpeg 5.1 (Debian 12) cannot put HEVC in FLV. It reads an Annex B H.265 file made by ffmpeg/libx265
 * (parameter sets repeated in-band), sends the plain handshake, connect, createStream, publish(`name`), waits for
 * NetStream.Publish.Start (throws with the onStatus code otherwise), then a sequence start (HEVCDecoderConfigurationRecord
 * with the first VPS/SPS/PPS) and the access units as CodedFramesX at `fps`, looping the clip, until stop().
 */
export class RtmpHevcPublisher {
  private sock?: net.Socket;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly hevcFile: string,
    private readonly fps = 25,
  ) {}

  async start(host: string, port: number, app: string, name: string): Promise<void> {
    const aus = this.accessUnits();
    const sock = net.connect({ host, port });
    this.sock = sock;
    sock.on('error', () => undefined);
    await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
    const reader = new RtmpChunkReader();
    const statuses: { code: string }[] = [];
    let got = Buffer.alloc(0);
    let handshaken = false;
    let onStatus: (() => void) | undefined;
    let onHandshake: (() => void) | undefined;
    sock.on('data', (d: Buffer) => {
      if (!handshaken) {
        got = Buffer.concat([got, d]);
        if (got.length < 1 + 2 * RTMP_HANDSHAKE_BYTES) return;
        handshaken = true;
        onHandshake?.();
        d = got.subarray(1 + 2 * RTMP_HANDSHAKE_BYTES);
      }
      for (const m of reader.push(d)) {
        if (m.type !== 20) continue;
        const v = decodeAmf0(m.payload);
        if (v[0] === 'onStatus') {
          statuses.push(v[3] as { code: string });
          onStatus?.();
        }
      }
    });
    const shaken = new Promise<void>((r) => (onHandshake = r));
    sock.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(RTMP_HANDSHAKE_BYTES)]));
    await shaken;
    sock.write(got.subarray(1, 1 + RTMP_HANDSHAKE_BYTES)); // C2 = S1
    const cmd = (csid: number, streamId: number, ...v: Parameters<typeof encodeAmf0>) => writeRtmpChunks({ csid, type: 20, streamId, timestamp: 0, payload: encodeAmf0(...v) }, 4096);
    sock.write(Buffer.concat([
      writeRtmpChunks({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.from([0, 0, 0x10, 0]) }),
      cmd(3, 0, 'connect', 1, { app, type: 'nonprivate', tcUrl: `rtmp://${host}:${port}/${app}`, fourCcList: ['hvc1'] }),
      cmd(3, 0, 'createStream', 2, null),
      cmd(4, 1, 'publish', 3, null, name, 'live'),
    ]));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no onStatus within 5 s')), 5000);
      onStatus = () => {
        clearTimeout(t);
        const s = statuses[0]!;
        if (s.code === 'NetStream.Publish.Start') resolve();
        else reject(new Error(`publish refused: ${s.code}`));
      };
    });
    const video = (ts: number, body: Buffer) => sock.write(writeRtmpChunks({ csid: 6, type: 9, streamId: 1, timestamp: ts, payload: body }, 4096));
    const ex = (frameType: number, packetType: number, data: Buffer) => Buffer.concat([Buffer.from([0x80 | (frameType << 4) | packetType]), Buffer.from('hvc1', 'latin1'), data]);
    video(0, ex(1, 0, hvcc(aus[0]!.data)));
    let i = 0;
    const t0 = Date.now();
    const tick = () => {
      const due = Math.floor(((Date.now() - t0) * this.fps) / 1000);
      while (i <= due) {
        const au = aus[i % aus.length]!;
        const nals = splitAnnexB(au.data);
        video(Math.round((i * 1000) / this.fps), ex(au.keyframe ? 1 : 2, 3, Buffer.concat(nals.flatMap((n) => [u32(n.length), n]))));
        i++;
      }
    };
    tick();
    this.timer = setInterval(tick, 20);
  }

  stop(): void {
    clearInterval(this.timer);
    this.sock?.destroy();
  }

  private accessUnits(): SplitAccessUnit[] {
    const splitter = new AnnexBAuSplitter('h265', 4 * 1024 * 1024);
    const out: SplitAccessUnit[] = [];
    splitter.push(readFileSync(this.hevcFile), undefined, undefined, out);
    const first = out.findIndex((a) => a.keyframe);
    return out.slice(first);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 §8.3.3.1) with the VPS/SPS/PPS of a keyframe, 4-byte NAL lengths. */
function hvcc(keyframe: Buffer): Buffer {
  const sets = splitAnnexB(keyframe).filter((n) => ((n[0]! >> 1) & 0x3f) >= 32 && ((n[0]! >> 1) & 0x3f) <= 34);
  const head = Buffer.alloc(23);
  head[0] = 1; // configurationVersion
  head[21] = 0x0f; // constantFrameRate 0, numTemporalLayers 1, temporalIdNested 1, lengthSizeMinusOne 3
  head[22] = sets.length;
  const arrays = sets.map((n) => {
    const h = Buffer.alloc(5);
    h[0] = 0x80 | ((n[0]! >> 1) & 0x3f);
    h.writeUInt16BE(1, 1);
    h.writeUInt16BE(n.length, 3);
    return Buffer.concat([h, n]);
  });
  return Buffer.concat([head, ...arrays]);
}
