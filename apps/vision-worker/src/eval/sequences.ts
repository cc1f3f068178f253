/**
 * Composed evaluation clips: recipes that build short videos with ffmpeg from the shared media, so that the
 * suite (suite.ts) can replay a queue forming, and free traffic, through the live path. The recipes are data
 * (test/vision/eval-set/sequences.json); this file turns one into an ffmpeg command line and runs it.
 * Deterministic: fixed frame rate, one x264 thread, no random sources.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { VisionError } from '../vision-error';

/**
 * Frame rate of every composed clip; the suite samples it at the sequence's own fps (at most this). 2/s keeps
 * composing a 3-minute clip to a few seconds and covers the live default (1/s) and twice it.
 */
export const COMPOSE_FPS = 2;
/** Size of every composed clip (the TRANCOS stills' size; the live worker scales to ≤ 640 wide too). */
export const COMPOSE_WIDTH = 640;
export const COMPOSE_HEIGHT = 480;
/** Longest clip a recipe may ask for, s (a suite must stay quick to score). */
export const MAX_SEQUENCE_SECONDS = 240;
/** Wall-clock bound on one ffmpeg composition, ms. */
export const COMPOSE_TIMEOUT_MS = 120_000;

/** A clip of the shared media, looped as often as needed and cut to `durationS`. */
export interface ClipRecipe {
  recipe: 'clip';
  /** File under the media folder. */
  source: string;
  durationS: number;
}

/**
 * A queue forming over moving traffic: `base` (a video of free traffic, looped) plays alone for `freeS`, then a
 * still of a queue (`jam`) is revealed through a mask that grows linearly over `riseS`, then the queue is held,
 * fully shown and motionless, for `holdS`. `from` is the edge the reveal starts at: where the queue's head (the
 * stop line, the bottleneck) is, so that its tail grows upstream as a real queue's does.
 */
export interface QueueRevealRecipe {
  recipe: 'queue-reveal';
  base: string;
  jam: string;
  from: 'top' | 'bottom';
  /**
   * Share of the picture height revealed (from `from`) at equally spaced times over `riseS`: first 0, last 1,
   * not decreasing; linear between. Default [0, 1]. A queue grows by about the same number of vehicles per
   * second (arrivals minus departures), so the suite's path is taken from the labelled dots of the jam still:
   * its edge passes an equal number of them per step (fast over the small far cars, slow over the big near ones).
   */
  path?: number[];
  freeS: number;
  riseS: number;
  holdS: number;
}

export type SequenceRecipe = ClipRecipe | QueueRevealRecipe;

export function sequenceDurationS(r: SequenceRecipe): number {
  return r.recipe === 'clip' ? r.durationS : r.freeS + r.riseS + r.holdS;
}

const scaled = `scale=${COMPOSE_WIDTH}:${COMPOSE_HEIGHT},setsar=1`;

/** ffmpeg arguments (after the binary) that write the recipe's clip to `out`. Media paths are under `mediaDir`. */
export function composeArgs(r: SequenceRecipe, mediaDir: string, out: string): string[] {
  const duration = sequenceDurationS(r);
  if (!(duration > 0 && duration <= MAX_SEQUENCE_SECONDS)) throw new VisionError('VISION_USAGE', `sequence length ${duration} s is outside (0, ${MAX_SEQUENCE_SECONDS}]`);
  const head = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  const tail = ['-t', String(duration), '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-threads', '1', '-pix_fmt', 'yuv420p', out];
  if (r.recipe === 'clip') {
    return [...head, '-stream_loop', '-1', '-i', join(mediaDir, r.source), '-vf', `fps=${COMPOSE_FPS},${scaled},format=yuv420p`, ...tail];
  }
  const f = COMPOSE_FPS;
  // The mask: a white frame slid over a black one (overlay's y is evaluated per frame; cheap, unlike geq/blend).
  const hidden = `${COMPOSE_HEIGHT}*(1-${revealedExpr(r)})`;
  const maskY = r.from === 'bottom' ? hidden : `-${hidden}`;
  const graph = [
    `[0:v]fps=${f},${scaled},format=yuv420p[base]`,
    `[1:v]${scaled},format=yuva420p[jam]`,
    `[2:v][3:v]overlay=x=0:y='${maskY}':eval=frame,format=gray[mask]`,
    `[jam][mask]alphamerge[queue]`,
    `[base][queue]overlay=shortest=1,format=yuv420p[v]`,
  ].join(';');
  const size = `${COMPOSE_WIDTH}x${COMPOSE_HEIGHT}`;
  return [
    ...head,
    '-stream_loop', '-1', '-i', join(mediaDir, r.base),
    '-loop', '1', '-framerate', String(f), '-i', join(mediaDir, r.jam),
    '-f', 'lavfi', '-i', `color=black:s=${size}:r=${f}`,
    '-f', 'lavfi', '-i', `color=white:s=${size}:r=${f}`,
    '-filter_complex', graph, '-map', '[v]', ...tail,
  ];
}

/** ffmpeg expression (of the frame time `t`) for the share revealed: piecewise linear through `path`. */
function revealedExpr(r: QueueRevealRecipe): string {
  const path = r.path ?? [0, 1];
  const ok = path.length >= 2 && path[0] === 0 && path[path.length - 1] === 1 && path.every((v, i) => Number.isFinite(v) && (i === 0 || v >= path[i - 1]!));
  if (!ok) throw new VisionError('VISION_USAGE', `queue-reveal path must run from 0 to 1 without decreasing, got ${JSON.stringify(path)}`);
  const steps = path.length - 1;
  const u = `(clip((t-${r.freeS})/${r.riseS},0,1)*${steps})`;
  // Innermost: the last segment; each if() picks segment i when u < i + 1.
  let expr = `${path[steps - 1]}+${path[steps]! - path[steps - 1]!}*(${u}-${steps - 1})`;
  for (let i = steps - 2; i >= 0; i--) expr = `if(lt(${u},${i + 1}),${path[i]}+${path[i + 1]! - path[i]!}*(${u}-${i}),${expr})`;
  return `(${expr})`;
}

/** Media files a recipe reads (to fail with a clear message before ffmpeg does). */
export function recipeInputs(r: SequenceRecipe): string[] {
  return r.recipe === 'clip' ? [r.source] : [r.base, r.jam];
}

/**
 * Builds the clip of `r` as `<dir>/<id>.mp4` (reused when already there) and returns its path.
 * VISION_DECODE_FAILED with ffmpeg's stderr when composition fails; VISION_USAGE when a media file is missing.
 */
export async function composeSequence(id: string, r: SequenceRecipe, opts: { dir: string; mediaDir: string; ffmpeg: string }): Promise<string> {
  const out = join(opts.dir, `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.mp4`);
  if (existsSync(out)) return out;
  for (const m of recipeInputs(r)) {
    if (!existsSync(join(opts.mediaDir, m))) throw new VisionError('VISION_USAGE', `sequence ${id}: media file ${join(opts.mediaDir, m)} not found`);
  }
  const args = composeArgs(r, opts.mediaDir, out + '.part.mp4');
  await new Promise<void>((done, fail) => {
    const child = spawn(opts.ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => (err = (err + s).slice(-4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMPOSE_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(new VisionError('VISION_DECODER_MISSING', `cannot run ffmpeg (${opts.ffmpeg}): ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done();
      else fail(new VisionError('VISION_DECODE_FAILED', `composing sequence ${id} failed (${signal ?? `exit ${code}`}): ${err.trim()}`));
    });
  });
  await rename(out + '.part.mp4', out);
  return out;
}
