import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The ffmpeg binary: FFMPEG_PATH, else `ffmpeg` on PATH (a distribution build has libx265 and
 * drawtext with fontconfig), else the static build @ffmpeg-installer ships.
 */
export function ffmpegPath(): string {
  if (process.env.FFMPEG_PATH) return process.env.FFMPEG_PATH;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'ffmpeg');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    if (p && existsSync(p)) return p;
  } catch {
    // not installed for this platform
  }
  return 'ffmpeg';
}
