import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONGESTION_LEVELS } from '../../apps/vision-worker/src/contracts';
import { formatSuiteReport, runSuite, type SuiteReport } from '../../apps/vision-worker/src/eval/suite';
import { DEFAULT_SUITE_DIR, loadSuite, parseLabelledFrame } from '../../apps/vision-worker/src/eval/suite-file';
import { OnnxDetector } from '../../apps/vision-worker/src/model/onnx-detector';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
/** Bound on the count error in the annotated region of a dense (jam) frame, and on their mean (issue 15, item 5). */
const MAX_COUNT_ERROR_PCT = 15;

/**
 * The repository's labelled evaluation set (test/vision/eval-set, docs/congestion-eval.md) with the real
 * YOLOX-Nano and real ffmpeg: hand-labelled frames on the still path, composed clips on the live path with the
 * shared onset and alert rules. The suite runs once (beforeAll, ~60 s on 2 cores); each test reads its report.
 * `npm run vision:eval` prints the same figures as a table.
 */
describe('labelled evaluation set (real YOLOX-Nano, real ffmpeg)', () => {
  let det: OnnxDetector;
  let tmp: string;
  let report: SuiteReport;

  beforeAll(async () => {
    const probe = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    if (probe.status !== 0 || !probe.stdout.includes('libx264')) throw new Error('this test needs ffmpeg with libx264 on PATH: apt-get install -y ffmpeg');
    if (!existsSync(MODEL)) throw new Error(`this test needs the YOLOX-Nano model at ${MODEL} (the shared copy; or run npm run vision:download-model and copy it there)`);
    det = await OnnxDetector.load(MODEL);
    tmp = await mkdtemp(join(tmpdir(), 'vision-eval-set-'));
    const suite = await loadSuite(DEFAULT_SUITE_DIR);
    report = await runSuite(det, suite, { ffmpeg: 'ffmpeg', tmpDir: tmp });
    // The table in the test log, so a failure shows every figure at once.
    console.log(formatSuiteReport(report));
  }, 180_000);
  afterAll(async () => {
    await det?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the set holds the labelled TRANCOS, vn_dense, car-park and highway frames, and a free and a free→jam sequence', () => {
    const ids = report.frames.map((f) => f.id);
    for (const id of ['trancos-cam1-000013', 'trancos-cam1-000042', 'trancos-cam1-000165', 'trancos-cam1-000246', 'trancos-cam1-000378', 'trancos-cam3-000307', 'vn-dense-8004']) {
      expect(ids).toContain(id);
    }
    expect(ids.filter((i) => i.startsWith('intel-')).length).toBeGreaterThanOrEqual(2);
    expect(ids.filter((i) => i.startsWith('bgs-')).length).toBeGreaterThanOrEqual(2);
    expect(report.sequences.some((s) => s.expect === 'free')).toBe(true);
    expect(report.sequences.some((s) => s.expect === 'forming')).toBe(true);
  });

  // KNOWN FAILING (2026-12-02, YOLOX-Nano, still path: whole frame + 2×2 tiles, hysteresis). Within 15 %: only
  // 000246 (17 of 19, −10.5 %) and 000378 (29 of 29, 0 %). Off: 000013 11 of 55 (−80 %: the back-lit, hazy
  // queue), 000042 54 of 40 (+35 %), 000165 46 of 34 (+35 %), cam3 000307 33 of 26 (+27 %), vn_dense_8004 56 of
  // 43 (+30 %); mean 31 %. The over-counts, as drawn on 000042: several vehicles carry two overlapping boxes,
  // and a road sign carries one. The pipeline is being improved (scene fixtures, OSD masking, automatic
  // tiles/contrast); the labels and this bound are the measure and stay as they are.
  it(`count error in the annotated region of every dense labelled frame stays within ${MAX_COUNT_ERROR_PCT} %, and so does their mean`, () => {
    const dense = report.frames.filter((f) => f.dense);
    expect(dense.length).toBeGreaterThanOrEqual(7);
    for (const f of dense) {
      expect.soft(Math.abs(f.errorPct!), `${f.id}: ${f.predicted} predicted vs ${f.labelled} labelled`).toBeLessThanOrEqual(MAX_COUNT_ERROR_PCT);
    }
    expect(report.totals.denseMeanAbsErrorPct!).toBeLessThanOrEqual(MAX_COUNT_ERROR_PCT);
  });

  // KNOWN FAILING (2026-12-02): the still path reads severe (100) on every TRANCOS frame but 000013, so the ones
  // labelled moderate (000042, 000246) or light (000378) are two or three bands off, and 000013 (labelled severe)
  // reads moderate (55). Exact 7 of 13, within one band 9 of 13. Assertion kept.
  it('the predicted level of every labelled frame is within one band of its label', () => {
    for (const f of report.frames) {
      const off = Math.abs(CONGESTION_LEVELS.indexOf(f.label) - CONGESTION_LEVELS.indexOf(f.predictedLevel));
      expect.soft(off, `${f.id}: labelled ${f.label}, predicted ${f.predictedLevel} (${f.index})`).toBeLessThanOrEqual(1);
    }
  });

  // KNOWN FAILING (2026-12-02): on the composed queue the live index rises from free (35 s) to heavy (52 s) and
  // 100 (~75 s), but single frames drop out on the way (e.g. 44 → 55 → 50 → 3 → 19 → 31 → 31 → 1 → 50: the vehicles
  // in the ROI fall from 11 to 4 for one frame), so it is never light–moderate for the 10 s in a row that
  // OnsetDetector needs: no warning; the alert comes alone at 90 s. docs/congestion-eval.md. Assertion kept.
  it('a composed free→jam sequence gives the forming warning before the heavy alert', () => {
    const forming = report.sequences.filter((s) => s.expect === 'forming');
    for (const s of forming) {
      expect.soft(s.alertS, `${s.id}: the held alert`).not.toBeNull();
      expect.soft(s.firstWarningS, `${s.id}: the forming warning`).not.toBeNull();
      if (s.firstWarningS !== null && s.alertS !== null) expect.soft(s.firstWarningS, `${s.id}: warning before alert`).toBeLessThan(s.alertS);
    }
  });

  it('a free clip never warns nor alerts', () => {
    const free = report.sequences.filter((s) => s.expect === 'free');
    expect(free.length).toBeGreaterThanOrEqual(1);
    for (const s of free) {
      expect(s.frames, s.id).toBeGreaterThanOrEqual(25);
      expect({ id: s.id, warnings: s.warnings, alerts: s.alerts }).toEqual({ id: s.id, warnings: 0, alerts: 0 });
    }
  });

  it('parseLabelledFrame() with a vehicle dot outside the annotated region refuses the frame (VISION_USAGE)', () => {
    const frame = { source: 'x.jpg', region: [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]], vehicles: [[0.2, 0.2], [0.8, 0.8]], level: 'free' };
    expect(() => parseLabelledFrame(frame, 'x')).toThrow(/vehicles\.1 .* outside the region/);
    expect(parseLabelledFrame({ ...frame, vehicles: [[0.2, 0.2]] }, 'x').vehicles).toHaveLength(1);
  });
});
