import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { parseSipMessage, SipRequest } from '../../libs/gb28181/src/sip';
import { outcome, requireCorpus } from './conformance-corpus';

const dir = requireCorpus('protos-c07-sip');
let tmp = '';
let files: string[] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'protos-c07-'));
  try {
    execFileSync('tar', ['-xzf', join(dir, 'messages.tgz'), '-C', tmp]);
  } catch (e) {
    throw new Error(`extracting messages.tgz needs the "tar" command (install tar/gzip): ${String(e)}`);
  }
  files = readdirSync(join(tmp, 'messages')).filter((f) => f.endsWith('.sip')).sort();
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('PROTOS c07-sip r2 (4527 INVITE mutations)', () => {
  it('every case either parses or throws a Gb28181Error, quickly, and the valid case 0 parses', () => {
    expect(files).toHaveLength(4527);
    const index = new Map(
      readFileSync(join(dir, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => {
        const c = l.split('\t');
        return [c[0]!, c[5]!] as const;
      }),
    );
    const tally: Record<string, number> = {};
    let slowest = { ms: 0, data: Buffer.alloc(0) };
    for (const f of files) {
      const data = readFileSync(join(tmp, 'messages', f));
      expect(createHash('sha256').update(data).digest('hex'), f).toBe(index.get(f.slice(0, 7)));
      const t0 = performance.now();
      const o = outcome(data); // rethrows anything that is not a Gb28181Error
      const ms = performance.now() - t0;
      if (ms > slowest.ms) slowest = { ms, data };
      tally[o] = (tally[o] ?? 0) + 1;
    }
    // no pathological (hang-like) input: the slowest case, re-timed (best of 5, so one GC pause on a
    // busy machine does not count), parses in well under 50 ms
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      outcome(slowest.data);
      best = Math.min(best, performance.now() - t0);
    }
    expect(best).toBeLessThan(50);
    expect(tally['OK']).toBeGreaterThan(0);
    const total = Object.values(tally).reduce((a, b) => a + b, 0);
    expect(total).toBe(4527);
    const valid = parseSipMessage(readFileSync(join(tmp, 'messages', '0000000.sip'))) as SipRequest;
    expect(valid.method).toBe('INVITE');
    expect(valid.headers.get('Call-ID')).toBe('0@127.0.0.1');
  });
});
