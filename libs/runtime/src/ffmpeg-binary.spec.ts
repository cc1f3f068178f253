import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FfmpegNotFoundError, findFfmpeg, resolveFfmpeg } from './ffmpeg-binary';

describe('findFfmpeg() / resolveFfmpeg()', () => {
  it('FFMPEG_PATH wins, unchecked (the operator said so)', () => {
    expect(findFfmpeg({ FFMPEG_PATH: '/opt/x/ffmpeg', PATH: '' })).toBe('/opt/x/ffmpeg');
  });

  it('else the first executable ffmpeg on PATH; a non-executable file of that name is skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ffbin-'));
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      for (const d of [a, b]) {
        mkdirSync(d);
        writeFileSync(join(d, 'ffmpeg'), '#!/bin/sh\n');
      }
      chmodSync(join(b, 'ffmpeg'), 0o755);
      chmodSync(join(a, 'ffmpeg'), 0o644);
      expect(findFfmpeg({ PATH: `${a}:${b}` })).toBe(join(b, 'ffmpeg'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on this machine (ffmpeg installed, or @ffmpeg-installer) one is found', () => {
    expect(resolveFfmpeg()).toMatch(/ffmpeg$/);
  });

  it('FfmpegNotFoundError carries code FFMPEG_NOT_FOUND and says how to get ffmpeg', () => {
    const e = new FfmpegNotFoundError();
    expect(e.code).toBe('FFMPEG_NOT_FOUND');
    expect(e.message).toMatch(/FFMPEG_PATH/);
  });
});
