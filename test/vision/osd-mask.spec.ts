import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalisedRect } from '../../apps/vision-worker/src/contracts';
import { FfmpegFrameSource } from '../../apps/vision-worker/src/frames/ffmpeg-frame-source';
import { OSD_COVER_SHARE, OsdMaskLearner } from '../../apps/vision-worker/src/pipeline/osd-mask';

const MEDIA = resolve(process.cwd(), '../shared/media/traffic');
const STILL_42 = join(MEDIA, 'trancos_jam_cam1_000042.jpg');
const STILL_246 = join(MEDIA, 'trancos_jam_cam1_000246.jpg');
const STILL_13 = join(MEDIA, 'trancos_jam_cam1_000013.jpg');
const BGS = join(MEDIA, 'bgs_highway_cctv_video02.avi');
const CAR_PARK = join(MEDIA, 'intel_car-detection.mp4');

/** Measured by eye on the 640×480 TRANCOS cam1 stills (normalised): the camera's caption, the DGT logo, the date and time. */
const TRANCOS_CAPTION = { x1: 0.09, y1: 0.07, x2: 0.37, y2: 0.1 };
const TRANCOS_LOGO = { x1: 0.76, y1: 0.1, x2: 0.88, y2: 0.15 };
const TRANCOS_CLOCK = { x1: 0.76, y1: 0.87, x2: 0.93, y2: 0.93 };
/** The carriageways with the queue (below the caption band, above the time stamp). */
const TRANCOS_QUEUE = { x1: 0, y1: 0.2, x2: 1, y2: 0.85 };
/** A white car in 000246 that the date line partly overlays (YOLOX-Nano's box, 640×480 pixels): it must still count. */
const CAR_UNDER_DATE = { x1: 476, y1: 390, x2: 563, y2: 437 };
/** bgs_highway_cctv_video02: the white-on-black caption block in the top left. */
const BGS_BLOCK = { x1: 0.01, y1: 0.01, x2: 0.18, y2: 0.12 };

const centreIn = (r: NormalisedRect, zones: NormalisedRect[]) => {
  const cx = (r.x1 + r.x2) / 2;
  const cy = (r.y1 + r.y2) / 2;
  return zones.some((z) => cx >= z.x1 && cx <= z.x2 && cy >= z.y1 && cy <= z.y2);
};
const overlaps = (a: NormalisedRect, b: NormalisedRect) => Math.min(a.x2, b.x2) > Math.max(a.x1, b.x1) && Math.min(a.y2, b.y2) > Math.max(a.y1, b.y1);
const area = (zones: NormalisedRect[]) => zones.reduce((s, z) => s + (z.x2 - z.x1) * (z.y2 - z.y1), 0);

/**
 * OsdMaskLearner on real pictures through ffmpeg, the live decode path (≤ 640 wide): looped TRANCOS stills (every
 * pixel static, queued cars as static and high-contrast as the caption), the bgs highway (a 320×240 camera with a
 * white-on-black caption block), the car park clip (no OSD) and the car park with a caption, a running clock and a
 * logo drawn on by ffmpeg.
 */
describe('OSD finding on real pictures (ffmpeg)', () => {
  let tmp: string;
  beforeAll(async () => {
    const probe = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    if (probe.status !== 0 || !probe.stdout.includes('libx264')) throw new Error('this test needs ffmpeg with libx264 on PATH: apt-get install -y ffmpeg');
    tmp = await mkdtemp(join(tmpdir(), 'vision-osd-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  function encode(name: string, args: string[]): string {
    const clip = join(tmp, `${name}.mp4`);
    const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip], { encoding: 'utf8' });
    expect(enc.status, enc.stderr).toBe(0);
    return clip;
  }

  /** Zones after each frame, with the frame size. */
  async function run(input: string, fps: number, maxSeconds = Infinity): Promise<{ zones: NormalisedRect[][]; width: number; height: number; osd: OsdMaskLearner }> {
    const osd = new OsdMaskLearner();
    const zones: NormalisedRect[][] = [];
    let width = 0;
    let height = 0;
    const source = new FfmpegFrameSource(input, { fps });
    for await (const { t, frame } of source) {
      if (t > maxSeconds) break;
      osd.push(frame, t);
      zones.push(osd.zones());
      width = frame.width;
      height = frame.height;
    }
    source.close();
    return { zones, width, height, osd };
  }

  it('a jammed TRANCOS still looped for 8 s: the caption, the logo and the time stamp are found from the first frame, the queue never', async () => {
    for (const still of [STILL_42, STILL_13]) {
      const { zones } = await run(encode('still', ['-loop', '1', '-i', still, '-t', '8', '-r', '1']), 1);
      expect(zones.length).toBeGreaterThanOrEqual(7);
      for (const z of zones) {
        expect(centreIn(TRANCOS_CAPTION, z), JSON.stringify(z)).toBe(true);
        expect(centreIn(TRANCOS_LOGO, z), JSON.stringify(z)).toBe(true);
        expect(centreIn(TRANCOS_CLOCK, z), JSON.stringify(z)).toBe(true);
        expect(z.filter((r) => overlaps(r, TRANCOS_QUEUE))).toEqual([]);
        expect(area(z)).toBeLessThan(0.05);
      }
    }
  }, 30_000);

  it('TRANCOS 000246 looped: the time stamp is found, and the white car the date line overlays is not masked', async () => {
    const { zones, osd, width, height } = await run(encode('still246', ['-loop', '1', '-i', STILL_246, '-t', '6', '-r', '1']), 1);
    expect(centreIn(TRANCOS_CLOCK, zones.at(-1)!)).toBe(true);
    expect(osd.covers(CAR_UNDER_DATE, width, height)).toBeLessThan(OSD_COVER_SHARE);
  }, 20_000);

  it('bgs_highway_cctv_video02 (320×240, 5 frames/s): the caption block in the top left is found within 2 s and kept', async () => {
    const { zones, width } = await run(BGS, 5, 6);
    expect(width).toBe(320);
    zones.slice(10).forEach((z) => expect(centreIn(BGS_BLOCK, z), JSON.stringify(z)).toBe(true));
  }, 20_000);

  it('intel_car-detection (a car park, no OSD): no zone in any frame of 10 s', async () => {
    const { zones } = await run(CAR_PARK, 5, 10);
    expect(zones.length).toBeGreaterThanOrEqual(45);
    zones.forEach((z) => expect(z).toEqual([]));
  }, 20_000);

  const font = spawnSync('fc-match', ['-f', '%{file}', 'DejaVu Sans:bold'], { encoding: 'utf8' });
  const fontFile = font.status === 0 ? font.stdout.trim() : '';
  it('the car park with a caption, a running clock and the DGT logo drawn on: all three found from the first frame on', async () => {
    if (!fontFile) throw new Error('this test draws a caption with ffmpeg drawtext and needs a font: apt-get install -y fontconfig fonts-dejavu-core');
    const esc = fontFile.replace(/\\/g, '/').replace(/:/g, '\\:');
    const clip = encode('drawn', [
      '-i', CAR_PARK, '-i', STILL_13, '-t', '8',
      '-filter_complex',
      `[1]crop=110:50:460:30[logo];[0]scale=640:-2[v];[v][logo]overlay=520:10,` +
        `drawtext=fontfile='${esc}':text='CAM 07 NORTH GATE':x=12:y=12:fontsize=18:fontcolor=white:borderw=2:bordercolor=black,` +
        `drawtext=fontfile='${esc}':text='%{pts\\:hms}':x=w-tw-12:y=h-th-12:fontsize=18:fontcolor=yellow:box=1:boxcolor=black@0.6`,
    ]);
    const { zones } = await run(clip, 5);
    expect(zones.length).toBeGreaterThanOrEqual(35);
    const caption = { x1: 0.03, y1: 0.04, x2: 0.34, y2: 0.08 };
    const clock = { x1: 0.77, y1: 0.93, x2: 0.97, y2: 0.97 };
    const logo = { x1: 0.82, y1: 0.04, x2: 0.98, y2: 0.15 };
    for (const z of zones) {
      expect(centreIn(caption, z), JSON.stringify(z)).toBe(true);
      expect(centreIn(clock, z), JSON.stringify(z)).toBe(true);
      expect(centreIn(logo, z), JSON.stringify(z)).toBe(true);
    }
  }, 20_000);
});
