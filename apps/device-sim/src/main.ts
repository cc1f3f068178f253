#!/usr/bin/env node
// GB/T 28181 device simulator CLI: `npm run device-sim -- --help`.
import { runCli } from './cli';

const interrupted = new Promise<void>((resolve) => {
  let seen = false;
  const onSignal = () => {
    if (seen) process.exit(130); // second Ctrl-C: leave without waiting for unregistration
    seen = true;
    resolve();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
});

runCli(process.argv.slice(2), {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  interrupted,
}).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`device-sim: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
