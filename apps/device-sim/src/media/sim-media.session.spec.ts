import { describe, it, expect, afterEach } from 'vitest';
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PsDemuxer, Rfc4571Framer, parseRtpPacket, type PsAccessUnit, type RtpPacket } from '@gb/gb28181';
import { SimMediaSession } from './sim-media.session';
import { ffmpegPath } from './ffmpeg-path';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function requireFfmpeg(): void {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.includes('libx265') || !r.stdout.includes('libx264')) {
    throw new Error(`this test needs ffmpeg with libx264 and libx265: install it (apt-get install ffmpeg) or set FFMPEG_PATH (tried "${ffmpegPath()}")`);
  }
}

function demux(packets: RtpPacket[]): PsAccessUnit[] {
  const d = new PsDemuxer();
  return packets.flatMap((p) => d.push(p.payload, { lost: false, marker: p.marker }));
}

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SimMediaSession', () => {
  it('TCP active (device listens): the platform connects to the bound port and receives RFC 4571-framed PS with H.265 video and G.711 A-law audio', async () => {
    requireFfmpeg();
    const s = new SimMediaSession({
      kind: 'Play', source: { codec: 'h265', audio: 'g711a', width: 320, height: 180 },
      sender: { transport: 'tcp-listen', remoteHost: '127.0.0.1', remotePort: 9, localHost: '127.0.0.1', ssrc: 1234, video: 'h265', audio: 'g711a' },
    });
    cleanups.push(() => s.stop());
    const port = await s.bind();
    expect(port).toBeGreaterThan(0);
    void s.start();
    const sock = net.connect({ host: '127.0.0.1', port });
    cleanups.push(() => sock.destroy());
    const framer = new Rfc4571Framer({ maxFrameBytes: 65535 });
    const packets: RtpPacket[] = [];
    sock.on('data', (c) => packets.push(...framer.push(c).map((f) => parseRtpPacket(f))));
    await until('40 RTP packets', () => packets.length >= 40, 10_000);
    expect(packets.every((p) => p.ssrc === 1234 && p.payloadType === 96)).toBe(true);
    const units = demux(packets);
    expect(units.some((u) => u.kind === 'video' && u.codec === 'h265' && u.keyframe)).toBe(true);
    expect(units.some((u) => u.kind === 'audio' && u.codec === 'g711a' && u.data.length === 160)).toBe(true);
  });

  it('Download at speed 4 of a 2 s range from a file sends the range faster than real time, then calls onEnd once', async () => {
    requireFfmpeg();
    const rtp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
    cleanups.push(() => rtp.close());
    const packets: RtpPacket[] = [];
    const at: number[] = [];
    rtp.on('message', (m) => {
      packets.push(parseRtpPacket(m));
      at.push(Date.now());
    });
    let ended = 0;
    const s = new SimMediaSession({
      kind: 'Download', scale: 4, rangeStart: 1_700_000_000, rangeEnd: 1_700_000_002,
      source: { file: resolve(process.cwd(), '../shared/media/traffic/intel_car-detection.mp4'), width: 320, height: 180 },
      sender: { transport: 'udp', remoteHost: '127.0.0.1', remotePort: rtp.address().port, localHost: '127.0.0.1', ssrc: 1 },
      onEnd: () => ended++,
    });
    cleanups.push(() => s.stop());
    await s.bind();
    await s.start();
    await until('onEnd', () => ended > 0, 10_000);
    const videoUnits = demux(packets).filter((u) => u.kind === 'video');
    // 2 s at 25 fps: 50 frames, sent at 4x: first to last packet well under the 1.96 s real time would take
    expect(videoUnits.length).toBeGreaterThanOrEqual(48);
    expect(videoUnits.length).toBeLessThanOrEqual(51);
    expect(s.positionS).toBeGreaterThan(1.9);
    expect(at.at(-1)! - at[0]!).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 100));
    expect(ended).toBe(1);
  });
});
