import { describe, expect, it } from 'vitest';
import { HLS_MEMORY_BUDGET_BYTES, HlsStore } from './hls-store';

const seg = (n: number, fill: number) => Buffer.alloc(n, fill);

describe('HlsStore', () => {
  it(`keeps the newest segments within its budget (default HLS_MEMORY_BUDGET_BYTES = ${HLS_MEMORY_BUDGET_BYTES}): a put past it evicts the oldest`, () => {
    const s = new HlsStore(1000);
    s.putSegment('seg_00000.ts', seg(400, 0));
    s.putSegment('seg_00001.ts', seg(400, 1));
    expect([s.segmentNames, s.memoryBytes]).toEqual([['seg_00000.ts', 'seg_00001.ts'], 800]);
    s.putSegment('seg_00002.ts', seg(400, 2));
    expect([s.segmentNames, s.memoryBytes]).toEqual([['seg_00001.ts', 'seg_00002.ts'], 800]);
    expect(s.segment('seg_00000.ts')).toBeUndefined();
    expect(s.segment('seg_00002.ts')![0]).toBe(2);
  });

  it('a segment bigger than the whole budget is not kept (it is read from disk); putting a name again replaces it', () => {
    const s = new HlsStore(1000);
    s.putSegment('seg_00000.ts', seg(300, 0));
    s.putSegment('seg_00001.ts', seg(1001, 1));
    expect(s.segmentNames).toEqual(['seg_00000.ts']);
    s.putSegment('seg_00000.ts', seg(100, 9));
    expect([s.memoryBytes, s.segment('seg_00000.ts')![0]]).toEqual([100, 9]);
  });

  it('whenPlaylist() resolves at the announcement, at once once announced, with null on timeout or close; a throwing listener does not break announce', async () => {
    const s = new HlsStore();
    s.on('playlist', () => {
      throw new Error('listener bug');
    });
    const early = s.whenPlaylist(5000);
    s.announcePlaylist('#EXTM3U\n');
    expect(await early).toBe('#EXTM3U\n');
    expect(await s.whenPlaylist(0)).toBe('#EXTM3U\n');
    const other = new HlsStore();
    expect(await other.whenPlaylist(20)).toBeNull();
    const pending = other.whenPlaylist(5000);
    other.close();
    other.close();
    expect(await pending).toBeNull();
    other.announcePlaylist('#EXTM3U\n');
    expect(other.playlist).toBeNull();
  });
});
