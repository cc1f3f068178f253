import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ChannelPositionDto } from '@gb/contracts';
import { isGb28181Error, readMobilePosition, type ManscdpMessage } from '@gb/gb28181';
import type { Database } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import { parseGbTime } from '../records/record-time';
import type { DeviceSession } from './device-session';
import { positionDtoOf } from './devices.service';

/** Positions one device may have stored per minute, all its channels together; past it they are dropped (counted). */
export const MAX_POSITIONS_PER_DEVICE_PER_MIN = 600;
/** Position writes waiting for the database at once; past it a position is dropped. */
export const MAX_PENDING_POSITION_WRITES = 256;
/** Channels / devices whose last stored time and per-minute count are tracked; past it the oldest is forgotten. */
export const MAX_POSITION_RATE_ENTRIES = 100_000;
/** How often positions older than POSITION_RETENTION_DAYS are deleted. */
export const POSITION_SWEEP_MS = 3_600_000;
/** A device's Time further than this from the gateway's clock is not believed: the received time is stored instead. */
export const MAX_POSITION_CLOCK_SKEW_MS = 24 * 3_600_000;

type PositionMessage = Extract<ManscdpMessage, { kind: 'MobilePositionNotify' }>;

/**
 * Mobile positions (GB/T 28181-2016 §9.10: a MobilePosition Notify MESSAGE from a vehicle, body or drone camera):
 * checked by readMobilePosition(), stored per channel (POSITION_RETENTION_DAYS, swept hourly) and published as
 * `position.updated`. Bounded: one stored position per channel per POSITION_MIN_INTERVAL_MS, at most
 * MAX_POSITIONS_PER_DEVICE_PER_MIN per device and MAX_PENDING_POSITION_WRITES in flight; the rest are dropped.
 * The 200 to the MESSAGE has already gone (DeviceMessagesService answers before acting); an unreadable position is
 * counted and logged.
 */
@Injectable()
export class ChannelPositionsService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('positions');
  private readonly lastStored = new Map<string, number>();
  private readonly rate = new Map<string, { minute: number; n: number }>();
  private pendingWrites = 0;
  private sweeper?: NodeJS.Timeout;
  readonly stats = { stored: 0, dropped: 0, malformed: 0, swept: 0 };

  constructor(
    private readonly events: EventBus,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep(), POSITION_SWEEP_MS);
    this.sweeper.unref();
    void this.sweep();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  async sweep(now = Date.now()): Promise<number> {
    const before = new Date(now - this.cfg.POSITION_RETENTION_DAYS * 86_400_000);
    let total = 0;
    try {
      for (;;) {
        const n = await this.db.positions.deleteBefore(before);
        total += n;
        if (n === 0) break;
      }
    } catch (e) {
      this.log.warn(`position retention sweep: ${(e as Error).message}`);
    }
    this.stats.swept += total;
    return total;
  }

  /** Stores and announces a position; false when it was unreadable or over a bound. Never rejects. */
  async onPosition(s: DeviceSession, m: PositionMessage): Promise<boolean> {
    let p;
    try {
      p = readMobilePosition(m);
    } catch (e) {
      this.stats.malformed++;
      this.log.debug(`unreadable MobilePosition from ${s.deviceId}: ${isGb28181Error(e) ? `${e.code} ${e.message}` : (e as Error).message}`);
      return false;
    }
    const channelId = p.channelId || s.deviceId;
    const now = Date.now();
    if (!this.admit(s.deviceId, channelId, now)) {
      this.stats.dropped++;
      return false;
    }
    const deviceTime = p.time === null ? null : parseGbTime(p.time);
    const time = deviceTime !== null && Math.abs(deviceTime * 1000 - now) <= MAX_POSITION_CLOCK_SKEW_MS ? new Date(deviceTime * 1000) : new Date(now);
    this.pendingWrites++;
    try {
      const row = await this.db.positions.add({ channelId, deviceId: s.deviceId, time, longitude: p.longitude, latitude: p.latitude, speed: p.speed, direction: p.direction, altitude: p.altitude, receivedAt: new Date(now) });
      this.stats.stored++;
      this.events.publish('position.updated', { deviceId: s.deviceId, channelId, ...positionDtoOf(row) });
      return true;
    } catch (e) {
      this.stats.dropped++;
      this.log.warn(`position of ${channelId} not stored: ${(e as Error).message}`);
      return false;
    } finally {
      this.pendingWrites--;
    }
  }

  /** A channel's positions in [from, to) (unix seconds), oldest first, the latest `limit` when more match. */
  async list(channelId: string, q: { from?: number; to?: number; limit: number }): Promise<ChannelPositionDto[]> {
    const rows = await this.db.positions.list(channelId, {
      ...(q.from !== undefined ? { from: new Date(q.from * 1000) } : {}),
      ...(q.to !== undefined ? { to: new Date(q.to * 1000) } : {}),
      limit: q.limit,
    });
    return rows.map(positionDtoOf);
  }

  private admit(deviceId: string, channelId: string, now: number): boolean {
    if (this.pendingWrites >= MAX_PENDING_POSITION_WRITES) return false;
    const last = this.lastStored.get(channelId);
    if (last !== undefined && now - last < this.cfg.POSITION_MIN_INTERVAL_MS) return false;
    const minute = Math.floor(now / 60_000);
    let r = this.rate.get(deviceId);
    if (!r || r.minute !== minute) {
      this.rate.delete(deviceId);
      if (this.rate.size >= MAX_POSITION_RATE_ENTRIES) this.rate.delete(this.rate.keys().next().value!);
      r = { minute, n: 0 };
      this.rate.set(deviceId, r);
    }
    if (r.n >= MAX_POSITIONS_PER_DEVICE_PER_MIN) return false;
    r.n++;
    this.lastStored.delete(channelId);
    if (this.lastStored.size >= MAX_POSITION_RATE_ENTRIES) this.lastStored.delete(this.lastStored.keys().next().value!);
    this.lastStored.set(channelId, now);
    return true;
  }
}
