import { VisionError } from '../vision-error';
import { DEFAULT_SUITE_DIR } from './suite-file';

export interface EvalArgs {
  /** A file, folder or URL to score; absent when a suite is run. */
  input?: string;
  /** A labelled evaluation set to run (suite.ts); the repository's own when no input is given. */
  suite?: string;
  rois?: string;
  model?: string;
  fps: number;
  tiles?: 1 | 2 | 3;
  /** Also print the vehicle/person boxes, normalised 0–1: `[label, score, x1, y1, x2, y2]`. */
  boxes: boolean;
}

export const EVAL_USAGE =
  'usage: npm run vision:eval -- <video file, image file or folder> [--rois rois.json] [--model path] [--fps N] [--tiles 1|2|3] [--boxes]\n' +
  '       npm run vision:eval [-- --suite <dir>] [--model path] [--tiles 1|2|3]   (no input: the labelled set in ' + DEFAULT_SUITE_DIR + ')';

/** Parses the eval command line (after `--`); no input means the suite. VISION_USAGE on anything unexpected. */
export function parseEvalArgs(argv: readonly string[]): EvalArgs {
  const out: Partial<EvalArgs> & { fps: number; boxes: boolean } = { fps: 5, boxes: false };
  const usage = (why: string): never => {
    throw new VisionError('VISION_USAGE', `${why}\n${EVAL_USAGE}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--rois') out.rois = value();
    else if (a === '--suite') out.suite = value();
    else if (a === '--model') out.model = value();
    else if (a === '--fps') {
      const n = Number(value());
      if (!(n > 0 && n <= 60)) usage('--fps must be a number in (0, 60]');
      out.fps = n;
    } else if (a === '--tiles') {
      const n = Number(value());
      if (n !== 1 && n !== 2 && n !== 3) usage('--tiles must be 1, 2 or 3');
      out.tiles = n as 1 | 2 | 3;
    } else if (a === '--boxes') out.boxes = true;
    else if (a === '--help' || a === '-h') usage('help');
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (out.input === undefined) out.input = a;
    else usage(`unexpected argument ${a}`);
  }
  if (out.input !== undefined && out.suite !== undefined) usage('give an input or --suite, not both');
  if (out.input === undefined) {
    if (out.rois !== undefined || out.boxes) usage('--rois and --boxes need an input (a suite brings its own regions)');
    out.suite ??= DEFAULT_SUITE_DIR;
  }
  return out as EvalArgs;
}
