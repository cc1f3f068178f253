#!/usr/bin/env node
// `npm start`: build the gateway if its output is missing or older than the sources, then run it.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist/apps/gateway/apps/gateway/src/main.js');

function newestMtime(dir, exts = ['.ts']) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, exts));
    else if (exts.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

// The gateway, and the vision worker it forks when a channel is watched for congestion.
const apps = [
  { name: 'gateway', entry, src: 'apps/gateway/src' },
  { name: 'vision-worker', entry: join(root, 'dist/apps/vision-worker/apps/vision-worker/src/main.js'), src: 'apps/vision-worker/src' },
];
const libsTime = newestMtime(join(root, 'libs'));
for (const app of apps) {
  const srcTime = Math.max(newestMtime(join(root, app.src)), libsTime);
  if (existsSync(app.entry) && statSync(app.entry).mtimeMs >= srcTime) continue;
  process.stdout.write(`Building ${app.name} (first start or sources changed)…\n`);
  const r = spawnSync(process.execPath, [join(root, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', app.name], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// The dashboard (web/ -> dist/web, served at /). Optional: the gateway starts without it and / says how to build it.
if (existsSync(join(root, 'web/index.html'))) {
  const index = join(root, 'dist/web/index.html');
  const webTime = Math.max(newestMtime(join(root, 'web'), ['.ts', '.mts', '.css', '.html']), newestMtime(join(root, 'libs/contracts')));
  if (!existsSync(index) || statSync(index).mtimeMs < webTime) {
    process.stdout.write('Building the dashboard (first start or sources changed)…\n');
    const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.mts'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) process.stdout.write('The dashboard did not build; the gateway starts without it (see the output above).\n');
  }
}
const child = spawn(process.execPath, ['--enable-source-maps', entry], { cwd: root, stdio: 'inherit', env: process.env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
