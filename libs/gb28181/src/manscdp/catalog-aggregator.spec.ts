import { describe, expect, it } from 'vitest';
import { CatalogAggregator, RecordInfoAggregator } from './catalog-aggregator';
import { parseManscdp } from './manscdp.codec';
import { encodeCatalogResponses } from './manscdp.encoder';
import type { CatalogItem, RecordItem } from './manscdp.types';

const NVR = '34020000001180000001';

function item(n: number, name = `ch${n}`): CatalogItem {
  return {
    deviceId: `340200000013200${String(n).padStart(5, '0')}`,
    name,
    manufacturer: null,
    model: null,
    owner: null,
    civilCode: null,
    block: null,
    address: null,
    parental: 0,
    parentId: NVR,
    safetyWay: null,
    registerWay: null,
    secrecy: null,
    ipAddress: null,
    port: null,
    status: 'ON',
    longitude: null,
    latitude: null,
    ptzType: null,
    event: null,
  };
}

const packet = (sn: number, sumNum: number, ...ns: number[]) => ({ sn, sumNum, items: ns.map((n) => item(n)) });

describe('CatalogAggregator', () => {
  it('in-order packets from real encoded bodies complete when the distinct items reach SumNum', () => {
    const agg = new CatalogAggregator();
    agg.start(NVR, 17430, 0);
    const bodies = encodeCatalogResponses({ sn: 17430, deviceId: NVR, items: [1, 2, 3].map((n) => item(n)), perMessage: 2 });
    const events = bodies.map((b, i) => {
      const m = parseManscdp(b);
      if (m.kind !== 'CatalogResponse') throw new Error(m.kind);
      return agg.add(m.deviceId, m, 10 * i);
    });
    expect(events[0]).toEqual({ status: 'progress', deviceId: NVR, sn: 17430, received: 2, sumNum: 3 });
    expect(events[1]).toMatchObject({ status: 'complete', result: { deviceId: NVR, sn: 17430, sumNum: 3, complete: true } });
    if (events[1]!.status !== 'complete') throw new Error('not complete');
    expect(events[1].result.items.map((i) => i.deviceId)).toEqual([1, 2, 3].map((n) => item(n).deviceId));
    expect(agg.pending).toBe(0);
  });

  it('reordered packets complete with every item', () => {
    const agg = new CatalogAggregator();
    agg.start(NVR, 1, 0);
    expect(agg.add(NVR, packet(1, 4, 3, 4), 1).status).toBe('progress');
    const done = agg.add(NVR, packet(1, 4, 1, 2), 2);
    expect(done.status === 'complete' && done.result.items.map((i) => i.deviceId).sort()).toEqual([1, 2, 3, 4].map((n) => item(n).deviceId));
  });

  it('a duplicated packet is not counted twice and the last copy of an item wins', () => {
    const agg = new CatalogAggregator();
    agg.start(NVR, 2, 0);
    expect(agg.add(NVR, packet(2, 3, 1, 2), 1)).toMatchObject({ status: 'progress', received: 2 });
    expect(agg.add(NVR, { sn: 2, sumNum: 3, items: [item(1, 'renamed'), item(2)] }, 2)).toMatchObject({ status: 'progress', received: 2 });
    const done = agg.add(NVR, packet(2, 3, 3), 3);
    if (done.status !== 'complete') throw new Error(done.status);
    expect(done.result.items.find((i) => i.deviceId === item(1).deviceId)!.name).toBe('renamed');
    expect(done.result.items).toHaveLength(3);
  });

  it('a packet repeated after completion (UDP retransmission) is ignored, not a new aggregation', () => {
    const agg = new CatalogAggregator();
    agg.start(NVR, 3, 0);
    expect(agg.add(NVR, packet(3, 1, 1), 1).status).toBe('complete');
    expect(agg.add(NVR, packet(3, 1, 1), 2)).toMatchObject({ status: 'ignored' });
    expect(agg.pending).toBe(0);
  });

  it('a missing packet leaves the aggregation open; expire() after the gap returns what arrived as incomplete', () => {
    const agg = new CatalogAggregator({ gapTimeoutMs: 5000 });
    agg.start(NVR, 4, 0);
    agg.add(NVR, packet(4, 5, 1, 2), 100);
    agg.add(NVR, packet(4, 5, 5), 200);
    expect(agg.expire(5200)).toEqual([]);
    expect(agg.nextDeadline()).toBe(5201);
    const [r, ...rest] = agg.expire(5201);
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ deviceId: NVR, sn: 4, sumNum: 5, complete: false });
    expect(r!.items.map((i) => i.deviceId)).toEqual([1, 2, 5].map((n) => item(n).deviceId));
    expect(agg.pending).toBe(0);
    expect(agg.nextDeadline()).toBeNull();
  });

  it('a started query that gets no answer expires empty with SumNum 0', () => {
    const agg = new CatalogAggregator({ gapTimeoutMs: 1000 });
    agg.start(NVR, 5, 0);
    expect(agg.expire(1001)).toEqual([{ deviceId: NVR, sn: 5, sumNum: 0, items: [], complete: false }]);
  });

  it('SumNum 0 completes immediately with no items', () => {
    const agg = new CatalogAggregator();
    agg.start(NVR, 6, 0);
    expect(agg.add(NVR, { sn: 6, sumNum: 0, items: [] }, 1)).toEqual({ status: 'complete', result: { deviceId: NVR, sn: 6, sumNum: 0, items: [], complete: true } });
  });

  it('a wrong Num does not matter: completion follows distinct items against SumNum', () => {
    const [body] = encodeCatalogResponses({ sn: 7, deviceId: NVR, items: [item(1), item(2)], perMessage: 2 });
    const lying = Buffer.from(body!.toString('latin1').replace('Num="2"', 'Num=5'), 'latin1');
    const m = parseManscdp(lying);
    if (m.kind !== 'CatalogResponse') throw new Error(m.kind);
    expect(new CatalogAggregator().add(NVR, m, 0)).toMatchObject({ status: 'complete', result: { complete: true, sumNum: 2 } });
  });

  it('exceeding maxItems ends the aggregation with what it had and truncated: true; later packets are ignored', () => {
    const agg = new CatalogAggregator({ maxItems: 3 });
    agg.start(NVR, 8, 0);
    agg.add(NVR, packet(8, 10, 1, 2), 1);
    const ev = agg.add(NVR, packet(8, 10, 3, 4, 5), 2);
    if (ev.status !== 'complete') throw new Error(ev.status);
    expect(ev.result).toMatchObject({ complete: false, truncated: true, sumNum: 10 });
    expect(ev.result.items).toHaveLength(3);
    expect(agg.add(NVR, packet(8, 10, 6), 3).status).toBe('ignored');
  });

  it('interleaved devices and SNs aggregate separately; an unknown SN starts a new aggregation', () => {
    const agg = new CatalogAggregator();
    const other = '34020000001180000002';
    agg.start(NVR, 10, 0);
    agg.start(other, 10, 0);
    expect(agg.add(NVR, packet(10, 2, 1), 1).status).toBe('progress');
    expect(agg.add(other, packet(10, 2, 1), 2).status).toBe('progress');
    expect(agg.add(NVR, packet(11, 1, 9), 3)).toMatchObject({ status: 'complete', result: { sn: 11, items: [item(9)] } });
    expect(agg.pending).toBe(2);
    expect(agg.add(other, packet(10, 2, 2), 4)).toMatchObject({ status: 'complete', result: { deviceId: other } });
    expect(agg.add(NVR, packet(10, 2, 2), 5)).toMatchObject({ status: 'complete', result: { deviceId: NVR, sn: 10 } });
  });

  it('cancel() drops an aggregation without a result', () => {
    const agg = new CatalogAggregator();
    agg.start(NVR, 12, 0);
    expect(agg.cancel(NVR, 12)).toBe(true);
    expect(agg.cancel(NVR, 12)).toBe(false);
    expect(agg.expire(1e9)).toEqual([]);
  });

  it('maxPending bounds how many aggregations a peer can open with fresh SNs', () => {
    const agg = new CatalogAggregator({ maxPending: 2 });
    agg.add(NVR, packet(1, 5, 1), 0);
    agg.add(NVR, packet(2, 5, 1), 0);
    expect(agg.add(NVR, packet(3, 5, 1), 0)).toMatchObject({ status: 'ignored' });
    expect(agg.pending).toBe(2);
  });
});

describe('RecordInfoAggregator', () => {
  const rec = (h: number): RecordItem => ({
    deviceId: '34020000001320000001',
    name: null,
    filePath: null,
    address: null,
    startTime: `2024-05-06T0${h}:00:00`,
    endTime: `2024-05-06T0${h}:30:00`,
    secrecy: '0',
    type: 'time',
    recorderId: null,
    fileSize: null,
  });

  it('de-duplicates records by channel and time span and completes at SumNum', () => {
    const agg = new RecordInfoAggregator();
    agg.start(NVR, 1, 0);
    expect(agg.add(NVR, { sn: 1, sumNum: 2, items: [rec(1), rec(1)] }, 1)).toMatchObject({ status: 'progress', received: 1 });
    expect(agg.add(NVR, { sn: 1, sumNum: 2, items: [rec(2)] }, 2)).toMatchObject({ status: 'complete', result: { items: [rec(1), rec(2)], complete: true } });
  });
});
