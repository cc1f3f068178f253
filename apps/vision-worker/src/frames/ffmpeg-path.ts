import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The ffmpeg binary: `FFMPEG_PATH`, else `ffmpeg` found on PATH, else the one @ffmpeg-installer/ffmpeg
 * ships. Null when none is found (callers raise VISION_DECODER_MISSING).
 */
export function resolveFfmpegPath(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.FFMPEG_PATH) return env.FFMPEG_PATH;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'ffmpeg'))) return join(dir, 'ffmpeg');
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    return existsSync(p) ? p : null;
  } catch {
    return null;
  }
}
