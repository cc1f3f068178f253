// Bundles the dashboard (plain TypeScript + DOM, no framework) into dist/web; the gateway serves it at / and /app/.
import { defineConfig } from 'vite';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  // Must match WEB_ASSET_PREFIX in apps/gateway/src/web/web-dist.ts.
  base: '/app/',
  logLevel: 'warn',
  publicDir: false,
  resolve: { alias: { '@gb/contracts': resolve(here, '../libs/contracts/src/index.ts') } },
  build: {
    outDir: resolve(here, '../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    modulePreload: false,
  },
});
