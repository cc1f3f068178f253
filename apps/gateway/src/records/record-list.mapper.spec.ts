import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { encodeRecordInfoResponses, parseManscdp, type RecordItem } from '@gb/gb28181';
import { formatGbTime, parseApiTime, parseGbTime } from './record-time';
import { toRecordDto, toRecordList } from './record-list.mapper';

const CHANNEL = '34020000001320000001';

function parsedItems(items: { startTime: string; endTime: string; name?: string; filePath?: string; type?: string; fileSize?: number }[]): RecordItem[] {
  const [packet] = encodeRecordInfoResponses({ sn: 9, deviceId: CHANNEL, items, perMessage: 100 });
  const m = parseManscdp(packet!);
  if (m.kind !== 'RecordInfoResponse') throw new Error(`parsed as ${m.kind}`);
  return m.items;
}

describe('record times', () => {
  it('formatGbTime() then parseGbTime() round-trips any second between 2000 and 2100 in local time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 946_684_800, max: 4_102_444_800 }), (t) => {
        const text = formatGbTime(t);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
        expect(parseGbTime(text)).toBe(t);
      }),
      { seed: 28181, numRuns: 500 },
    );
  });

  it('parseGbTime() with a space instead of T reads the same local time', () => {
    expect(parseGbTime('2024-03-05 08:09:10')).toBe(parseGbTime('2024-03-05T08:09:10'));
    expect(parseGbTime('2024-03-05T08:09:10')).toBe(Math.floor(new Date(2024, 2, 5, 8, 9, 10).getTime() / 1000));
  });

  it('parseGbTime() with an impossible date or garbage returns null', () => {
    for (const bad of ['2024-02-30T00:00:00', '2024-13-01T00:00:00', '2024-01-01T25:00:00', '20240101000000', '', 'now']) {
      expect(parseGbTime(bad), bad).toBeNull();
    }
  });

  it('parseApiTime() accepts unix seconds and ISO 8601 with or without a zone, and rejects the rest', () => {
    expect(parseApiTime('1700000000')).toBe(1_700_000_000);
    expect(parseApiTime(1_700_000_000)).toBe(1_700_000_000);
    expect(parseApiTime('2023-11-14T22:13:20Z')).toBe(1_700_000_000);
    expect(parseApiTime('2023-11-15T06:13:20+08:00')).toBe(1_700_000_000);
    expect(parseApiTime('2023-11-14T22:13:20')).toBe(Math.floor(new Date(2023, 10, 14, 22, 13, 20).getTime() / 1000));
    expect(parseApiTime('2024-02-29T10:00')).not.toBeNull();
    for (const bad of ['0', '-5', 'yesterday', '2023-11-14', '1.5', 1.5, -1, '2023-11-14T22:13:20Zjunk', '2024-02-30T10:00:00Z', '2023-02-29T10:00:00', '2024-13-01T00:00:00', '2024-01-01T24:00:00', '2024-01-01T10:60:00']) {
      expect(parseApiTime(bad as string), String(bad)).toBeNull();
    }
  });
});

describe('record list mapping', () => {
  it('toRecordDto() on a parsed RecordInfo item gives ISO and unix times, name, path, type and size', () => {
    const [item] = parsedItems([{ startTime: '2024-03-05T08:00:00', endTime: '2024-03-05T08:30:00', name: '东门', filePath: '/rec/a.dav', type: 'time', fileSize: 1234567 }]);
    const start = Math.floor(new Date(2024, 2, 5, 8, 0, 0).getTime() / 1000);
    expect(toRecordDto(item!)).toEqual({
      startTime: new Date(start * 1000).toISOString(), endTime: new Date((start + 1800) * 1000).toISOString(),
      start, end: start + 1800, name: '东门', filePath: '/rec/a.dav', type: 'time', fileSize: 1234567,
    });
  });

  it('toRecordList() sorts by start then end and counts unreadable or inverted items as dropped', () => {
    const items = parsedItems([
      { startTime: '2024-03-05T10:00:00', endTime: '2024-03-05T11:00:00', filePath: 'c' },
      { startTime: '2024-03-05T08:00:00', endTime: '2024-03-05T09:00:00', filePath: 'b' },
      { startTime: '2024-03-05T08:00:00', endTime: '2024-03-05T08:30:00', filePath: 'a' },
      { startTime: '2024-03-05T12:00:00', endTime: '2024-03-05T11:00:00', filePath: 'inverted' },
      { startTime: 'soon', endTime: '2024-03-05T11:00:00', filePath: 'garbage' },
    ]);
    const list = toRecordList('34020000001110000001', CHANNEL, { sumNum: 5, complete: true, items });
    expect(list.records.map((r) => r.filePath)).toEqual(['a', 'b', 'c']);
    expect(list.dropped).toBe(2);
    expect(list).toMatchObject({ deviceId: '34020000001110000001', channelId: CHANNEL, sumNum: 5, complete: true });
  });
});
