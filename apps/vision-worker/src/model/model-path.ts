import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VisionError } from '../vision-error';

export const MODEL_FILE_NAME = 'yolox_nano.onnx';
/** The shared development copy, relative to the repository root. */
export const SHARED_MODEL_PATH = join('..', 'shared', 'models', MODEL_FILE_NAME);

/** Where `npm run vision:download-model` puts the model: `<DATA_DIR>/models/yolox_nano.onnx`. */
export function downloadedModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DATA_DIR ?? './data', 'models', MODEL_FILE_NAME);
}

/**
 * Model file to load: an explicit path, else `VISION_MODEL`, else the shared copy, else the downloaded
 * one. VISION_MODEL_NOT_FOUND (telling how to download) when none exists.
 */
export function resolveModelPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const chosen = explicit ?? env.VISION_MODEL;
  if (chosen) return resolve(cwd, chosen);
  for (const p of [SHARED_MODEL_PATH, downloadedModelPath(env)]) {
    const abs = resolve(cwd, p);
    if (existsSync(abs)) return abs;
  }
  throw new VisionError(
    'VISION_MODEL_NOT_FOUND',
    `no model: set VISION_MODEL or pass --model, or run \`npm run vision:download-model\` (writes ${downloadedModelPath(env)})`,
  );
}
