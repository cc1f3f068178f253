import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The ffmpeg to run: FFMPEG_PATH, else `ffmpeg` on PATH, else the static build that the
 * @ffmpeg-installer/ffmpeg package ships, so a fresh machine needs nothing installed.
 */
export function resolveFfmpeg(env: Record<string, string | undefined> = process.env): string {
  if (env.FFMPEG_PATH) return env.FFMPEG_PATH;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'ffmpeg');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    throw new Error('ffmpeg not found: set FFMPEG_PATH, install ffmpeg (apt-get install -y ffmpeg), or run npm ci to get @ffmpeg-installer/ffmpeg');
  }
}
