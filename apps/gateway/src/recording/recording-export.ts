import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../common/gateway-error';

/** MP4 exports (ffmpeg concat, -c copy) running at once; one more is refused with 429. */
export const MAX_CONCURRENT_EXPORTS = 2;
/** An export ffmpeg running longer than this is killed (copying 2 h takes seconds). */
export const EXPORT_TIMEOUT_MS = 120_000;

export interface ExportPart {
  /** Absolute path of the TS segment. */
  file: string;
}

let running = 0;

/** A concat demuxer list (ffmpeg-formats "concat"): one `file '<path>'` line per part, quotes escaped. */
export function concatList(parts: readonly ExportPart[]): string {
  return 'ffconcat version 1.0\n' + parts.map((p) => `file '${p.file.replace(/'/g, "'\\''")}'\n`).join('');
}

/**
 * Joins recorded TS segments into one MP4 without re-encoding: ffmpeg's concat demuxer, `-ss` (from the first part's
 * start; seeks to the keyframe before) and `-t`, `-c copy`, `+faststart`. Resolves with the MP4's path inside a temp
 * directory; `cleanup` removes it.
 */
export async function exportMp4(ffmpegPath: string, parts: readonly ExportPart[], offsetS: number, durationS: number): Promise<{ path: string; cleanup: () => Promise<void> }> {
  if (running >= MAX_CONCURRENT_EXPORTS) throw new GatewayError('TOO_MANY_REQUESTS', `${MAX_CONCURRENT_EXPORTS} recording downloads are being made; try again shortly`, { retryAfterS: 5 });
  running++;
  const dir = await mkdtemp(join(tmpdir(), 'gb-rec-export-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await writeFile(join(dir, 'list.ffconcat'), concatList(parts));
    const out = join(dir, 'recording.mp4');
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'concat', '-safe', '0'];
    if (offsetS > 0) args.push('-ss', offsetS.toFixed(3));
    args.push('-i', join(dir, 'list.ffconcat'), '-t', durationS.toFixed(3), '-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-movflags', '+faststart', '-f', 'mp4', out);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      const t = setTimeout(() => child.kill('SIGKILL'), EXPORT_TIMEOUT_MS);
      child.on('error', (e) => (clearTimeout(t), reject(e)));
      child.on('close', (code, signal) => {
        clearTimeout(t);
        if (code === 0) resolve();
        else reject(new GatewayError('INTERNAL', `ffmpeg could not join the recording (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-2).join(' | ')}`));
      });
    });
    return { path: out, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  } finally {
    running--;
  }
}
