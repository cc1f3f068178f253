/**
 * Runs the labelled evaluation set (suite-file.ts) through the pipeline and measures it:
 * - frames: the still path (`processStill`, the annotated region as the ROI): labelled vs predicted vehicles in
 *   the region, signed count error, labelled vs predicted level;
 * - sequences: the live path (`processVideoFrame` at the sequence's fps) with the shared onset and alert rules
 *   (@gb/contracts OnsetDetector, AlertStateMachine): time of the first 'forming' warning, of the held alert,
 *   the lead time between them, and how many of each a free clip gave (must be 0).
 * `formatSuiteReport` prints it as a table (docs/congestion-eval.md). Kept free of Nest DI, like eval.cli.ts.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { AlertStateMachine, OnsetDetector, type AlertRules } from '@gb/contracts';
import { CONGESTION_BAND_EDGES, CONGESTION_LEVELS, type CongestionLevel, type Roi } from '../contracts';
import { FfmpegFrameSource } from '../frames/ffmpeg-frame-source';
import { readImageFile } from '../frames/image-file';
import { channelPipeline } from '../pipeline/channel-pipeline';
import { AutoDetectStrategy } from '../pipeline/auto-detect-strategy';
import { OsdMaskLearner } from '../pipeline/osd-mask';
import { FramePipeline, type FrameDetector } from '../pipeline/frame-pipeline';
import { VisionError } from '../vision-error';
import { composeSequence } from './sequences';
import type { EvalSuite, LabelledFrame, SequenceEntry } from './suite-file';

/** Widest still fed to the detector (as eval.cli.ts: 1920-wide stills are downsized first). */
export const SUITE_STILL_MAX_WIDTH = 1280;
/**
 * Frames with at least this many labelled vehicles are "dense" (the jam frames): their count error is judged
 * in per cent. Below it one vehicle more or less is 20–100 %, so sparse frames are judged by level only.
 */
export const DENSE_MIN_LABELLED = 10;
/** The gateway's default alert rule (ALERT_LEVEL, ALERT_HOLD_MS, ALERT_CLEAR_LEVEL, ALERT_CLEAR_HOLD_MS). */
export const EVAL_ALERT_RULES: AlertRules = { level: 'heavy', holdMs: 30_000, clearLevel: 'light', clearHoldMs: 30_000 };
/** Bound on extracting one frame of a clip, ms. */
const EXTRACT_TIMEOUT_MS = 30_000;
/** Most bytes of one extracted PNG frame. */
const MAX_EXTRACTED_BYTES = 32 * 1024 * 1024;

export interface FrameRow {
  id: string;
  labelled: number;
  predicted: number;
  /** (predicted − labelled) / labelled × 100; null when nothing is labelled. */
  errorPct: number | null;
  dense: boolean;
  label: CongestionLevel;
  predictedLevel: CongestionLevel;
  index: number;
}

export interface SequenceRow {
  id: string;
  expect: SequenceEntry['expect'];
  fps: number;
  frames: number;
  durationS: number;
  /** Seconds into the clip. */
  firstWarningS: number | null;
  alertS: number | null;
  /** alert − first warning, s (positive: warned first). */
  leadS: number | null;
  warnings: number;
  alerts: number;
  maxIndex: number;
  /** First time the index reached light (20) and heavy (60), s: how fast the measured index rose. */
  lightS: number | null;
  heavyS: number | null;
  /** Per scored frame: [t s, index, stationary share or null, vehicles]. */
  trace: [number, number, number | null, number][];
  /** The sequence met its expectation. */
  ok: boolean;
}

export interface SuiteReport {
  frames: FrameRow[];
  sequences: SequenceRow[];
  totals: {
    /** Mean |count error| over the dense frames, %. */
    denseMeanAbsErrorPct: number | null;
    /** Mean |count error| over every frame with labels, %. */
    meanAbsErrorPct: number | null;
    levelExact: number;
    levelWithinOne: number;
    frames: number;
  };
}

export interface SuiteOptions {
  ffmpeg: string;
  /** Scratch folder for composed clips (kept by the caller; clips already there are reused). */
  tmpDir: string;
  stillTiles?: 1 | 2 | 3;
  videoTiles?: 1 | 2 | 3;
  /** Called after each frame / sequence (progress on stderr). */
  onProgress?: (line: string) => void;
}

/** Spacing of the index trace printed under the sequence table, s. */
const TRACE_STEP_S = 5;
const rank = (l: CongestionLevel): number => CONGESTION_LEVELS.indexOf(l);
const REGION_ID = 'region';

/** One frame of a clip at `atS` seconds, as PNG bytes. */
function extractFrame(ffmpeg: string, clip: string, atS: number): Promise<Buffer> {
  return new Promise((done, fail) => {
    const child = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-ss', String(atS), '-i', clip, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size > MAX_EXTRACTED_BYTES) child.kill('SIGKILL');
      else chunks.push(b);
    });
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2048)));
    const timer = setTimeout(() => child.kill('SIGKILL'), EXTRACT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(new VisionError('VISION_DECODER_MISSING', `cannot run ffmpeg (${ffmpeg}): ${e.message}`, { cause: e }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 && size > 0 && size <= MAX_EXTRACTED_BYTES) done(Buffer.concat(chunks));
      else fail(new VisionError('VISION_DECODE_FAILED', `no frame at ${atS} s in ${clip}: ${err.trim() || `exit ${code}`}`));
    });
  });
}

/** Scores one labelled frame on the still path with its region as the only ROI. */
export async function evaluateFrame(detector: FrameDetector, f: LabelledFrame, opts: SuiteOptions): Promise<FrameRow> {
  const bytes = typeof f.source === 'string' ? resolve(f.source) : await extractFrame(opts.ffmpeg, resolve(f.source.clip), f.source.atS);
  const frame = await readImageFile(bytes, { maxWidth: SUITE_STILL_MAX_WIDTH });
  const rois: Roi[] = [{ id: REGION_ID, polygon: f.region }];
  // The still path with the camera's on-screen text masked (as a live channel masks it) and the automatic detector
  // choice adding its passes to the whole frame + 2×2 tiles, unless tiles are given.
  const pipeline = new FramePipeline(detector, {
    rois,
    osd: new OsdMaskLearner(),
    ...(opts.stillTiles ? { stillTiles: opts.stillTiles } : { detectStrategy: new AutoDetectStrategy() }),
  });
  const score = (await pipeline.processStill(frame)).scores.find((s) => s.roi === REGION_ID);
  if (!score) throw new VisionError('VISION_USAGE', `frame ${f.id}: the pipeline returned no score for its region`);
  const labelled = f.vehicles.length;
  const predicted = score.vehicles;
  return {
    id: f.id,
    labelled,
    predicted,
    errorPct: labelled > 0 ? ((predicted - labelled) / labelled) * 100 : null,
    dense: labelled >= DENSE_MIN_LABELLED,
    label: f.level,
    predictedLevel: score.level,
    index: score.index,
  };
}

/** Composes one sequence and replays it through the live path with the onset and alert rules. */
export async function evaluateSequence(detector: FrameDetector, s: SequenceEntry, mediaDir: string, opts: SuiteOptions): Promise<SequenceRow> {
  const clip = await composeSequence(s.id, s.recipe, { dir: opts.tmpDir, mediaDir: resolve(mediaDir), ffmpeg: opts.ffmpeg });
  const rois: Roi[] | undefined = s.region ? [{ id: REGION_ID, polygon: s.region }] : undefined;
  // The pipeline a live channel runs: automatic detector choice (unless tiles are given), fixtures, OSD finding.
  const pipeline = channelPipeline(detector, { rois, tiles: opts.videoTiles ?? 'auto' });
  const onset = new OnsetDetector();
  const alerts = new AlertStateMachine(EVAL_ALERT_RULES);
  const row: SequenceRow = {
    id: s.id, expect: s.expect, fps: s.fps, frames: 0, durationS: 0, firstWarningS: null, alertS: null, leadS: null,
    warnings: 0, alerts: 0, maxIndex: 0, lightS: null, heavyS: null, trace: [], ok: false,
  };
  const source = new FfmpegFrameSource(clip, { fps: s.fps, ffmpegPath: opts.ffmpeg });
  try {
    for await (const { t, frame } of source) {
      const score = (await pipeline.processVideoFrame(frame, t)).scores[0];
      if (!score) continue;
      row.frames++;
      row.durationS = t;
      row.maxIndex = Math.max(row.maxIndex, score.index);
      row.trace.push([t, score.index, score.stationaryShare ?? null, score.vehicles]);
      if (score.index >= CONGESTION_BAND_EDGES[0]!) row.lightS ??= t;
      if (score.index >= CONGESTION_BAND_EDGES[2]!) row.heavyS ??= t;
      const ms = Math.round(t * 1000);
      const o = onset.update({ t: ms, index: score.index, stationaryShare: score.stationaryShare ?? null });
      if (o?.type === 'forming') {
        row.warnings++;
        row.firstWarningS ??= t;
      }
      const a = alerts.update(score.roi, score, ms);
      if (a?.kind === 'raise') {
        row.alerts++;
        row.alertS ??= t;
      }
    }
  } finally {
    source.close();
  }
  if (row.firstWarningS !== null && row.alertS !== null) row.leadS = row.alertS - row.firstWarningS;
  row.ok = s.expect === 'free' ? row.warnings === 0 && row.alerts === 0 : row.leadS !== null && row.leadS > 0;
  return row;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function suiteTotals(frames: readonly FrameRow[]): SuiteReport['totals'] {
  const abs = (rows: readonly FrameRow[]): number[] => rows.filter((r) => r.errorPct !== null).map((r) => Math.abs(r.errorPct!));
  return {
    denseMeanAbsErrorPct: mean(abs(frames.filter((r) => r.dense))),
    meanAbsErrorPct: mean(abs(frames)),
    levelExact: frames.filter((r) => r.label === r.predictedLevel).length,
    levelWithinOne: frames.filter((r) => Math.abs(rank(r.label) - rank(r.predictedLevel)) <= 1).length,
    frames: frames.length,
  };
}

/** Runs every frame, then every sequence, of the suite. */
export async function runSuite(detector: FrameDetector, suite: EvalSuite, opts: SuiteOptions): Promise<SuiteReport> {
  const frames: FrameRow[] = [];
  for (const f of suite.frames) {
    const r = await evaluateFrame(detector, f, opts);
    frames.push(r);
    opts.onProgress?.(`frame ${r.id}: ${r.predicted}/${r.labelled} vehicles, ${r.predictedLevel}`);
  }
  const sequences: SequenceRow[] = [];
  for (const s of suite.sequences) {
    const r = await evaluateSequence(detector, s, suite.mediaDir, opts);
    sequences.push(r);
    opts.onProgress?.(`sequence ${r.id}: warning ${r.firstWarningS ?? '-'} s, alert ${r.alertS ?? '-'} s`);
  }
  return { frames, sequences, totals: suiteTotals(frames) };
}

function table(head: string[], rows: string[][], right: boolean[]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => (right[i] ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  return [fmt(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(fmt)].join('\n');
}

const pct = (v: number | null, signed = false): string => (v === null ? 'n/a' : `${signed && v > 0 ? '+' : ''}${v.toFixed(1)} %`);
const secs = (v: number | null): string => (v === null ? '-' : `${Math.round(v * 10) / 10}`);

/** The report as the table `npm run vision:eval` prints. */
export function formatSuiteReport(r: SuiteReport): string {
  const t = r.totals;
  const frameRows = r.frames.map((f) => [
    f.id, String(f.labelled), String(f.predicted), pct(f.errorPct, true), f.dense ? 'dense' : 'sparse', f.label, f.predictedLevel, String(f.index),
    f.label === f.predictedLevel ? '=' : Math.abs(rank(f.label) - rank(f.predictedLevel)) <= 1 ? '±1' : 'OFF',
  ]);
  const seqRows = r.sequences.map((s) => [
    s.id, s.expect, `${s.frames} @ ${s.fps}/s`, secs(s.lightS), secs(s.heavyS), secs(s.firstWarningS), secs(s.alertS), secs(s.leadS), String(s.warnings), String(s.alerts),
    String(s.maxIndex), s.ok ? 'ok' : 'FAIL',
  ]);
  // The index every TRACE_STEP_S seconds, so a reader sees how it rose.
  const traces = r.sequences.map((s) => {
    const pts = s.trace.filter(([t]) => Math.abs(t / TRACE_STEP_S - Math.round(t / TRACE_STEP_S)) < 1e-6);
    return `  ${s.id}: ${pts.map(([, i]) => String(i)).join(' ')}`;
  });
  const of = (n: number): string => `${n}/${t.frames} (${t.frames ? Math.round((n / t.frames) * 100) : 0} %)`;
  return [
    'Labelled frames (still path, annotated region as the ROI; vehicles = dots in the region)',
    table(['frame', 'labelled', 'predicted', 'error', 'kind', 'label', 'predicted', 'index', 'level'], frameRows, [false, true, true, true, false, false, false, true, false]),
    '',
    `mean |count error|: dense frames (≥ ${DENSE_MIN_LABELLED} labelled) ${pct(t.denseMeanAbsErrorPct)}, all frames ${pct(t.meanAbsErrorPct)}`,
    `level agreement: exact ${of(t.levelExact)}, within one level ${of(t.levelWithinOne)}`,
    '',
    `Sequences (live path; onset: OnsetDetector defaults; alert: ${EVAL_ALERT_RULES.level} held ${EVAL_ALERT_RULES.holdMs / 1000} s)`,
    table(['sequence', 'expect', 'frames', 'light s', 'heavy s', 'warning s', 'alert s', 'lead s', 'warnings', 'alerts', 'max index', 'result'], seqRows,
      [false, false, true, true, true, true, true, true, true, true, true, false]),
    '(light s, heavy s: first time the index reached 20 and 60; lead s = alert s − warning s)',
    '',
    `Index every ${TRACE_STEP_S} s`,
    ...traces,
    '',
  ].join('\n');
}
