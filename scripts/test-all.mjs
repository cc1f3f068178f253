#!/usr/bin/env node
// `npm test`'s vitest step: the projects that mostly wait — cluster (test/cluster: two gateway processes, PostgreSQL,
// NATS and a five-minute keepalive window) and long (test/long: a 2-minute platform recording) — then side (the
// dashboard's Chromium specs and the vision specs) run one after the other in a vitest process of their own beside
// the main project, instead of after it: on the 2-core CI machine vitest's one worker runs files one after another,
// and two lanes keep both cores busy (main alone took ~25 min). Their bounds allow for the files beside them.
// With arguments (`npm test -- test/e2e/foo.spec.ts`), this is plain `vitest run <args>`.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const vitest = process.platform === 'win32' ? 'vitest.cmd' : 'vitest';
const args = process.argv.slice(2);

// The side run's last lines, reprinted after the main project ends when the side run failed: CI shows only the tail of
// the output, and the side run usually ends first, so its failure report would otherwise sit mid-log.
const SIDE_TAIL_LINES = 250;
const sideTail = [];

function run(vitestArgs, prefix) {
  return new Promise((resolve) => {
    const child = spawn('npx', ['--no-install', vitest, 'run', ...vitestArgs], { stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    if (prefix) {
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => {
          process.stdout.write(`${prefix}${line}\n`);
          sideTail.push(line);
          if (sideTail.length > SIDE_TAIL_LINES) sideTail.shift();
        });
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
  const cluster = run(['--project', 'cluster', '--project', 'long', '--project', 'side'], '[beside] ').then((c) => {
    process.stdout.write(`[beside] cluster + long + side finished with exit code ${c} after ${Math.round((Date.now() - started) / 1000)} s\n`);
    return c;
  });
  codes = await Promise.all([run(['--project', 'main']), cluster]);
  if (codes[1] !== 0) {
    process.stdout.write(`\n[beside] cluster + long + side FAILED (exit code ${codes[1]}); the last ${sideTail.length} lines of its output again:\n`);
    for (const line of sideTail) process.stdout.write(`[beside] ${line}\n`);
  }
}
process.exit(codes.find((c) => c !== 0) ?? 0);
