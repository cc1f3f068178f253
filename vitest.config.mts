import { defineConfig } from 'vitest/config';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const __dirname = dirname(fileURLToPath(import.meta.url));

/** The files of the `side` project: the dashboard's Chromium specs and the vision model specs (~350 s of test time). */
const SIDE = ['test/e2e/dashboard-*-chromium.spec.ts', 'test/vision/**/*.spec.ts'];

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@gb\/gb28181$/, replacement: resolve(__dirname, 'libs/gb28181/src/index.ts') },
      { find: /^@gb\/persistence$/, replacement: resolve(__dirname, 'libs/persistence/src/index.ts') },
      { find: /^@gb\/contracts$/, replacement: resolve(__dirname, 'libs/contracts/src/index.ts') },
      { find: /^@gb\/runtime$/, replacement: resolve(__dirname, 'libs/runtime/src/index.ts') },
    ],
  },
  test: {
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    // Three projects so that `npm test` (scripts/test-all.mjs) can run the files that mostly wait — the cluster file
    // (five minutes of keepalives, its gateways in processes of their own) and test/long (the 2-minute platform
    // recording) — in a vitest process beside the rest instead of after it. `vitest run` alone still runs all three.
    projects: [
      { extends: true, test: { name: 'cluster', include: ['test/cluster/**/*.spec.ts'] } },
      { extends: true, test: { name: 'long', include: ['test/long/**/*.spec.ts'] } },
      // Run after cluster and long in the side process, to even out the two lanes (main ran ~25 min, the side one ~10).
      { extends: true, test: { name: 'side', include: SIDE } },
      {
        extends: true,
        test: { name: 'main', include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts'], exclude: ['test/cluster/**', 'test/long/**', ...SIDE, '**/node_modules/**'] },
      },
    ],
  },
});
