import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { WorkerToGatewayMessage } from '@gb/contracts';
import { waitFor } from '../support/gateway-harness';

export const ROOT = process.cwd();
export const TRAFFIC = resolve(ROOT, '../shared/media/traffic');
export const HIGHWAY = resolve(TRAFFIC, 'bgs_highway_cctv_video02.avi');
export const WORKER_ENTRY = resolve(ROOT, 'apps/vision-worker/src/main.ts');

/** Fails (never skips) with what to install when ffmpeg is missing. */
export function requireFfmpeg(): string {
  const bin = process.env.FFMPEG_PATH ?? 'ffmpeg';
  const r = spawnSync(bin, ['-hide_banner', '-version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`this test needs ffmpeg: install it (apt-get install ffmpeg) or set FFMPEG_PATH (tried "${bin}")`);
  return bin;
}

/** Collects worker messages and waits for the ones a test expects. */
export class MessageLog {
  readonly all: WorkerToGatewayMessage[] = [];
  push = (m: WorkerToGatewayMessage): void => {
    this.all.push(m);
  };
  of<T extends WorkerToGatewayMessage['type']>(type: T, channelId?: string): Extract<WorkerToGatewayMessage, { type: T }>[] {
    return this.all.filter((m) => m.type === type && (!channelId || (m as { channelId?: string }).channelId === channelId)) as never;
  }
  until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> {
    return waitFor(what, fn, timeoutMs, 50);
  }
}

/** A 20-digit channel id unique within a test run. */
export function channelIdFor(n: number): string {
  return `3402000000132${String(n).padStart(7, '0')}`;
}
