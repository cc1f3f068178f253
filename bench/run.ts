// `npm run bench [group…]`: runs every bench/*.bench.ts (or the named groups) and prints figures beside targets/baselines.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchModule, BenchResult } from './bench-result';

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

function line(r: BenchResult): string {
  const better = r.better ?? 'higher';
  const parts = [`${r.group.padEnd(14)} ${r.name.padEnd(48)} ${fmt(r.value).padStart(12)} ${r.unit.padEnd(10)}`];
  if (r.target !== undefined) {
    const ok = better === 'higher' ? r.value >= r.target : r.value <= r.target;
    const ratio = better === 'higher' ? r.value / r.target : r.target / r.value;
    parts.push(`target ${better === 'higher' ? '≥' : '≤'} ${fmt(r.target)} (${ratio.toFixed(2)}×) ${ok ? 'MET' : 'MISSED'}`);
  }
  if (r.baseline) parts.push(`vs ${r.baseline.name} ${fmt(r.baseline.value)} (${(r.value / r.baseline.value).toFixed(2)}×)`);
  if (r.note) parts.push(`— ${r.note}`);
  return parts.join('  ');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).sort();
  let failed = 0;
  for (const f of files) {
    if (only.length && !only.some((o) => f.startsWith(o))) continue;
    process.stdout.write(`\n# ${f}\n`);
    try {
      const mod = (await import(join(__dirname, f))) as BenchModule;
      for (const r of await mod.run()) process.stdout.write(line(r) + '\n');
    } catch (e) {
      failed++;
      process.stdout.write(`  FAILED: ${(e as Error).stack ?? e}\n`);
    }
  }
  process.exitCode = failed ? 1 : 0;
}

void main();
