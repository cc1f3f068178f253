import { existsSync } from 'node:fs';

/** The ffmpeg binary: FFMPEG_PATH, else @ffmpeg-installer's, else `ffmpeg` on PATH. */
export function ffmpegPath(): string {
  if (process.env.FFMPEG_PATH) return process.env.FFMPEG_PATH;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    if (p && existsSync(p)) return p;
  } catch {
    // not installed for this platform
  }
  return 'ffmpeg';
}
