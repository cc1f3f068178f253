/**
 * OSD finding (OsdMaskLearner) on the shared media: zones found, how many vehicle boxes of YOLOX-Nano fall in
 * them (covers ≥ OSD_COVER_SHARE), and the cost of push(). Clips are made with ffmpeg in a temporary folder.
 *
 *   npx tsx bench/vision-osd.measure.ts [--no-model] [--png DIR]
 *
 * --png DIR writes each input's last frame with the zones (green) and the masked boxes (magenta) drawn on.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findFfmpeg } from '@gb/runtime';
import type { NormalisedRect } from '../apps/vision-worker/src/contracts';
import { FfmpegFrameSource } from '../apps/vision-worker/src/frames/ffmpeg-frame-source';
import type { RgbFrame } from '../apps/vision-worker/src/frames/rgb-frame';
import { isVehicle } from '../apps/vision-worker/src/model/classes';
import type { Detection } from '../apps/vision-worker/src/model/detection';
import { OnnxDetector } from '../apps/vision-worker/src/model/onnx-detector';
import { OSD_COVER_SHARE, OsdMaskLearner } from '../apps/vision-worker/src/pipeline/osd-mask';

const MEDIA = resolve(process.cwd(), '../shared/media/traffic');
const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
/** The live path's lowest box score (FramePipeline: min(still lowScore, tracker lowScore)). */
const LOW_SCORE = 0.05;
/** Boxes at least this strong are listed when masked (weaker ones are mostly noise). */
const LIST_SCORE = 0.25;

interface Input {
  name: string;
  fps: number;
  /** ffmpeg input arguments of a clip to make, or a file to read as it is. */
  make?: string[];
  file?: string;
}

function inputs(): Input[] {
  const still = (s: string): Input => ({ name: `${s} looped 20 s`, fps: 1, make: ['-loop', '1', '-i', join(MEDIA, `trancos_jam_${s}.jpg`), '-t', '20', '-r', '1'] });
  const font = spawnSync('fc-match', ['-f', '%{file}', 'DejaVu Sans:bold'], { encoding: 'utf8' }).stdout?.trim().replace(/:/g, '\\:');
  const list: Input[] = [
    ...['cam1_000013', 'cam1_000042', 'cam1_000165', 'cam1_000246', 'cam1_000378', 'cam3_000307'].map(still),
    { name: 'cam1_000042 cropped 640x360 from y 90 (queue near the top)', fps: 1, make: ['-loop', '1', '-i', join(MEDIA, 'trancos_jam_cam1_000042.jpg'), '-t', '10', '-r', '1', '-vf', 'crop=640:360:0:90'] },
    { name: 'cam1_000042 under a 40 px/s pan', fps: 5, make: ['-loop', '1', '-i', join(MEDIA, 'trancos_jam_cam1_000042.jpg'), '-t', '10', '-r', '10', '-vf', 'crop=400:360:x=t*40:y=60'] },
    { name: 'bgs_highway_cctv_video02 5 fps', fps: 5, file: join(MEDIA, 'bgs_highway_cctv_video02.avi') },
    { name: 'bgs_highway_cctv_video02 1 fps', fps: 1, file: join(MEDIA, 'bgs_highway_cctv_video02.avi') },
    { name: 'intel_car-detection 5 fps', fps: 5, file: join(MEDIA, 'intel_car-detection.mp4') },
  ];
  if (font) {
    list.push({
      name: 'intel + drawn caption, clock, DGT logo 5 fps',
      fps: 5,
      make: ['-i', join(MEDIA, 'intel_car-detection.mp4'), '-i', join(MEDIA, 'trancos_jam_cam1_000013.jpg'), '-t', '20', '-filter_complex',
        `[1]crop=110:50:460:30[logo];[0]scale=640:-2[v];[v][logo]overlay=520:10,` +
        `drawtext=fontfile='${font}':text='CAM 07 NORTH GATE':x=12:y=12:fontsize=18:fontcolor=white:borderw=2:bordercolor=black,` +
        `drawtext=fontfile='${font}':text='%{pts\\:hms}':x=w-tw-12:y=h-th-12:fontsize=18:fontcolor=yellow:box=1:boxcolor=black@0.6`],
    });
  }
  return list;
}

const fmt = (z: NormalisedRect) => `(${z.x1.toFixed(2)},${z.y1.toFixed(2)})-(${z.x2.toFixed(2)},${z.y2.toFixed(2)})`;
const box = (d: Detection) => `${d.label} ${d.score.toFixed(2)} [${Math.round(d.x1)},${Math.round(d.y1)},${Math.round(d.x2)},${Math.round(d.y2)}]`;

async function main(): Promise<void> {
  const noModel = process.argv.includes('--no-model');
  const pngAt = process.argv.indexOf('--png');
  const pngDir = pngAt > 0 ? process.argv[pngAt + 1] : '';
  const ffmpeg = findFfmpeg()!;
  const detector = noModel ? null : await OnnxDetector.load(MODEL, { intraOpThreads: 1 });
  const tmp = mkdtempSync(join(tmpdir(), 'osd-measure-'));
  try {
    for (const [n, input] of inputs().entries()) {
      let file = input.file!;
      if (input.make) {
        file = join(tmp, `${n}.mp4`);
        execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...input.make, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', file]);
      }
      const osd = new OsdMaskLearner();
      let frames = 0, withZones = 0, boxes = 0, masked = 0, cpuUs = 0, maxUs = 0;
      const strongMasked = new Map<string, number>();
      const seen = new Set<string>();
      let last: { frame: RgbFrame; hidden: Detection[] } | null = null;
      for await (const { t, frame } of new FfmpegFrameSource(file, { fps: input.fps })) {
        const c0 = process.cpuUsage();
        osd.push(frame, t);
        const c = process.cpuUsage(c0);
        cpuUs += c.user + c.system;
        maxUs = Math.max(maxUs, c.user + c.system);
        frames++;
        const zones = osd.zones();
        if (zones.length) withZones++;
        zones.forEach((z) => seen.add(fmt(z)));
        const dets = detector ? (await detector.detect(frame, { scoreThreshold: LOW_SCORE })).filter((d) => isVehicle(d.label)) : [];
        const hidden = dets.filter((d) => osd.covers(d, frame.width, frame.height) >= OSD_COVER_SHARE);
        boxes += dets.length;
        masked += hidden.length;
        hidden.filter((d) => d.score >= LIST_SCORE).forEach((d) => strongMasked.set(box(d), (strongMasked.get(box(d)) ?? 0) + 1));
        last = { frame, hidden };
      }
      const size = last ? `${last.frame.width}x${last.frame.height}` : '-';
      console.log(`\n${input.name}: ${frames} frames ${size}, push ${(cpuUs / frames / 1000).toFixed(2)} ms CPU mean (max ${(maxUs / 1000).toFixed(1)})`);
      console.log(`  zones at the end: ${osd.zones().map(fmt).join(' ') || 'none'}; frames with zones ${withZones}/${frames}; distinct zones seen ${seen.size}`);
      if (detector) {
        console.log(`  vehicle boxes ≥ ${LOW_SCORE}: ${boxes}, masked ${masked}; masked ≥ ${LIST_SCORE}: ${[...strongMasked].map(([b, k]) => `${b} ×${k}`).join('; ') || 'none'}`);
      }
      if (pngDir && last) writePng(join(pngDir, `osd-${n}.png`), last.frame, osd.zones(), last.hidden, ffmpeg);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    await detector?.close();
  }
}

function writePng(path: string, frame: RgbFrame, zones: NormalisedRect[], hidden: Detection[], ffmpeg: string): void {
  const { width: W, height: H } = frame;
  const img = Buffer.from(frame.data);
  const rect = (x1: number, y1: number, x2: number, y2: number, c: number[]) => {
    const [a, b, cc, d] = [Math.max(0, Math.round(x1)), Math.max(0, Math.round(y1)), Math.min(W - 1, Math.round(x2) - 1), Math.min(H - 1, Math.round(y2) - 1)];
    for (let x = a; x <= cc; x++) [b, d].forEach((y) => img.set(c, (y * W + x) * 3));
    for (let y = b; y <= d; y++) [a, cc].forEach((x) => img.set(c, (y * W + x) * 3));
  };
  zones.forEach((z) => rect(z.x1 * W, z.y1 * H, z.x2 * W, z.y2 * H, [0, 255, 0]));
  hidden.forEach((d) => rect(d.x1, d.y1, d.x2, d.y2, [255, 0, 255]));
  const ppm = `${path}.ppm`;
  writeFileSync(ppm, Buffer.concat([Buffer.from(`P6 ${W} ${H} 255\n`), img]));
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', ppm, path]);
  rmSync(ppm);
}

void main();
