import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DeviceAlarmDto, DeviceAlarmPageDto, DeviceAlarmState } from '@gb/contracts';
import { encodeAlarmResponse, type ManscdpMessage } from '@gb/gb28181';
import type { Database, DeviceAlarmRow } from '@gb/persistence';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import { DeviceQueriesService } from './device-queries.service';
import type { DeviceSession } from './device-session';

/** Most alarms one GET returns (the repository's MAX_DEVICE_ALARMS_PAGE). */
export const MAX_DEVICE_ALARMS_LISTED = 500;
/** Longest text kept from a device's AlarmDescription (a peer-controlled size). */
export const MAX_ALARM_DESCRIPTION = 256;
/** Longest priority / method / type token kept (the columns' size). */
export const MAX_ALARM_TOKEN = 16;
/** Longest AlarmTime text kept. */
export const MAX_ALARM_TIME = 32;
/** Alarms one device may have stored per minute; past it they are still answered and announced, not stored (counted). */
export const MAX_ALARMS_PER_DEVICE_PER_MIN = 120;
/** Alarm writes waiting for the database at once; past it an alarm is answered and announced, not stored. */
export const MAX_PENDING_ALARM_WRITES = 256;
/** Devices whose per-minute alarm count is tracked; past it the oldest window is forgotten. */
export const MAX_ALARM_RATE_DEVICES = 100_000;
/** How often alarms older than ALARM_RETENTION_DAYS are deleted (at most ALARM_DELETE_CHUNK_ROWS per statement). */
export const ALARM_SWEEP_MS = 3_600_000;

type AlarmMessage = Extract<ManscdpMessage, { kind: 'Alarm' }>;

export interface AlarmListQuery {
  deviceId?: string;
  channelId?: string;
  priority?: string;
  method?: string;
  /** Unix seconds, received at or after. */
  from?: number;
  /** Unix seconds, received before. */
  to?: number;
  state?: DeviceAlarmState;
  limit: number;
  cursor?: string;
}

/** `<receivedAt ms>_<id>`: the last row of the previous page. */
const CURSOR_RE = /^(\d{1,15})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export function isAlarmCursor(s: string): boolean {
  return CURSOR_RE.test(s);
}

function cursorOf(a: DeviceAlarmRow): string {
  return `${a.receivedAt.getTime()}_${a.id}`;
}

/**
 * Alarms devices report (GB/T 28181 §9.4: motion, video loss, tamper, I/O, faults): acknowledged to the device with
 * a `<Response><CmdType>Alarm</CmdType><Result>OK</Result>` MESSAGE (after the 200 to its Notify), stored in the
 * database (ALARM_RETENTION_DAYS, swept hourly) and published as `device.alarm` events; operators acknowledge and
 * clear them (`device.alarm.updated`). Storage is bounded per device (MAX_ALARMS_PER_DEVICE_PER_MIN) and in flight
 * (MAX_PENDING_ALARM_WRITES): an alarm over a bound is still answered and announced, only not stored.
 */
@Injectable()
export class DeviceAlarmsService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('alarms');
  private readonly rate = new Map<string, { minute: number; n: number }>();
  private pendingWrites = 0;
  /** The last alarm's announcement: each waits for the one before it. Never rejects. */
  private announced: Promise<void> = Promise.resolve();
  private sweeper?: NodeJS.Timeout;
  readonly stats = { stored: 0, notStored: 0, swept: 0 };

  constructor(
    private readonly queries: DeviceQueriesService,
    private readonly events: EventBus,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep(), ALARM_SWEEP_MS);
    this.sweeper.unref();
    void this.sweep();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Stores one alarm; never rejects (a failed write is counted and logged). */
  private async store(row: DeviceAlarmRow, channelId: string): Promise<void> {
    this.pendingWrites++;
    try {
      await this.db.deviceAlarms.add(row);
      this.stats.stored++;
    } catch (e) {
      this.stats.notStored++;
      this.log.warn(`alarm of ${channelId} not stored: ${(e as Error).message}`);
    } finally {
      this.pendingWrites--;
    }
  }

  /** Deletes alarms past ALARM_RETENTION_DAYS, chunk by chunk; never rejects. */
  async sweep(now = Date.now()): Promise<number> {
    const before = new Date(now - this.cfg.ALARM_RETENTION_DAYS * 86_400_000);
    let total = 0;
    try {
      for (;;) {
        const n = await this.db.deviceAlarms.deleteReceivedBefore(before);
        total += n;
        if (n === 0) break;
      }
    } catch (e) {
      this.log.warn(`alarm retention sweep: ${(e as Error).message}`);
    }
    this.stats.swept += total;
    return total;
  }

  /** `respond: false` for an alarm that came in a NOTIFY (its 200 is the acknowledgement, no Response MESSAGE). */
  async onAlarm(s: DeviceSession, m: AlarmMessage, o: { respond?: boolean } = {}): Promise<DeviceAlarmDto> {
    const channelId = m.deviceId || s.deviceId;
    const row: DeviceAlarmRow = {
      id: randomUUID(),
      deviceId: s.deviceId,
      channelId,
      priority: token(m.alarmPriority),
      method: token(m.alarmMethod),
      type: token(m.alarmType),
      time: m.alarmTime === null ? null : m.alarmTime.slice(0, MAX_ALARM_TIME),
      description: m.alarmDescription === null ? null : m.alarmDescription.slice(0, MAX_ALARM_DESCRIPTION),
      longitude: m.longitude,
      latitude: m.latitude,
      receivedAt: new Date(),
      ackedAt: null,
      ackedBy: null,
      clearedAt: null,
      clearedBy: null,
    };
    let stored = Promise.resolve();
    if (this.admit(s.deviceId, row.receivedAt.getTime())) stored = this.store(row, channelId);
    else this.stats.notStored++;
    const dto = alarmDtoOf(row);
    // Writes run side by side; announcements keep the order the alarms arrived in (one write may finish before an
    // earlier one), so a listener sees the same order as the list.
    const announced = this.announced.then(() => stored).then(() => this.events.publish('device.alarm', dto));
    this.announced = announced;
    await announced;
    if (o.respond === false) return dto;
    this.queries.sendManscdp(s, encodeAlarmResponse(m.sn, channelId), 'Alarm response').catch((e: Error) => this.log.warn(`alarm response to ${s.deviceId}: ${e.message}`));
    return dto;
  }

  /** Newest first, filtered, at most `limit`; `nextCursor` continues after the last one. */
  async list(q: AlarmListQuery): Promise<DeviceAlarmPageDto> {
    const c = q.cursor ? CURSOR_RE.exec(q.cursor) : null;
    const limit = Math.min(q.limit, MAX_DEVICE_ALARMS_LISTED);
    const rows = await this.db.deviceAlarms.list({
      ...(q.deviceId ? { deviceId: q.deviceId } : {}),
      ...(q.channelId ? { channelId: q.channelId } : {}),
      ...(q.priority ? { priority: q.priority } : {}),
      ...(q.method ? { method: q.method } : {}),
      ...(q.from !== undefined ? { from: new Date(q.from * 1000) } : {}),
      ...(q.to !== undefined ? { to: new Date(q.to * 1000) } : {}),
      ...(q.state ? { state: q.state } : {}),
      ...(c ? { before: { receivedAt: new Date(Number(c[1])), id: c[2]! } } : {}),
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    return { items: items.map(alarmDtoOf), nextCursor: rows.length > limit ? cursorOf(items[items.length - 1]!) : null };
  }

  async acknowledge(id: string, by: string): Promise<DeviceAlarmDto> {
    return this.update(id, await this.db.deviceAlarms.acknowledge(id, by, new Date()));
  }

  async clear(id: string, by: string): Promise<DeviceAlarmDto> {
    return this.update(id, await this.db.deviceAlarms.clear(id, by, new Date()));
  }

  private update(id: string, row: DeviceAlarmRow | null): DeviceAlarmDto {
    if (!row) throw new GatewayError('ALARM_NOT_FOUND', `no device alarm ${id}`, { id });
    const dto = alarmDtoOf(row);
    this.events.publish('device.alarm.updated', dto);
    return dto;
  }

  /** Within the device's per-minute budget and the in-flight bound. */
  private admit(deviceId: string, now: number): boolean {
    if (this.pendingWrites >= MAX_PENDING_ALARM_WRITES) return false;
    const minute = Math.floor(now / 60_000);
    let r = this.rate.get(deviceId);
    if (!r || r.minute !== minute) {
      this.rate.delete(deviceId);
      if (this.rate.size >= MAX_ALARM_RATE_DEVICES) this.rate.delete(this.rate.keys().next().value!);
      r = { minute, n: 0 };
      this.rate.set(deviceId, r);
    }
    if (r.n >= MAX_ALARMS_PER_DEVICE_PER_MIN) return false;
    r.n++;
    return true;
  }
}

function token(v: string | null): string | null {
  return v === null ? null : v.trim().slice(0, MAX_ALARM_TOKEN) || null;
}

export function alarmStateOf(a: Pick<DeviceAlarmRow, 'ackedAt' | 'clearedAt'>): DeviceAlarmState {
  return a.clearedAt ? 'cleared' : a.ackedAt ? 'acknowledged' : 'open';
}

export function alarmDtoOf(a: DeviceAlarmRow): DeviceAlarmDto {
  return {
    id: a.id,
    deviceId: a.deviceId,
    channelId: a.channelId,
    priority: a.priority,
    method: a.method,
    time: a.time,
    description: a.description,
    type: a.type,
    longitude: a.longitude,
    latitude: a.latitude,
    receivedAt: a.receivedAt.toISOString(),
    state: alarmStateOf(a),
    ackedAt: a.ackedAt?.toISOString() ?? null,
    ackedBy: a.ackedBy,
    clearedAt: a.clearedAt?.toISOString() ?? null,
    clearedBy: a.clearedBy,
  };
}
