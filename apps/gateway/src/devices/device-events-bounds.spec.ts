import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseManscdp, encodeAlarmNotify, encodeMobilePositionNotify, type ManscdpMessage } from '@gb/gb28181';
import type { Database } from '@gb/persistence';
import type { GatewayConfig } from '../config/config.schema';
import { EventBus } from '../events/event-bus';
import { ChannelPositionsService, MAX_POSITIONS_PER_DEVICE_PER_MIN } from './channel-positions.service';
import { DeviceAlarmsService, MAX_ALARMS_PER_DEVICE_PER_MIN } from './device-alarms.service';
import type { DeviceQueriesService } from './device-queries.service';
import { newDeviceSession } from './device-session';

const DEV = '34020000001110000001';
const ch = (i: number) => `3402000000132${String(i).padStart(7, '0')}`;
const session = newDeviceSession(DEV, { transport: 'udp', remoteHost: '127.0.0.1', remotePort: 5060, localHost: '127.0.0.1', localPort: 5060 } as never);
const T0 = new Date('2026-12-03T08:00:00.000Z').getTime();

function position(channelId: string, o: { lon?: number; time?: string } = {}) {
  const m = parseManscdp(encodeMobilePositionNotify({ sn: 1, deviceId: channelId, time: o.time ?? '2026-12-03T08:00:00', longitude: o.lon ?? 120, latitude: 30 }));
  return m as Extract<ManscdpMessage, { kind: 'MobilePositionNotify' }>;
}

describe('ChannelPositionsService bounds (fake database)', () => {
  const stored: { channelId: string; time: Date }[] = [];
  let fail = false;
  let svc: ChannelPositionsService;
  const events = new EventBus();
  const published: string[] = [];
  events.subscribe((e) => {
    if (e.type === 'position.updated') published.push(e.data.channelId);
  });
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    stored.length = 0;
    published.length = 0;
    fail = false;
    const db = { positions: { add: async (r: { channelId: string; time: Date }) => { if (fail) throw new Error('db down'); stored.push(r); return { ...r, id: 'x' }; } } } as unknown as Database;
    svc = new ChannelPositionsService(events, db, { POSITION_MIN_INTERVAL_MS: 1000, POSITION_RETENTION_DAYS: 30 } as GatewayConfig);
  });
  afterEach(() => vi.useRealTimers());

  it('keeps one position per channel per POSITION_MIN_INTERVAL_MS; other channels are not held back', async () => {
    expect(await svc.onPosition(session, position(ch(1)))).toBe(true);
    vi.setSystemTime(T0 + 500);
    expect(await svc.onPosition(session, position(ch(1)))).toBe(false);
    expect(await svc.onPosition(session, position(ch(2)))).toBe(true);
    vi.setSystemTime(T0 + 1000);
    expect(await svc.onPosition(session, position(ch(1)))).toBe(true);
    expect(stored.map((s) => s.channelId)).toEqual([ch(1), ch(2), ch(1)]);
    expect(published).toEqual([ch(1), ch(2), ch(1)]);
    expect(svc.stats).toMatchObject({ stored: 3, dropped: 1 });
  });

  it(`stores at most MAX_POSITIONS_PER_DEVICE_PER_MIN (${MAX_POSITIONS_PER_DEVICE_PER_MIN}) per device per minute, then again the next minute`, async () => {
    for (let i = 0; i < MAX_POSITIONS_PER_DEVICE_PER_MIN + 10; i++) await svc.onPosition(session, position(ch(i)));
    expect(stored).toHaveLength(MAX_POSITIONS_PER_DEVICE_PER_MIN);
    vi.setSystemTime(T0 + 60_000);
    expect(await svc.onPosition(session, position(ch(100_000)))).toBe(true);
  });

  it('a device Time more than a day off is replaced by the received time; unreadable positions and database failures are counted, never thrown', async () => {
    await svc.onPosition(session, position(ch(1), { time: '2001-01-01T00:00:00' }));
    expect(stored[0]!.time.getTime()).toBe(T0);
    expect(await svc.onPosition(session, position(ch(2), { lon: 500 }))).toBe(false);
    fail = true;
    expect(await svc.onPosition(session, position(ch(3)))).toBe(false);
    expect(svc.stats).toMatchObject({ stored: 1, malformed: 1, dropped: 1 });
  });
});

describe('DeviceAlarmsService bounds (fake database)', () => {
  afterEach(() => vi.useRealTimers());

  it(`stores at most MAX_ALARMS_PER_DEVICE_PER_MIN (${MAX_ALARMS_PER_DEVICE_PER_MIN}) per device per minute, but announces and acknowledges every alarm; a NOTIFY alarm gets no Response MESSAGE`, async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
    let inserts = 0;
    let responses = 0;
    const events = new EventBus();
    let announced = 0;
    events.subscribe((e) => {
      if (e.type === 'device.alarm') announced++;
    });
    const db = { deviceAlarms: { add: async () => { inserts++; } } } as unknown as Database;
    const queries = { sendManscdp: async () => { responses++; } } as unknown as DeviceQueriesService;
    const svc = new DeviceAlarmsService(queries, events, db, { ALARM_RETENTION_DAYS: 90 } as GatewayConfig);
    const alarm = parseManscdp(encodeAlarmNotify({ sn: 1, deviceId: ch(1), priority: 1, method: 5, time: '2026-12-03T08:00:00', description: 'x'.repeat(1000) })) as Extract<ManscdpMessage, { kind: 'Alarm' }>;
    let last;
    for (let i = 0; i < MAX_ALARMS_PER_DEVICE_PER_MIN + 5; i++) last = await svc.onAlarm(session, alarm);
    expect([inserts, announced, responses]).toEqual([MAX_ALARMS_PER_DEVICE_PER_MIN, MAX_ALARMS_PER_DEVICE_PER_MIN + 5, MAX_ALARMS_PER_DEVICE_PER_MIN + 5]);
    expect(last!.description).toHaveLength(256);
    vi.setSystemTime(T0 + 60_000);
    await svc.onAlarm(session, alarm, { respond: false });
    expect([inserts, responses]).toEqual([MAX_ALARMS_PER_DEVICE_PER_MIN + 1, MAX_ALARMS_PER_DEVICE_PER_MIN + 5]);
  });

  it('announces alarms in the order they arrived although their writes finish in another order (the first write is the slowest)', async () => {
    const events = new EventBus();
    const announced: string[] = [];
    events.subscribe((e) => {
      if (e.type === 'device.alarm') announced.push(e.data.description ?? '');
    });
    const writes: { description: string | null; done: () => void }[] = [];
    const db = { deviceAlarms: { add: (r: { description: string | null }) => new Promise<void>((done) => writes.push({ description: r.description, done })) } } as unknown as Database;
    const queries = { sendManscdp: async () => undefined } as unknown as DeviceQueriesService;
    const svc = new DeviceAlarmsService(queries, events, db, { ALARM_RETENTION_DAYS: 90 } as GatewayConfig);
    const alarm = (d: string) => parseManscdp(encodeAlarmNotify({ sn: 1, deviceId: ch(1), priority: 1, method: 5, time: '2026-12-03T08:00:00', description: d })) as Extract<ManscdpMessage, { kind: 'Alarm' }>;
    const done = ['a', 'b', 'c'].map((d) => svc.onAlarm(session, alarm(d)));
    expect(writes.map((w) => w.description)).toEqual(['a', 'b', 'c']); // written side by side
    writes[2]!.done();
    writes[1]!.done();
    await new Promise((r) => setImmediate(r));
    expect(announced).toEqual([]); // 'a' is still being written
    writes[0]!.done();
    await Promise.all(done);
    expect(announced).toEqual(['a', 'b', 'c']);
  });
});
