import { describe, it, expect, afterEach, vi } from 'vitest';
import { encodeRecordInfoResponses, parseManscdp, type ManscdpMessage } from '@gb/gb28181';
import { GatewayError } from '../common/gateway-error';
import type { GatewayConfig } from '../config/config.schema';
import type { SipService, OutgoingMessage } from '../sip/sip.service';
import type { DevicesService } from '../devices/devices.service';
import { DeviceQueriesService } from '../devices/device-queries.service';
import type { CatalogSyncService } from '../devices/catalog-sync.service';
import type { DeviceMessagesService } from '../devices/device-messages.service';
import { RECORD_FIRST_ANSWER_TIMEOUT_MS, RecordsService } from './records.service';
import { formatGbTime } from './record-time';

const DEVICE = '34020000001110000001';
const CHANNEL = '34020000001320000001';
const GAP_MS = 5000;
const T0 = Math.floor(new Date(2024, 2, 5, 8, 0, 0).getTime() / 1000);

const ITEMS = [
  { startTime: formatGbTime(T0 + 7200), endTime: formatGbTime(T0 + 9000), filePath: '/rec/3.dav', type: 'time' },
  { startTime: formatGbTime(T0), endTime: formatGbTime(T0 + 1800), filePath: '/rec/1.dav', type: 'time' },
  { startTime: formatGbTime(T0 + 3600), endTime: formatGbTime(T0 + 5400), filePath: '/rec/2.dav', type: 'alarm' },
];

/** A RecordsService over fake SIP/devices/messages; `deliver` hands it a device MESSAGE as DeviceMessagesService would. */
function setup(opts: { status?: number } = {}) {
  const sent: OutgoingMessage[] = [];
  let listener: ((deviceId: string, m: ManscdpMessage) => void) | undefined;
  const sip = { send: async (m: OutgoingMessage) => (sent.push(m), { status: opts.status ?? 200, reason: opts.status ? 'Nope' : 'OK' }) };
  const devices = { requireChannel: async () => undefined, requireOnline: (id: string) => ({ deviceId: id, flow: { transport: 'udp', remoteHost: '127.0.0.1', remotePort: 5060, localHost: '127.0.0.1' } }) };
  // The real sender over the fake SIP: what goes on the wire is what the assertions read.
  const queries = new DeviceQueriesService({} as GatewayConfig, sip as unknown as SipService, devices as unknown as DevicesService, {} as CatalogSyncService);
  queries.nextSn = () => 4711;
  const messages = { subscribe: (l: typeof listener) => ((listener = l), () => (listener = undefined)) };
  const svc = new RecordsService(
    { CATALOG_GAP_TIMEOUT_MS: GAP_MS } as GatewayConfig,
    devices as unknown as DevicesService, queries, messages as unknown as DeviceMessagesService,
  );
  svc.onModuleInit();
  const deliver = (packet: Buffer) => listener!(DEVICE, parseManscdp(packet));
  return { svc, sent, deliver };
}

function packets(sn: number, perMessage = 2, sumNum?: number): Buffer[] {
  return encodeRecordInfoResponses({ sn, deviceId: CHANNEL, items: ITEMS, perMessage, sumNum });
}

describe('RecordsService', () => {
  afterEach(() => vi.useRealTimers());

  it('list() sends a RecordInfo query whose DeviceID is the channel, with local StartTime/EndTime, Secrecy 0 and Type all', async () => {
    const { svc, sent, deliver } = setup();
    const p = svc.list(DEVICE, CHANNEL, T0, T0 + 86_400);
    await Promise.resolve();
    expect(sent).toHaveLength(1);
    expect(sent[0]!).toMatchObject({ method: 'MESSAGE', targetId: DEVICE, contentType: 'Application/MANSCDP+xml' });
    const q = parseManscdp(sent[0]!.body!);
    expect(q).toMatchObject({ kind: 'RecordInfoQuery', cmdType: 'RecordInfo', sn: 4711, deviceId: CHANNEL, startTime: '2024-03-05T08:00:00', endTime: '2024-03-06T08:00:00', type: 'all', secrecy: '0' });
    for (const b of packets(4711)) deliver(b);
    await p;
  });

  it('list() with 3 records in 2 packets, reordered and one duplicated, resolves complete and sorted by start', async () => {
    const { svc, deliver } = setup();
    const p = svc.list(DEVICE, CHANNEL, T0, T0 + 86_400);
    await Promise.resolve();
    const [a, b] = packets(4711);
    deliver(b!);
    deliver(b!);
    deliver(a!);
    const r = await p;
    expect(r).toMatchObject({ deviceId: DEVICE, channelId: CHANNEL, sumNum: 3, complete: true, dropped: 0 });
    expect(r.records.map((x) => [x.filePath, x.start, x.end, x.type])).toEqual([
      ['/rec/1.dav', T0, T0 + 1800, 'time'],
      ['/rec/2.dav', T0 + 3600, T0 + 5400, 'alarm'],
      ['/rec/3.dav', T0 + 7200, T0 + 9000, 'time'],
    ]);
    expect(r.records[0]!.startTime).toBe(new Date(T0 * 1000).toISOString());
    expect(svc.inFlight).toBe(0);
  });

  it('list() whose second packet never comes returns what arrived with complete: false after the gap timeout', async () => {
    vi.useFakeTimers();
    const { svc, deliver } = setup();
    const p = svc.list(DEVICE, CHANNEL, T0, T0 + 86_400);
    await vi.advanceTimersByTimeAsync(0);
    deliver(packets(4711)[0]!);
    let settled = false;
    void p.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(GAP_MS - 10);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    const r = await p;
    expect(r.complete).toBe(false);
    expect(r.sumNum).toBe(3);
    expect(r.records).toHaveLength(2);
  });

  it('list() answered with SumNum 0 and no items resolves at once, complete and empty', async () => {
    const { svc, deliver } = setup();
    const p = svc.list(DEVICE, CHANNEL, T0, T0 + 60);
    await Promise.resolve();
    deliver(encodeRecordInfoResponses({ sn: 4711, deviceId: CHANNEL, items: [] })[0]!);
    expect(await p).toMatchObject({ sumNum: 0, complete: true, records: [] });
  });

  it('list() ignores answers with another SN and fails with DEVICE_TIMEOUT when no answer arrives in time', async () => {
    vi.useFakeTimers();
    const { svc, deliver } = setup();
    const p = svc.list(DEVICE, CHANNEL, T0, T0 + 60);
    const outcome = p.then(() => 'resolved', (e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    for (const b of packets(4712)) deliver(b);
    await vi.advanceTimersByTimeAsync(RECORD_FIRST_ANSWER_TIMEOUT_MS + 1);
    const e = await outcome;
    expect(e).toBeInstanceOf(GatewayError);
    expect((e as GatewayError).code).toBe('DEVICE_TIMEOUT');
    expect((e as GatewayError).message).toMatch(/sent no answer within 10000 ms/);
    expect(svc.inFlight).toBe(0);
  });

  it('list() refused by the device (488) fails with DEVICE_REFUSED naming the status', async () => {
    const { svc } = setup({ status: 488 });
    await expect(svc.list(DEVICE, CHANNEL, T0, T0 + 60)).rejects.toMatchObject({ code: 'DEVICE_REFUSED', message: expect.stringContaining('488') });
    expect(svc.inFlight).toBe(0);
  });

  it('list() with end not after start, or a span over 31 days, fails validation before sending anything', async () => {
    const { svc, sent } = setup();
    await expect(svc.list(DEVICE, CHANNEL, T0, T0)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(svc.list(DEVICE, CHANNEL, T0, T0 + 32 * 86_400)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(sent).toHaveLength(0);
  });
});
