import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Provider token: the folder holding the built dashboard (index.html and assets/). */
export const WEB_DIST_DIR = Symbol('WEB_DIST_DIR');

/** URL prefix of the dashboard's assets; vite's `base` (web/vite.config.mts) must match. */
export const WEB_ASSET_PREFIX = '/app/';

/**
 * `dist/web` under the repository root: the nearest folder above `start` that holds a package.json
 * (works from the sources and from dist/apps/gateway/…). The folder may not exist yet.
 */
export function findWebDist(start: string = __dirname): string {
  let dir = start;
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(process.cwd(), 'dist', 'web');
}
