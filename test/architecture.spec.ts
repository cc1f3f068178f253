import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..');

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (e === 'node_modules' || e === 'fixtures') continue;
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx)$/.test(e) && !e.endsWith('.spec.ts') && !p.includes('/testing/')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push(m[1] ?? m[2] ?? m[3]!);
  }
  return found;
}

function violations(dir: string, forbidden: (spec: string, file: string) => boolean): string[] {
  return sources(join(root, dir)).flatMap((f) => imports(f).filter((s) => forbidden(s, f)).map((s) => `${relative(root, f)} imports ${s}`));
}

describe('dependency direction (docs: style.md "The house")', () => {
  it('libs/gb28181 is pure: no sockets, files, timers, child processes, Nest or other packages of ours', () => {
    const banned = /^(node:)?(dgram|net|tls|http|https|fs|fs\/promises|child_process|worker_threads|timers|cluster)$|^@nestjs\/|^@gb\/|\.\.\/\.\.\/\.\.\//;
    expect(violations('libs/gb28181/src', (s) => banned.test(s))).toEqual([]);
  });

  it('libs/gb28181 never reads the clock or schedules work', () => {
    const bad = sources(join(root, 'libs/gb28181/src')).filter((f) => /\b(Date\.now\(\)|new Date\(\)|setTimeout\(|setInterval\(|setImmediate\(|performance\.now\(\))/.test(readFileSync(f, 'utf8')));
    expect(bad.map((f) => relative(root, f))).toEqual([]);
  });

  it('libs/contracts depends on nothing but itself', () => {
    expect(violations('libs/contracts/src', (s) => !s.startsWith('./'))).toEqual([]);
  });

  it('libs/persistence does not reach into apps or the protocol library', () => {
    expect(violations('libs/persistence/src', (s) => s.startsWith('@gb/gb28181') || s.includes('apps/'))).toEqual([]);
  });

  it('libs never import apps', () => {
    expect(violations('libs', (s) => /(^|\/)apps\//.test(s))).toEqual([]);
  });

  it('web/ imports only libs/contracts of ours', () => {
    expect(violations('web', (s) => (s.startsWith('@gb/') && s !== '@gb/contracts') || /(^|\/)(apps|libs\/(?!contracts))/.test(s))).toEqual([]);
  });

  it('onnxruntime-node is imported in exactly one place', () => {
    const users = ['apps', 'libs'].flatMap((d) => sources(join(root, d))).filter((f) => imports(f).includes('onnxruntime-node'));
    expect(users.map((f) => relative(root, f))).toEqual(['apps/vision-worker/src/model/onnx-detector.ts']);
  });
});
