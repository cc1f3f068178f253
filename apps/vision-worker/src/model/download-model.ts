import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { VisionError } from '../vision-error';

export interface DownloadProgress {
  bytes: number;
  /** From Content-Length or the pinned size; null when unknown. */
  total: number | null;
  /** Bytes per second since the start. */
  rate: number;
}

export interface DownloadOptions {
  url: string;
  dest: string;
  sha256: string;
  expectedBytes?: number;
  onProgress?: (p: DownloadProgress) => void;
  /** Least milliseconds between progress calls (the final one always comes). */
  progressIntervalMs?: number;
  now?: () => number;
}

/** Upper bound on the body accepted, so a wrong URL cannot fill the disk. */
export const MAX_MODEL_BYTES = 64 * 1024 * 1024;

/**
 * Streams `url` to `<dest>.part`, hashing as it goes, verifies the pinned sha256 and renames to `dest`.
 * On any failure the .part file is removed: VISION_DOWNLOAD_FAILED or VISION_CHECKSUM_MISMATCH.
 */
export async function downloadVerified(opts: DownloadOptions): Promise<{ path: string; bytes: number; sha256: string }> {
  const now = opts.now ?? Date.now;
  const part = `${opts.dest}.part`;
  await mkdir(dirname(opts.dest), { recursive: true });
  const started = now();
  let bytes = 0;
  try {
    let res: Response;
    try {
      res = await fetch(opts.url, { redirect: 'follow' });
    } catch (cause) {
      throw new VisionError('VISION_DOWNLOAD_FAILED', `cannot reach ${opts.url}: ${(cause as Error).message}`, { cause });
    }
    if (!res.ok || !res.body) throw new VisionError('VISION_DOWNLOAD_FAILED', `GET ${opts.url} answered ${res.status} ${res.statusText}`);
    const header = Number(res.headers.get('content-length'));
    const total = Number.isFinite(header) && header > 0 ? header : (opts.expectedBytes ?? null);
    const hash = createHash('sha256');
    const out = createWriteStream(part);
    let lastReport = -Infinity;
    const report = (force: boolean): void => {
      const t = now();
      if (!opts.onProgress || (!force && t - lastReport < (opts.progressIntervalMs ?? 250))) return;
      lastReport = t;
      opts.onProgress({ bytes, total, rate: bytes / Math.max(0.001, (t - started) / 1000) });
    };
    try {
      for await (const chunk of Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
        const buf = chunk as Buffer;
        bytes += buf.length;
        if (bytes > MAX_MODEL_BYTES) throw new VisionError('VISION_DOWNLOAD_FAILED', `download exceeds ${MAX_MODEL_BYTES} bytes; wrong URL?`);
        hash.update(buf);
        if (!out.write(buf)) await new Promise<void>((r) => out.once('drain', r));
        report(false);
      }
    } catch (cause) {
      if (cause instanceof VisionError) throw cause;
      throw new VisionError('VISION_DOWNLOAD_FAILED', `download of ${opts.url} broke off after ${bytes} bytes: ${(cause as Error).message}`, { cause });
    } finally {
      await new Promise<void>((r) => out.end(r));
    }
    report(true);
    const digest = hash.digest('hex');
    if (digest !== opts.sha256.toLowerCase()) {
      throw new VisionError('VISION_CHECKSUM_MISMATCH', `sha256 of ${opts.url} is ${digest}, expected ${opts.sha256}; file removed`);
    }
    await rename(part, opts.dest);
    return { path: opts.dest, bytes, sha256: digest };
  } catch (e) {
    await rm(part, { force: true });
    throw e;
  }
}

/** One progress line: `12.3 MiB / 20.0 MiB (61 %) 4.1 MiB/s`. */
export function formatProgress(p: DownloadProgress): string {
  const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
  const pct = p.total ? ` (${Math.min(100, Math.floor((100 * p.bytes) / p.total))} %)` : '';
  return `${mib(p.bytes)}${p.total ? ` / ${mib(p.total)}` : ''}${pct} ${mib(p.rate)}/s`;
}
