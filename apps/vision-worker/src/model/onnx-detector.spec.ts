import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageFile } from '../frames/image-file';
import type { Detection } from './detection';
import { OnnxDetector } from './onnx-detector';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
const MEDIA = resolve(process.cwd(), '../shared/media/traffic');

/** [label, x1, y1, x2, y2] hand-checked on a drawing of the boxes (threshold 0.3, one tile). */
type Pinned = [Detection['label'], number, number, number, number];

function expectBox(found: Detection[], [label, x1, y1, x2, y2]: Pinned): void {
  const hit = found.find((d) => d.label === label && Math.abs(d.x1 - x1) <= 4 && Math.abs(d.y1 - y1) <= 4 && Math.abs(d.x2 - x2) <= 4 && Math.abs(d.y2 - y2) <= 4);
  expect(hit, `${label} near [${x1},${y1},${x2},${y2}]`).toBeDefined();
}

describe('OnnxDetector with the real YOLOX-Nano model', () => {
  let det: OnnxDetector;
  let tmp: string;
  beforeAll(async () => {
    det = await OnnxDetector.load(MODEL);
    tmp = await mkdtemp(join(tmpdir(), 'vision-det-'));
  });
  afterAll(async () => {
    await det.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('detect() on trancos_jam_cam1_000042 finds 15 ±2 vehicles, the nearest cars where drawn', async () => {
    const found = await det.detect(await readImageFile(join(MEDIA, 'trancos_jam_cam1_000042.jpg')), { scoreThreshold: 0.3 });
    expect(found.length).toBeGreaterThanOrEqual(13);
    expect(found.length).toBeLessThanOrEqual(17);
    expect(found.every((d) => d.label !== 'person')).toBe(true);
    expectBox(found, ['car', 8, 407, 68, 448]);
    expectBox(found, ['car', 259, 435, 318, 476]);
    expectBox(found, ['car', 136, 368, 190, 412]);
  });

  it('detect() on vn_dense_8004 (1920×1080) finds 40 ±4 boxes: motorcycles, cars and riders where drawn', async () => {
    const found = await det.detect(await readImageFile(join(MEDIA, 'vn_dense_8004.jpg')), { scoreThreshold: 0.3 });
    expect(found.length).toBeGreaterThanOrEqual(36);
    expect(found.length).toBeLessThanOrEqual(44);
    expectBox(found, ['motorcycle', 194, 375, 387, 559]);
    expectBox(found, ['motorcycle', 422, 724, 636, 959]);
    expectBox(found, ['car', 87, 135, 280, 342]);
    expectBox(found, ['person', 1564, 302, 1641, 474]);
    expect(found.filter((d) => d.label === 'motorcycle').length).toBeGreaterThanOrEqual(20);
  });

  it('detect() with tiles 2 finds more of the distant TRANCOS cars than one pass', async () => {
    const frame = await readImageFile(join(MEDIA, 'trancos_jam_cam1_000042.jpg'));
    const one = await det.detect(frame, { scoreThreshold: 0.3, tiles: 1 });
    const four = await det.detect(frame, { scoreThreshold: 0.3, tiles: 2 });
    expect(four.length).toBeGreaterThan(one.length * 1.5);
  });

  it('detect() on a 25 %-brightness, low-contrast copy of a jam still returns boxes without throwing (fewer or equal)', async () => {
    const { data, info } = await sharp(join(MEDIA, 'trancos_jam_cam1_000042.jpg')).linear(0.25, 5).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const dark = await det.detect({ width: info.width, height: info.height, data }, { scoreThreshold: 0.3 });
    const normal = await det.detect(await readImageFile(join(MEDIA, 'trancos_jam_cam1_000042.jpg')), { scoreThreshold: 0.3 });
    expect(Array.isArray(dark)).toBe(true);
    expect(dark.length).toBeLessThanOrEqual(normal.length);
  });

  it('detect() of a frame whose buffer is short fails with VISION_FRAME_INVALID and the detector keeps working', async () => {
    await expect(det.detect({ width: 100, height: 100, data: Buffer.alloc(100) })).rejects.toMatchObject({ code: 'VISION_FRAME_INVALID' });
    expect(await det.detect({ width: 64, height: 48, data: Buffer.alloc(64 * 48 * 3, 128) })).toEqual([]);
  });

  it('OnnxDetector.load() of a missing file fails with VISION_MODEL_NOT_FOUND', async () => {
    await expect(OnnxDetector.load(join(tmp, 'nope.onnx'))).rejects.toMatchObject({ code: 'VISION_MODEL_NOT_FOUND' });
  });

  it('OnnxDetector.load() of a corrupt file fails with VISION_MODEL_UNREADABLE', async () => {
    const bad = join(tmp, 'bad.onnx');
    await writeFile(bad, Buffer.from('this is not a protobuf model'.repeat(10)));
    await expect(OnnxDetector.load(bad)).rejects.toMatchObject({ code: 'VISION_MODEL_UNREADABLE' });
  });

  it('readImageFile() of a truncated JPEG fails with VISION_IMAGE_UNREADABLE', async () => {
    const bytes = await sharp(join(MEDIA, 'trancos_jam_cam1_000042.jpg')).jpeg().toBuffer();
    await expect(readImageFile(bytes.subarray(0, 200))).rejects.toMatchObject({ code: 'VISION_IMAGE_UNREADABLE' });
  });
});
