// Media benchmarks: PS demux throughput on a 2 Mb/s H.264 camera-like stream, RTP parse rate.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packetizePs, parseRtpPacket, PsDemuxer, PsMuxer, serializeRtpPacket } from '../libs/gb28181/src/media';
import type { BenchResult } from './bench-result';

const GROUP = 'media';

/** 10 s of 1280x720 25 fps H.264 at 2 Mb/s, muxed the way cameras do, cut into 1400-byte RTP payloads. */
function makeStream(): { payloads: Buffer[]; bytes: number; frames: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ps-bench-'));
  try {
    const es = join(dir, 'in.h264');
    execFileSync('/usr/bin/ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '10',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '2M', '-maxrate', '2M', '-bufsize', '1M', '-g', '50', '-bf', '0', '-f', 'h264', es]);
    const packets = JSON.parse(execFileSync('/usr/bin/ffprobe', ['-v', 'error', '-show_packets', '-show_entries', 'packet=pos,size,flags', '-of', 'json', es], { encoding: 'utf8' }))
      .packets as { pos: string; size: string; flags: string }[];
    const data = readFileSync(es);
    const m = new PsMuxer({ video: 'h264' });
    const payloads = packets.flatMap((p, i) => packetizePs(m.muxVideo(data.subarray(+p.pos, +p.pos + +p.size), i * 3600, p.flags.startsWith('K'))));
    return { payloads, bytes: payloads.reduce((n, b) => n + b.length, 0), frames: packets.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function timeIt(minMs: number, fn: () => void): { iterations: number; seconds: number } {
  fn(); // warm-up
  let iterations = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    iterations++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return { iterations, seconds: elapsed / 1000 };
}

export async function run(): Promise<BenchResult[]> {
  const { payloads, bytes, frames } = makeStream();
  let units = 0;
  const demux = timeIt(3000, () => {
    const d = new PsDemuxer();
    for (const p of payloads) units += d.push(p).length;
    units += d.flush().length;
  });
  const mb = bytes / 1e6;
  const copy = Buffer.allocUnsafe(Math.max(...payloads.map((p) => p.length)));
  const memcpy = timeIt(1000, () => {
    for (const p of payloads) p.copy(copy);
  });
  const rtp = payloads.slice(0, 2000).map((p, i) => serializeRtpPacket({ payloadType: 96, sequenceNumber: i & 0xffff, timestamp: i * 90, ssrc: 200000001, marker: i % 7 === 0, payload: p }));
  let sink = 0;
  const parse = timeIt(1500, () => {
    for (const b of rtp) sink += parseRtpPacket(b).payload.length;
  });
  if (sink === 0 || units === 0) throw new Error('benchmark produced nothing');
  const demuxMBs = (mb * demux.iterations) / demux.seconds;
  return [
    {
      group: GROUP, name: 'PS demux throughput (2 Mb/s H.264 720p, 1400-byte payloads)', value: +demuxMBs.toFixed(1), unit: 'MB/s',
      baseline: { name: 'memcpy of the same payloads', value: +((mb * memcpy.iterations) / memcpy.seconds).toFixed(1) },
      note: `line rate of one stream is 0.25 MB/s, so one core demuxes ~${Math.round(demuxMBs / 0.25)} such streams`,
    },
    { group: GROUP, name: 'PS demux access units', value: Math.round((frames * demux.iterations) / demux.seconds), unit: 'units/s' },
    { group: GROUP, name: 'RTP parse', value: Math.round((rtp.length * parse.iterations) / parse.seconds), unit: 'packets/s' },
  ];
}
