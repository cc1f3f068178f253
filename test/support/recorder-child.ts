// A recorder in a process of its own, for the kill -9 test (test/long/recording-chromium.spec.ts): ffmpeg's test pattern
// as H.264 at real time -> access units -> TsSegmentRecorder under argv[2] (one long segment). Prints each opened
// segment's path on stdout as `opened <relative path>`. Run with tsx; the test ends it with SIGKILL.
import { spawn } from 'node:child_process';
import { AnnexBAuSplitter, type SplitAccessUnit } from '../../libs/gb28181/src/media/annexb-au.splitter';
import { TsSegmentRecorder } from '../../apps/gateway/src/recording/ts-segment-recorder';

const root = process.argv[2];
if (!root) throw new Error('usage: recorder-child.ts <dir>');
const FPS = 25;
const recorder = new TsSegmentRecorder({ root, channelId: '34020000001320000099', segmentMs: 600_000, onOpened: (s) => process.stdout.write(`opened ${s.path}\n`) });
const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc2=size=320x180:rate=${FPS}`, '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', String(FPS), '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', '-'], { stdio: ['ignore', 'pipe', 'ignore'] });
const splitter = new AnnexBAuSplitter('h264', 4 * 1024 * 1024);
let frame = 0;
ffmpeg.stdout.on('data', (b: Buffer) => {
  const out: SplitAccessUnit[] = [];
  splitter.push(b, undefined, undefined, out);
  for (const au of out) {
    const t = 90_000 + frame++ * (90_000 / FPS);
    recorder.push({ kind: 'video', codec: 'h264', streamId: 0xe0, pts: t, dts: t, keyframe: au.keyframe, data: au.data });
  }
});
process.on('SIGTERM', () => {
  ffmpeg.kill('SIGKILL');
  process.exit(0);
});
