import { afterEach, describe, expect, it } from 'vitest';
import * as dgram from 'node:dgram';
import { PsDemuxer, TIMESTAMP_WRAP_90K, parseRtpPacket, type PsAccessUnit, type RtpPacket } from '@gb/gb28181';
import { PsRtpSender } from './ps-rtp.sender';

const IDR = Buffer.from([0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0x95, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21]);
const P = Buffer.from([0, 0, 0, 1, 0x41, 0x9a, 0x11, 0x22]);

let sock: dgram.Socket | undefined;
let sender: PsRtpSender | undefined;
afterEach(() => {
  sender?.close();
  sock?.close();
});

describe('PsRtpSender with startPts90k', () => {
  it('2^33 − 2 frames: PES PTS run 2^33−7200, 2^33−3600, 0, 3600 (wrapped modulo 2^33) and RTP timestamps are the same clock modulo 2^32', async () => {
    sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock!.bind(0, '127.0.0.1', r));
    const packets: RtpPacket[] = [];
    sock.on('message', (b) => packets.push(parseRtpPacket(b)));
    sender = new PsRtpSender({ transport: 'udp', remoteHost: '127.0.0.1', remotePort: sock.address().port, localHost: '127.0.0.1', ssrc: 7, startPts90k: TIMESTAMP_WRAP_90K - 7200 });
    await sender.bind();
    for (let i = 0; i < 4; i++) sender.send({ kind: 'video', data: i === 0 ? IDR : P, pts90k: i * 3600, keyframe: i === 0 });
    const deadline = Date.now() + 2000;
    while (packets.filter((p) => p.marker).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const demux = new PsDemuxer();
    const units: PsAccessUnit[] = [];
    for (const p of packets) units.push(...demux.push(p.payload, { lost: false, marker: p.marker }));
    const want = [TIMESTAMP_WRAP_90K - 7200, TIMESTAMP_WRAP_90K - 3600, 0, 3600];
    expect(units.filter((u) => u.kind === 'video').map((u) => u.pts)).toEqual(want);
    expect([...new Set(packets.map((p) => p.timestamp))]).toEqual(want.map((t) => t % 2 ** 32));
  });
});
