import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnexBAuSplitter, isH264Keyframe, type PsAccessUnit, type SplitAccessUnit } from '@gb/gb28181';
import { findFfmpeg } from '@gb/runtime';
import { ffmpegArgs } from '../apps/device-sim/src/media/media-source';
import { InternalHlsRemuxer } from '../apps/gateway/src/media/internal-hls-remuxer';

async function main(): Promise<void> {
  for (const [w, h] of [[640, 360], [1280, 720]] as const) {
    const es = execFileSync(findFfmpeg()!, ffmpegArgs({ width: w, height: h, durationS: 12 }), { maxBuffer: 256 << 20 });
    const split = new AnnexBAuSplitter('h264', 8 << 20);
    const out: SplitAccessUnit[] = [];
    split.push(es, undefined, undefined, out);
    split.push(Buffer.from([0, 0, 0, 1, 0x09, 0xf0]), undefined, undefined, out);
    const dir = mkdtempSync(join(tmpdir(), 'hlsmem-'));
    const r = new InternalHlsRemuxer({ hlsDir: join(dir, 's') });
    out.forEach((u, i) => r.write({ kind: 'video', codec: 'h264', pts: i * 3600, keyframe: isH264Keyframe(u.data), data: u.data } as PsAccessUnit));
    await r.idle();
    const sizes = r.hls.segmentNames.map((n) => r.hls.segment(n)!.length);
    console.log(`${w}x${h} simulator pattern: ${(es.length * 8 / 12 / 1000).toFixed(0)} kb/s; segments in memory ${sizes.length} (${sizes.map((s) => (s / 1024).toFixed(0)).join(', ')} KiB) = ${(r.hls.memoryBytes / 1024).toFixed(0)} KiB; playlist lists ${r.hls.playlist!.split('\n').filter((l) => l.endsWith('.ts')).length}`);
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
void main();
