import { defineConfig } from 'vitest/config';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const __dirname = dirname(fileURLToPath(import.meta.url));

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
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.spec.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
