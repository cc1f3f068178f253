import { describe, expect, it } from 'vitest';
import { vodPlaylist } from './vod-playlist';

const t0 = Date.UTC(2026, 11, 3, 8);

describe('vodPlaylist()', () => {
  it('lists the segments with their durations, a discontinuity and a date-time before each gap, and ends the list', () => {
    const text = vodPlaylist(
      [
        { id: 'a', start: t0, end: t0 + 10_000 },
        { id: 'b', start: t0 + 10_000, end: t0 + 19_960 },
        { id: 'c', start: t0 + 60_000, end: t0 + 70_500 },
      ],
      (s) => `${s.id}.ts?token=x`,
    );
    expect(text).toBe(
      [
        '#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:11', '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-PROGRAM-DATE-TIME:2026-12-03T08:00:00.000Z', '#EXTINF:10.000,', 'a.ts?token=x',
        '#EXTINF:9.960,', 'b.ts?token=x',
        '#EXT-X-DISCONTINUITY', '#EXT-X-PROGRAM-DATE-TIME:2026-12-03T08:01:00.000Z', '#EXTINF:10.500,', 'c.ts?token=x',
        '#EXT-X-ENDLIST', '',
      ].join('\n'),
    );
  });
});
