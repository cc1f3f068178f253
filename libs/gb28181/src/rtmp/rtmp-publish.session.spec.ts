import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { decodeAmf0, encodeAmf0, MAX_AMF0_DEPTH, MAX_AMF0_ITEMS } from './amf0.codec';
import { FlvVideoReader } from './flv-video.reader';
import { MAX_RTMP_CHUNK_SIZE, MAX_RTMP_CHUNK_STREAMS, MAX_RTMP_MESSAGE_BYTES, RtmpChunkReader } from './rtmp-chunk.reader';
import { writeRtmpChunks } from './rtmp-chunk.writer';
import { RTMP_HANDSHAKE_BYTES, RtmpPublishSession, type RtmpPublishEvent } from './rtmp-publish.session';

const SPS = Buffer.from('6742c01e8c8d40501e9080', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const IDR = Buffer.concat([Buffer.from([0x65, 0x88]), Buffer.alloc(300, 0x11)]);
const P = Buffer.from([0x41, 0x9a, 0x22, 0x33]);

/** FLV VIDEODATA, AVC: frame type, packet type, composition time, body. */
function avcTag(key: boolean, packetType: 0 | 1, cts: number, body: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = ((key ? 1 : 2) << 4) | 7;
  h[1] = packetType;
  h.writeIntBE(cts, 2, 3);
  return Buffer.concat([h, body]);
}
const lp = (...nals: Buffer[]) => Buffer.concat(nals.flatMap((n) => [Buffer.from([n.length >> 24, n.length >> 16, n.length >> 8, n.length & 0xff]), n]));
const avcConfig = Buffer.concat([Buffer.from([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, SPS.length]), SPS, Buffer.from([1, 0, PPS.length]), PPS]);

/** What an encoder sends (ffmpeg's order): C0+C1, C2, connect, releaseStream, FCPublish, createStream, publish. */
function publisherBytes(name: string): Buffer {
  const c1 = Buffer.alloc(RTMP_HANDSHAKE_BYTES, 7);
  const cmd = (csid: number, streamId: number, ...v: Parameters<typeof encodeAmf0>) => writeRtmpChunks({ csid, type: 20, streamId, timestamp: 0, payload: encodeAmf0(...v) });
  return Buffer.concat([
    Buffer.from([3]), c1, Buffer.alloc(RTMP_HANDSHAKE_BYTES, 9),
    cmd(3, 0, 'connect', 1, { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl: 'rtmp://127.0.0.1:1935/live' }),
    cmd(3, 0, 'releaseStream', 2, null, name),
    cmd(3, 0, 'FCPublish', 3, null, name),
    cmd(3, 0, 'createStream', 4, null),
    cmd(4, 1, 'publish', 5, null, name, 'live'),
  ]);
}

function session(): { s: RtmpPublishSession; sent: Buffer[] } {
  const sent: Buffer[] = [];
  return { s: new RtmpPublishSession({ send: (b) => sent.push(b), random: Buffer.alloc(1528, 1) }), sent };
}

/** Commands the server sent (after S0+S1+S2), decoded. */
function sentCommands(sent: Buffer[]): unknown[][] {
  const r = new RtmpChunkReader();
  const all = Buffer.concat(sent).subarray(1 + 2 * RTMP_HANDSHAKE_BYTES);
  return r.push(all).filter((m) => m.type === 20).map((m) => decodeAmf0(m.payload));
}

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Gb28181Error);
    expect((e as Gb28181Error).code).toBe(code);
    return;
  }
  throw new Error(`no ${code} thrown`);
}

describe('RtmpPublishSession', () => {
  it('an ffmpeg-like publisher fed one byte at a time: handshake, connect, createStream, publish with ?key, then AVC pictures as Annex B with SPS/PPS before the keyframe', () => {
    const { s, sent } = session();
    const ev: RtmpPublishEvent[] = [];
    for (const b of publisherBytes('34020000001319000001?key=abc&x=1')) ev.push(...s.push(Buffer.from([b])));
    expect(sent[0]!.length).toBe(1 + 2 * RTMP_HANDSHAKE_BYTES);
    expect(sent[0]!.subarray(1 + RTMP_HANDSHAKE_BYTES).equals(Buffer.alloc(RTMP_HANDSHAKE_BYTES, 7))).toBe(true); // S2 echoes C1
    expect(ev).toEqual([
      { kind: 'connect', app: 'live', tcUrl: 'rtmp://127.0.0.1:1935/live' },
      { kind: 'publish', app: 'live', name: '34020000001319000001', query: expect.objectContaining({ key: 'abc', x: '1' }) as unknown },
    ]);
    const cmds = sentCommands(sent);
    expect(cmds[0]).toMatchObject(['_result', 1, { capabilities: 31 }, { code: 'NetConnection.Connect.Success' }]);
    expect(cmds.find((c) => c[1] === 4)).toEqual(['_result', 4, null, 1]);
    // Video before accept() is dropped.
    expect(s.push(writeRtmpChunks({ csid: 6, type: 9, streamId: 1, timestamp: 0, payload: avcTag(true, 0, 0, avcConfig) }))).toEqual([]);
    s.accept();
    expect(sentCommands(sent).at(-1)).toMatchObject(['onStatus', 0, null, { level: 'status', code: 'NetStream.Publish.Start' }]);
    const media = Buffer.concat([
      writeRtmpChunks({ csid: 6, type: 9, streamId: 1, timestamp: 0, payload: avcTag(true, 0, 0, avcConfig) }),
      writeRtmpChunks({ csid: 6, type: 9, streamId: 1, timestamp: 40, payload: avcTag(true, 1, 80, lp(IDR)) }),
      writeRtmpChunks({ csid: 6, type: 9, streamId: 1, timestamp: 80, payload: avcTag(false, 1, 0, lp(P)) }),
      writeRtmpChunks({ csid: 5, type: 8, streamId: 1, timestamp: 60, payload: Buffer.from([0xaf, 1, 2, 3]) }), // AAC before its config: dropped
      writeRtmpChunks({ csid: 5, type: 8, streamId: 1, timestamp: 70, payload: Buffer.from([0xaf, 0, 0x14, 0x08]) }), // AAC-LC 16 kHz mono
      writeRtmpChunks({ csid: 5, type: 8, streamId: 1, timestamp: 80, payload: Buffer.from([0xaf, 1, 2, 3]) }),
      writeRtmpChunks({ csid: 5, type: 8, streamId: 1, timestamp: 90, payload: Buffer.from([0x2a, 1, 2]) }), // MP3: dropped
    ]);
    const out: RtmpPublishEvent[] = [];
    for (let i = 0; i < media.length; i += 7) out.push(...s.push(media.subarray(i, i + 7)));
    const sc = Buffer.from([0, 0, 0, 1]);
    expect(out).toEqual([
      { kind: 'video', unit: { codec: 'h264', keyframe: true, dts: 40, pts: 120, data: Buffer.concat([sc, SPS, sc, PPS, sc, IDR]) } },
      { kind: 'video', unit: { codec: 'h264', keyframe: false, dts: 80, pts: 80, data: Buffer.concat([sc, P]) } },
      { kind: 'audioDropped', reason: 'AAC frame before its sequence header' },
      { kind: 'audioAnnounced', codec: 'aac' },
      { kind: 'audio', frame: { codec: 'aac', timestamp: 80, data: Buffer.from([0xff, 0xf1, 0x60, 0x40, 0x01, 0x3f, 0xfc, 2, 3]) } },
      { kind: 'audioDropped', reason: 'sound format 2' },
    ]);
    expect(s.push(writeRtmpChunks({ csid: 3, type: 20, streamId: 0, timestamp: 0, payload: encodeAmf0('FCUnpublish', 6, null, 'x') }))).toEqual([{ kind: 'unpublish' }]);
  });

  it('onMetaData announces the audio codec (audiocodecid 10/7/8); other ids and unreadable metadata are ignored', () => {
    const { s } = session();
    s.push(publisherBytes('cam'));
    s.accept();
    const meta = (v: Parameters<typeof encodeAmf0>) => writeRtmpChunks({ csid: 4, type: 18, streamId: 1, timestamp: 0, payload: encodeAmf0(...v) });
    expect(s.push(meta(['@setDataFrame', 'onMetaData', { width: 640, audiocodecid: 10 }]))).toEqual([{ kind: 'audioAnnounced', codec: 'aac' }]);
    expect(s.push(meta(['onMetaData', { audiocodecid: 7 }]))).toEqual([{ kind: 'audioAnnounced', codec: 'g711a' }]);
    expect(s.push(meta(['onMetaData', { audiocodecid: 2 }]))).toEqual([]);
    expect(s.push(meta(['onMetaData', { audiocodecid: 'mp4a' }]))).toEqual([]);
    expect(s.push(writeRtmpChunks({ csid: 4, type: 18, streamId: 1, timestamp: 0, payload: Buffer.from([0x0d, 1, 2]) }))).toEqual([]);
  });

  it('reject() answers onStatus error with the code (the caller then closes)', () => {
    const { s, sent } = session();
    s.push(publisherBytes('cam'));
    s.reject('NetStream.Publish.Unauthorized', 'PUSH_KEY_REJECTED: wrong key');
    expect(sentCommands(sent).at(-1)).toMatchObject(['onStatus', 0, null, { level: 'error', code: 'NetStream.Publish.Unauthorized' }]);
    expect(s.isPublishing).toBe(false);
  });

  it('a C0 other than version 3 (RTMPE) is refused: RTMP_BAD_HANDSHAKE', () => {
    expectCode(() => session().s.push(Buffer.concat([Buffer.from([6]), Buffer.alloc(RTMP_HANDSHAKE_BYTES)])), 'RTMP_BAD_HANDSHAKE');
  });

  it('a second publish on one connection and an over-long stream name are refused: RTMP_BAD_COMMAND', () => {
    const { s } = session();
    s.push(publisherBytes('cam'));
    expectCode(() => s.push(writeRtmpChunks({ csid: 4, type: 20, streamId: 1, timestamp: 0, payload: encodeAmf0('publish', 7, null, 'cam2', 'live') })), 'RTMP_BAD_COMMAND');
    const t = session().s;
    expectCode(() => t.push(publisherBytes('x'.repeat(2000))), 'RTMP_BAD_COMMAND');
  });

  it('random bytes after the handshake throw only Gb28181Error (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 6 }), (chunks) => {
        const { s } = session();
        s.push(publisherBytes('cam'));
        s.accept();
        try {
          for (const c of chunks) s.push(Buffer.from(c));
        } catch (e) {
          if (!(e instanceof Gb28181Error)) throw e;
        }
        expect(s.buffered).toBeLessThanOrEqual(18 + MAX_RTMP_CHUNK_SIZE);
      }),
      { numRuns: 400 },
    );
  });
});

describe('RtmpChunkReader', () => {
  it('a message split over chunks of the default size, with an extended timestamp, comes out whole; a truncated chunk is held, not emitted', () => {
    const payload = Buffer.alloc(1000, 5);
    const bytes = writeRtmpChunks({ csid: 6, type: 9, streamId: 1, timestamp: 0x1234567, payload });
    const r = new RtmpChunkReader();
    expect(r.push(bytes.subarray(0, bytes.length - 1))).toEqual([]);
    expect(r.buffered).toBeLessThan(140);
    expect(r.push(bytes.subarray(bytes.length - 1))).toEqual([{ type: 9, streamId: 1, timestamp: 0x1234567, csid: 6, payload }]);
  });

  it('type 1/2/3 headers inherit the last header; Set Chunk Size applies to what follows', () => {
    const r = new RtmpChunkReader();
    const setSize = writeRtmpChunks({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.from([0, 0, 0x10, 0]) });
    const first = writeRtmpChunks({ csid: 6, type: 9, streamId: 1, timestamp: 100, payload: Buffer.alloc(3000, 1) }, 4096);
    const fmt2 = Buffer.concat([Buffer.from([(2 << 6) | 6, 0, 0, 40])]); // delta 40, same length/type/stream
    const out = r.push(Buffer.concat([setSize, first, fmt2, Buffer.alloc(3000, 2), Buffer.from([(3 << 6) | 6]), Buffer.alloc(3000, 3)]));
    expect(r.chunkSize).toBe(4096);
    expect(out.filter((m) => m.type === 9).map((m) => [m.timestamp, m.payload[0], m.payload.length])).toEqual([[100, 1, 3000], [140, 2, 3000], [180, 3, 3000]]);
  });

  it('oversized and malformed input is refused with its code', () => {
    const big = Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]); // a 16 MiB message announced
    expect(0xffffff).toBeGreaterThan(MAX_RTMP_MESSAGE_BYTES);
    expectCode(() => new RtmpChunkReader().push(big), 'RTMP_MESSAGE_TOO_LARGE');
    const size = (n: number) => writeRtmpChunks({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: Buffer.from([n >> 24, n >> 16, n >> 8, n & 0xff]) });
    expectCode(() => new RtmpChunkReader().push(size(MAX_RTMP_CHUNK_SIZE + 1)), 'RTMP_CHUNK_SIZE_TOO_LARGE');
    expectCode(() => new RtmpChunkReader().push(size(0)), 'RTMP_BAD_CHUNK');
    expectCode(() => new RtmpChunkReader().push(Buffer.from([(1 << 6) | 9, 0, 0, 0, 0, 0, 4, 9])), 'RTMP_BAD_CHUNK'); // type 1 on a new chunk stream
    // MAX + 1 chunk streams, each with a 200-byte message of which one 128-byte chunk arrived (left open).
    const open = (csid: number) => Buffer.concat([Buffer.from([csid, 0, 0, 0, 0, 0, 200, 9, 1, 0, 0, 0]), Buffer.alloc(128)]);
    expectCode(() => new RtmpChunkReader().push(Buffer.concat(Array.from({ length: MAX_RTMP_CHUNK_STREAMS + 1 }, (_, i) => open(3 + i)))), 'RTMP_TOO_MANY_CHUNK_STREAMS');
  });
});

describe('AMF0', () => {
  it('round-trips what the server sends', () => {
    const v = ['onStatus', 0, null, { level: 'status', code: 'NetStream.Publish.Start', n: 1.5, ok: true }, undefined, [1, 'a']];
    expect(decodeAmf0(encodeAmf0(...(v as Parameters<typeof encodeAmf0>)))).toEqual(v);
  });

  it('deep nesting, huge counts, unknown markers and truncation are refused: RTMP_BAD_AMF', () => {
    let deep = Buffer.from([5]);
    for (let i = 0; i <= MAX_AMF0_DEPTH + 1; i++) deep = Buffer.concat([Buffer.from([0x0a, 0, 0, 0, 1]), deep]);
    expectCode(() => decodeAmf0(deep), 'RTMP_BAD_AMF');
    expectCode(() => decodeAmf0(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff])), 'RTMP_BAD_AMF');
    expect(MAX_AMF0_ITEMS).toBeLessThan(0xffffffff);
    expectCode(() => decodeAmf0(Buffer.from([0x07, 0, 1])), 'RTMP_BAD_AMF'); // reference
    expectCode(() => decodeAmf0(Buffer.from([0x02, 0, 10, 0x41])), 'RTMP_BAD_AMF');
    expectCode(() => decodeAmf0(Buffer.from([0x0c, 0x7f, 0xff, 0xff, 0xff])), 'RTMP_BAD_AMF'); // a 2 GB long string announced
  });
});

describe('FlvVideoReader', () => {
  it('HEVC in enhanced RTMP (hvc1): VPS/SPS/PPS from the configuration record before the keyframe', () => {
    const vps = Buffer.from([0x40, 0x01, 0xaa]);
    const sps = Buffer.from([0x42, 0x01, 0xbb]);
    const pps = Buffer.from([0x44, 0x01, 0xcc]);
    const arr = (t: number, n: Buffer) => Buffer.concat([Buffer.from([0x80 | t, 0, 1, 0, n.length]), n]);
    const rec = Buffer.concat([Buffer.alloc(21), Buffer.from([0x03, 3]), arr(32, vps), arr(33, sps), arr(34, pps)]);
    const ex = (frameType: number, packetType: number, body: Buffer) => Buffer.concat([Buffer.from([0x80 | (frameType << 4) | packetType]), Buffer.from('hvc1', 'latin1'), body]);
    const r = new FlvVideoReader();
    expect(r.push(ex(1, 0, rec), 0)).toBeNull();
    const idr = Buffer.from([0x26, 0x01, 0xdd]);
    const sc = Buffer.from([0, 0, 0, 1]);
    expect(r.push(ex(1, 1, Buffer.concat([Buffer.from([0, 0, 0]), lp(idr)])), 40)).toEqual({ codec: 'h265', keyframe: true, dts: 40, pts: 40, data: Buffer.concat([sc, vps, sc, sps, sc, pps, sc, idr]) });
  });

  it('pictures before a sequence header are skipped; a NAL length past the tag is refused: RTMP_BAD_VIDEO', () => {
    const r = new FlvVideoReader();
    expect(r.push(avcTag(true, 1, 0, lp(IDR)), 0)).toBeNull();
    r.push(avcTag(true, 0, 0, avcConfig), 0);
    expectCode(() => r.push(avcTag(false, 1, 0, Buffer.from([0, 0, 1, 0, 0x41])), 40), 'RTMP_BAD_VIDEO');
    expectCode(() => r.push(avcTag(true, 0, 0, Buffer.from([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 50, 1])), 0), 'RTMP_BAD_VIDEO');
    expectCode(() => r.push(Buffer.from([0x17, 1]), 0), 'RTMP_BAD_VIDEO');
  });
});
