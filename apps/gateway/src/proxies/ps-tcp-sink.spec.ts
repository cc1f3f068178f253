import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PsDemuxer, Rfc4571Framer, parseRtpPacket, type PsAccessUnit } from '@gb/gb28181';
import { PsTcpSink, type IngestUnit } from './proxy-ingest';

/** A receiver like the stream session's passive TCP port: RFC 4571 → RTP → PS demux; collects the access units. */
async function receiver(): Promise<{ port: number; units: PsAccessUnit[]; demuxer: PsDemuxer; server: net.Server }> {
  const units: PsAccessUnit[] = [];
  const demuxer = new PsDemuxer();
  const server = net.createServer((sock) => {
    const framer = new Rfc4571Framer();
    sock.on('data', (d: Buffer) => {
      for (const f of framer.push(d)) {
        const rtp = parseRtpPacket(f);
        units.push(...demuxer.push(rtp.payload, { marker: rtp.marker }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, units, demuxer, server };
}

const IDR = Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0x8c, 0x8d, 0x40, 0x50, 0x1e, 0x90, 0x80, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21]);
const P = Buffer.from([0, 0, 0, 1, 0x41, 0x9a, 0x22, 0x33]);
/** One ADTS frame, AAC-LC 16 kHz mono, with a silent raw block. */
const ADTS = Buffer.from([0xff, 0xf1, 0x60, 0x40, 0x01, 0x9f, 0xfc, 0x00, 0xc8, 0x00, 0x80, 0x23, 0x80]);

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup) f();
  cleanup = [];
});

const until = async (f: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('PsTcpSink: a proxy\'s units as PS over RTP/RFC 4571, as a GB camera sends them', () => {
  it('audio before the first keyframe is dropped; the keyframe\'s PSM declares AAC; audio frames then arrive as AAC units with their timestamps', async () => {
    const r = await receiver();
    const sink = new PsTcpSink('127.0.0.1', r.port, 1234);
    cleanup.push(() => sink.close(), () => r.server.close());
    await sink.connect();
    const v = (data: Buffer, keyframe: boolean, pts90k: number): IngestUnit => ({ data, keyframe, pts90k, codec: 'h264', audio: 'aac' } as IngestUnit);
    sink.sendAudio({ codec: 'aac', data: ADTS, pts90k: 0 }); // no keyframe yet: dropped
    sink.send(v(IDR, true, 3600));
    sink.sendAudio({ codec: 'aac', data: ADTS, pts90k: 5760 });
    sink.sendAudio({ codec: 'g711a', data: Buffer.alloc(160), pts90k: 6000 }); // not the declared codec: dropped
    sink.send(v(P, false, 7200));
    sink.sendAudio({ codec: 'aac', data: ADTS, pts90k: 11520 });
    sink.send(v(P, false, 10800));
    await until(() => r.units.filter((u) => u.kind === 'video').length >= 2 && r.units.filter((u) => u.kind === 'audio').length >= 2);
    expect(r.demuxer.streams.find((s) => s.kind === 'audio')).toMatchObject({ codec: 'aac', source: 'psm' });
    expect(r.units.filter((u) => u.kind === 'audio').map((u) => [u.codec, u.pts])).toEqual([['aac', 5760], ['aac', 11520]]);
    expect(r.units.find((u) => u.kind === 'video')).toMatchObject({ keyframe: true, pts: 3600 });
  });

  it('a video-only source: the PSM names no audio (the stream gets no audio track)', async () => {
    const r = await receiver();
    const sink = new PsTcpSink('127.0.0.1', r.port, 1);
    cleanup.push(() => sink.close(), () => r.server.close());
    await sink.connect();
    sink.send({ data: IDR, keyframe: true, pts90k: 0, codec: 'h264' } as IngestUnit);
    sink.send({ data: P, keyframe: false, pts90k: 3600, codec: 'h264' } as IngestUnit);
    sink.send({ data: P, keyframe: false, pts90k: 7200, codec: 'h264' } as IngestUnit);
    await until(() => r.units.length >= 1);
    expect(r.demuxer.streams.map((s) => s.kind)).toEqual(['video']);
  });
});
