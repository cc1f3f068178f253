import { describe, expect, it } from 'vitest';
import { exportQuerySchema, playlistQuerySchema, recordingsQuerySchema, segmentFileSchema } from './recording.dto';

describe('recording query schemas', () => {
  it('read unix seconds and ISO 8601', () => {
    expect(recordingsQuerySchema.parse({ from: '1796256000', to: '2026-12-03T09:00:00Z' })).toEqual({ start: 1796256000, end: Date.UTC(2026, 11, 3, 9) / 1000 });
  });

  it('refuse bad dates, reversed or empty ranges, spans past their bound and unknown keys', () => {
    const bad: [typeof recordingsQuerySchema | typeof exportQuerySchema | typeof playlistQuerySchema, Record<string, string>][] = [
      [recordingsQuerySchema, { from: 'yesterday', to: '1796256000' }],
      [recordingsQuerySchema, { from: '2026-02-30T00:00:00Z', to: '2026-03-01T00:00:00Z' }],
      [recordingsQuerySchema, { from: '1796256000', to: '1796256000' }],
      [recordingsQuerySchema, { from: '1796256000', to: '1796255000' }],
      [recordingsQuerySchema, { from: '1700000000', to: '1796256000' }],
      [recordingsQuerySchema, { from: '1796256000' }],
      [recordingsQuerySchema, { from: '1796256000', to: '1796257000', x: '1' }],
      [recordingsQuerySchema, { from: '9'.repeat(41), to: '1796257000' }],
      [exportQuerySchema, { from: '1796256000', to: String(1796256000 + 2 * 3600 + 1) }],
      [playlistQuerySchema, { from: '1796256000', to: String(1796256000 + 86_401) }],
    ];
    for (const [schema, q] of bad) expect(schema.safeParse(q).success, JSON.stringify(q).slice(0, 80)).toBe(false);
    expect(exportQuerySchema.safeParse({ from: '1796256000', to: String(1796256000 + 7200) }).success).toBe(true);
  });

  it('segment file names are <uuid>.ts only', () => {
    expect(segmentFileSchema.safeParse('0f8b6c1e-1a2b-4c3d-8e9f-0123456789ab.ts').success).toBe(true);
    for (const f of ['../x.ts', 'index.m3u8', '0f8b6c1e-1a2b-4c3d-8e9f-0123456789ab.mp4', '0F8B6C1E-1A2B-4C3D-8E9F-0123456789AB.ts/..']) expect(segmentFileSchema.safeParse(f).success).toBe(false);
  });
});
