import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The environment variables the lookup reads. */
export type FfmpegEnv = Record<string, string | undefined>;

/** Thrown by resolveFfmpeg() when no ffmpeg is found (`code` FFMPEG_NOT_FOUND). */
export class FfmpegNotFoundError extends Error {
  override readonly name = 'FfmpegNotFoundError';
  readonly code = 'FFMPEG_NOT_FOUND';
  constructor() {
    super('ffmpeg not found: set FFMPEG_PATH, install ffmpeg (apt-get install -y ffmpeg), or run npm ci to get @ffmpeg-installer/ffmpeg');
  }
}

/** One lookup per (FFMPEG_PATH, PATH): the answer does not change while the process runs. */
const found = new Map<string, string | null>();

/**
 * The ffmpeg to run, for gateway, vision worker and simulator alike: FFMPEG_PATH, else an executable `ffmpeg` on PATH
 * (a distribution build has libx265 and drawtext with fontconfig), else the static build the @ffmpeg-installer/ffmpeg
 * package ships, so a fresh machine needs nothing installed. Null when there is none.
 */
export function findFfmpeg(env: FfmpegEnv = process.env): string | null {
  if (env.FFMPEG_PATH) return env.FFMPEG_PATH;
  const key = env.PATH ?? '';
  if (found.has(key)) return found.get(key)!;
  const p = lookup(key);
  found.set(key, p);
  return p;
}

/** findFfmpeg(), or a FfmpegNotFoundError that says how to get one. */
export function resolveFfmpeg(env: FfmpegEnv = process.env): string {
  const p = findFfmpeg(env);
  if (p === null) throw new FfmpegNotFoundError();
  return p;
}

function lookup(pathVar: string): string | null {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, 'ffmpeg');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next directory
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const p = (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
    return p && existsSync(p) ? p : null;
  } catch {
    return null; // not installed for this platform
  }
}
