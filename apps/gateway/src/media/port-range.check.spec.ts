import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePortRange, readEphemeralPortRange, rtpRangeOverlapWarning } from './port-range.check';

describe('rtpRangeOverlapWarning()', () => {
  const linuxDefault = { min: 32768, max: 60999 };

  it.each([
    ['below the ephemeral range', { min: 30000, max: 30999 }, null],
    ['ending just before it', { min: 30000, max: 32767 }, null],
    ['above it', { min: 61000, max: 61999 }, null],
  ])('an RTP range %s gives no warning', (_, rtp, want) => {
    expect(rtpRangeOverlapWarning(rtp, linuxDefault)).toBe(want);
  });

  it('an RTP range inside the ephemeral range names both ranges, the shared ports and the config keys', () => {
    const w = rtpRangeOverlapWarning({ min: 40000, max: 40999 }, linuxDefault);
    expect(w).toMatch(/RTP_PORT_MIN\.\.RTP_PORT_MAX \(40000-40999\)/);
    expect(w).toMatch(/32768-60999/);
    expect(w).toMatch(/on 40000-40999 \(1000 ports\)/);
  });

  it('a range straddling the lower edge reports only the shared part', () => {
    expect(rtpRangeOverlapWarning({ min: 32000, max: 32768 }, linuxDefault)).toMatch(/on 32768-32768 \(1 port\)/);
  });

  it('an unknown ephemeral range (not Linux) gives no warning', () => {
    expect(rtpRangeOverlapWarning({ min: 40000, max: 40999 }, null)).toBeNull();
  });
});

describe('parsePortRange() / readEphemeralPortRange()', () => {
  it.each([
    ['32768\t60999\n', { min: 32768, max: 60999 }],
    ['1024 65535', { min: 1024, max: 65535 }],
    ['60999 32768', null],
    ['1 70000', null],
    ['', null],
    ['abc def', null],
  ])('parsePortRange(%j) -> %j', (text, want) => {
    expect(parsePortRange(text)).toEqual(want);
  });

  it('reads the file the kernel writes, and null for a file that is not there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portrange-'));
    try {
      writeFileSync(join(dir, 'range'), '49152\t65535\n');
      expect(readEphemeralPortRange(join(dir, 'range'))).toEqual({ min: 49152, max: 65535 });
      expect(readEphemeralPortRange(join(dir, 'missing'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
