import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const MEDIA = resolve(ROOT, '../shared/media/traffic');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
const CLI = resolve(ROOT, 'apps/vision-worker/src/eval/eval.cli.ts');

interface Line { t: number; roi: string; index: number; level: string; vehicles: number; persons: number; file?: string; boxes?: [string, number, number, number, number, number][] }

/** Runs the eval command the way `npm run vision:eval -- …` does (tsx on the CLI file). */
function runEval(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; lines: Line[]; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('error', fail);
    child.on('close', (code) => done({ code, lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line), stderr: err }));
  });
}

const share = (lines: Line[], levels: string[]) => lines.filter((l) => levels.includes(l.level)).length / lines.length;

function iou(a: number[], b: number[]): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  return (iw * ih) / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - iw * ih);
}

describe('vision:eval command with the real model', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'vision-eval-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('eval of intel_car-detection.mp4 (0–2 cars in a car-park lane) prints JSON lines that read free in ≥ 95 % of frames', async () => {
    const r = await runEval([join(MEDIA, 'intel_car-detection.mp4'), '--fps', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.length).toBeGreaterThanOrEqual(140);
    expect(Object.keys(r.lines[0]).slice(0, 6)).toEqual(['t', 'roi', 'index', 'level', 'vehicles', 'persons']);
    expect(r.lines[1].t).toBeCloseTo(0.2, 6);
    expect(share(r.lines, ['free'])).toBeGreaterThanOrEqual(0.95);
  }, 60_000);

  it('eval of bgs_highway_cctv_video02.avi (free-flowing dual carriageway) reads free in ≥ 90 % of frames at 5 frames/s, never heavy/severe', async () => {
    const r = await runEval([join(MEDIA, 'bgs_highway_cctv_video02.avi')]);
    expect(r.code, r.stderr).toBe(0);
    expect(share(r.lines, ['free'])).toBeGreaterThanOrEqual(0.9);
    expect(share(r.lines, ['heavy', 'severe'])).toBe(0);
    expect(Math.max(...r.lines.map((l) => l.vehicles))).toBeGreaterThanOrEqual(5);
  }, 60_000);

  it('eval of the same clip at the live default of 1 frame/s (fast cars too far apart to track) reads free in ≥ 80 %, never heavy/severe', async () => {
    const r = await runEval([join(MEDIA, 'bgs_highway_cctv_video02.avi'), '--fps', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.length).toBe(30);
    expect(share(r.lines, ['free'])).toBeGreaterThanOrEqual(0.8);
    expect(share(r.lines, ['heavy', 'severe'])).toBe(0);
  }, 60_000);

  it('eval of the TRANCOS jam stills as a folder reads heavy or severe for all 6 (one file field each)', async () => {
    const dir = join(tmp, 'trancos');
    await rm(dir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    const names = ['cam1_000013', 'cam1_000042', 'cam1_000165', 'cam1_000246', 'cam1_000378', 'cam3_000307'].map((n) => `trancos_jam_${n}.jpg`);
    for (const n of names) await symlink(join(MEDIA, n), join(dir, n));
    const r = await runEval([dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.map((l) => l.file).sort()).toEqual(names.sort());
    const jammed = r.lines.filter((l) => l.level === 'heavy' || l.level === 'severe');
    expect(jammed.length, JSON.stringify(r.lines.map((l) => [l.file, l.level, l.vehicles]))).toBe(6);
  }, 60_000);

  it('eval of vn_dense_8004.jpg finds ≥ 70 % of its 35 labelled vehicles at IoU 0.5 (one-to-one)', async () => {
    const r = await runEval([join(MEDIA, 'vn_dense_8004.jpg'), '--boxes']);
    expect(r.code, r.stderr).toBe(0);
    const xml = await readFile(join(MEDIA, 'vn_dense_8004.xml'), 'utf8');
    const labels = [...xml.matchAll(/<xmin>(\d+)<\/xmin>\s*<ymin>(\d+)<\/ymin>\s*<xmax>(\d+)<\/xmax>\s*<ymax>(\d+)<\/ymax>/g)].map((m) => m.slice(1, 5).map(Number));
    expect(labels).toHaveLength(35);
    const dets = r.lines[0].boxes!.filter((b) => b[0] !== 'person').map((b) => [b[2] * 1920, b[3] * 1080, b[4] * 1920, b[5] * 1080]);
    const used = new Set<number>();
    let hits = 0;
    for (const lab of labels) {
      let best = -1;
      let bestIou = 0.5;
      dets.forEach((d, i) => {
        const v = iou(lab, d);
        if (!used.has(i) && v >= bestIou) [best, bestIou] = [i, v];
      });
      if (best >= 0) {
        used.add(best);
        hits++;
      }
    }
    expect(hits / labels.length).toBeGreaterThanOrEqual(0.7);
    expect(r.lines[0].level).toBe('severe');
  }, 60_000);

  it('eval of a folder with a corrupt image reports VISION_IMAGE_UNREADABLE for it, scores the others (a darkened still too) and exits 1', async () => {
    const dir = join(tmp, 'mixed');
    await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
    await writeFile(join(dir, 'a_corrupt.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]));
    await sharp(join(MEDIA, 'trancos_jam_cam1_000165.jpg')).linear(0.2, 0).toFile(join(dir, 'b_night.png'));
    await symlink(join(MEDIA, 'trancos_jam_cam1_000165.jpg'), join(dir, 'c_day.jpg'));
    const r = await runEval([dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/VISION_IMAGE_UNREADABLE: cannot decode image .*a_corrupt\.jpg/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.lines.map((l) => l.file)).toEqual(['b_night.png', 'c_day.jpg']);
    const [night, day] = r.lines;
    expect(night.vehicles).toBeLessThanOrEqual(day.vehicles);
  }, 60_000);

  it('eval with a ROI file scores each ROI by id', async () => {
    const rois = join(tmp, 'rois.json');
    await writeFile(rois, JSON.stringify([{ id: 'left', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }, { id: 'right', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }]));
    const r = await runEval([join(MEDIA, 'trancos_jam_cam1_000165.jpg'), '--rois', rois]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.map((l) => l.roi)).toEqual(['left', 'right']);
    expect(r.lines[0].vehicles).toBeGreaterThan(r.lines[1].vehicles);
  }, 60_000);

  it('eval with a missing model exits 1 with VISION_MODEL_NOT_FOUND naming the download command, no stack trace', async () => {
    const r = await runEval([join(MEDIA, 'trancos_jam_cam1_000165.jpg'), '--model', join(tmp, 'none.onnx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^VISION_MODEL_NOT_FOUND: .*vision:download-model/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('eval with an invalid ROI file or option exits non-zero with a coded message', async () => {
    const rois = join(tmp, 'bad-rois.json');
    await writeFile(rois, JSON.stringify([{ id: 'x', polygon: [[0, 0], [2, 0], [1, 1]] }]));
    const bad = await runEval([join(MEDIA, 'trancos_jam_cam1_000165.jpg'), '--rois', rois]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^VISION_ROI_INVALID: /);
    const usage = await runEval(['--fps', '0']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^VISION_USAGE: /);
  }, 30_000);
});
