#!/usr/bin/env node
// `npm test`'s vitest step: the projects that mostly wait — cluster (test/cluster: two gateway processes, PostgreSQL,
// NATS and a five-minute keepalive window) and long (test/long: a 2-minute platform recording) — run one after the
// other in a vitest process of their own beside the main project, instead of after it: on the 2-core CI machine that
// takes ~8 minutes off the run (vitest's one worker runs files one after another). Their bounds allow for the
// files beside them.
// With arguments (`npm test -- test/e2e/foo.spec.ts`), this is plain `vitest run <args>`.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const vitest = process.platform === 'win32' ? 'vitest.cmd' : 'vitest';
const args = process.argv.slice(2);

function run(vitestArgs, prefix) {
  return new Promise((resolve) => {
    const child = spawn('npx', ['--no-install', vitest, 'run', ...vitestArgs], { stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (prefix) {
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix}${line}\n`));
      }
    }
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

let codes;
if (args.length > 0) {
  codes = [await run(args)];
} else {
  const started = Date.now();
  const cluster = run(['--project', 'cluster', '--project', 'long'], '[beside] ').then((c) => {
    process.stdout.write(`[beside] cluster + long finished with exit code ${c} after ${Math.round((Date.now() - started) / 1000)} s\n`);
    return c;
  });
  codes = await Promise.all([run(['--project', 'main']), cluster]);
}
process.exit(codes.find((c) => c !== 0) ?? 0);
