import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CatalogAggregator, catalogItemKind, planCatalogChanges, type CatalogItem, type CatalogResult } from '@gb/gb28181';
import { MAX_CATALOG_CHANGES_IN_EVENT, type CatalogChangedDto } from '@gb/contracts';
import type { Database } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import { DevicesService, channelDtoOf } from './devices.service';

/** Longest a finished catalog waits for others to share its database write. */
export const CATALOG_WRITE_BATCH_MS = 100;
/** Most catalogs written in one transaction. */
export const CATALOG_WRITE_BATCH_MAX = 500;
/**
 * Most catalog change notifications (NOTIFY or Notify/Catalog MESSAGE with Event items) waiting for their database
 * write, all devices together; past it a NOTIFY is answered 503 and a MESSAGE's changes are dropped (counted).
 */
export const MAX_PENDING_CATALOG_CHANGES = 1_000;

/**
 * Multi-packet catalog aggregation (GB/T 28181 §9.5.3): packets by SN/SumNum in any order, duplicates,
 * wrong Num; after a gap with no packet, what arrived is stored (complete: false keeps channels not seen).
 */
@Injectable()
export class CatalogSyncService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('catalog');
  private readonly aggregator: CatalogAggregator;
  private timer?: NodeJS.Timeout;
  private writes: Promise<unknown> = Promise.resolve();
  /** Finished catalogs waiting for the next batch write, by device. */
  private queued = new Map<string, CatalogResult>();
  private batchTimer?: NodeJS.Timeout;
  /** Change notifications queued behind the catalog writes and not yet applied. */
  private pendingChanges = 0;
  /** changes: notifications applied; dropped: refused at MAX_PENDING_CATALOG_CHANGES; ignoredItems: items without a known Event. */
  readonly stats = { changes: 0, dropped: 0, ignoredItems: 0 };

  constructor(
    @Inject(GATEWAY_CONFIG) cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly devices: DevicesService,
    private readonly events: EventBus,
  ) {
    this.aggregator = new CatalogAggregator({ gapTimeoutMs: cfg.CATALOG_GAP_TIMEOUT_MS, maxItems: cfg.CATALOG_MAX_ITEMS });
  }

  onModuleInit(): void {
    this.timer = setInterval(() => {
      for (const r of this.aggregator.expire(Date.now())) this.store(r);
    }, 500);
  }

  begin(deviceId: string, sn: number): void {
    this.aggregator.start(deviceId, sn, Date.now());
  }

  onPacket(deviceId: string, msg: { sn: number; sumNum: number; items: CatalogItem[] }): void {
    const ev = this.aggregator.add(deviceId, msg, Date.now());
    if (ev.status === 'progress') {
      this.events.publish('catalog.progress', { deviceId, sn: ev.sn, received: ev.received, sumNum: ev.sumNum, done: false });
    } else if (ev.status === 'complete') {
      this.store(ev.result);
    }
  }

  /** Whether another change notification may be queued now (MAX_PENDING_CATALOG_CHANGES). */
  canAcceptChanges(): boolean {
    return this.pendingChanges < MAX_PENDING_CATALOG_CHANGES;
  }

  /**
   * A change notification (GB/T 28181 §9.11.3, items with `<Event>`; see planCatalogChanges): applied to the stored
   * channels in order with the catalog writes (a whole catalog queued earlier is written first), then announced as
   * `catalog.changed`. ON / OFF / VLOST / DEFECT set the status of a known channel (an unknown one carrying a Name is
   * stored whole); ADD / UPDATE store the item; DEL removes it. False when dropped at MAX_PENDING_CATALOG_CHANGES.
   */
  applyChanges(deviceId: string, items: readonly CatalogItem[]): boolean {
    if (!this.canAcceptChanges()) {
      this.stats.dropped++;
      this.log.warn(`catalog changes of ${deviceId} dropped: ${MAX_PENDING_CATALOG_CHANGES} notifications wait for the database`);
      return false;
    }
    const plan = planCatalogChanges(items);
    this.stats.ignoredItems += plan.ignored;
    if (plan.changes.length === 0) return true;
    this.pendingChanges++;
    // Behind the queued whole catalogs of every device: a catalog that arrived before the change is written before it.
    if (this.queued.size > 0) this.writeQueued();
    this.writes = this.writes.then(async () => {
      try {
        if (!this.devices.get(deviceId)) return;
        const channels = this.db.channels;
        const count = await this.devices.afterFlush(async () => {
          if (plan.deletes.length) await channels.deleteMany(deviceId, plan.deletes);
          const upserts = [...plan.upserts];
          for (const [status, list] of plan.statuses) {
            const known = new Set(await channels.setStatus(deviceId, list.map((i) => i.deviceId), status));
            // An item this catalog did not have: stored whole when the notification describes it (a Name).
            for (const i of list) if (!known.has(i.deviceId) && i.name !== null) upserts.push({ ...i, status });
          }
          if (upserts.length) await channels.upsertMany(deviceId, upserts.map(channelRow));
          const n = await channels.recount(deviceId);
          const s = this.devices.get(deviceId);
          if (s && n !== null) s.channelCount = n;
          return n;
        });
        if (count === null) return;
        this.stats.changes++;
        const shown = plan.changes.slice(0, MAX_CATALOG_CHANGES_IN_EVENT);
        const rows = new Map((await channels.findMany(deviceId, shown.map((c) => c.channelId))).map((r) => [r.channelId, channelDtoOf(r)]));
        const data: CatalogChangedDto = {
          deviceId,
          channelCount: count,
          changes: shown.map((c) => ({ channelId: c.channelId, event: c.event, channel: rows.get(c.channelId) ?? null })),
          more: plan.changes.length - shown.length,
        };
        this.log.log(`catalog changes of ${deviceId}: ${plan.changes.map((c) => `${c.channelId} ${c.event}`).slice(0, 5).join(', ')}${plan.changes.length > 5 ? ', …' : ''}; ${count} channels`);
        this.events.publish('catalog.changed', data);
      } catch (e) {
        this.log.error(`applying the catalog changes of ${deviceId} failed: ${(e as Error).message}`);
      } finally {
        this.pendingChanges--;
      }
    });
    return true;
  }

  /** Resolves when every catalog write queued so far is in the database (tests, shutdown). */
  settled(): Promise<unknown> {
    if (this.queued.size > 0) this.writeQueued();
    return this.writes;
  }

  /**
   * Queues a finished catalog; catalogs are written in batches (one transaction per CATALOG_WRITE_BATCH_MS
   * or CATALOG_WRITE_BATCH_MAX devices), so a registration storm costs a few statements per batch rather
   * than five round trips per device. A second catalog of a device already queued writes the queue first.
   */
  private store(r: CatalogResult): void {
    this.events.publish('catalog.progress', { deviceId: r.deviceId, sn: r.sn, received: r.items.length, sumNum: r.sumNum, done: true });
    if (this.queued.has(r.deviceId)) this.writeQueued();
    this.queued.set(r.deviceId, r);
    if (this.queued.size >= CATALOG_WRITE_BATCH_MAX) this.writeQueued();
    else this.batchTimer ??= setTimeout(() => this.writeQueued(), CATALOG_WRITE_BATCH_MS);
  }

  private writeQueued(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const batch = [...this.queued.values()];
    this.queued = new Map();
    if (batch.length === 0) return;
    this.writes = this.writes.then(async () => {
      const known = batch.filter((r) => this.devices.get(r.deviceId));
      if (known.length === 0) return;
      try {
        // Devices are written behind: their rows must exist before their channels reference them. The
        // batch also stores channel_count / catalog_synced_at, so the sessions are not made dirty again.
        const syncedAt = new Date();
        const written = await this.devices.afterFlush(async () => {
          const counts = await this.db.channels.replaceCatalogs(known.map((r) => ({ deviceId: r.deviceId, items: r.items.map(channelRow), complete: r.complete })), syncedAt);
          // In memory before any later flush reads the sessions (afterFlush holds flushes until this returns).
          const out: Array<[CatalogResult, number]> = [];
          for (const r of known) {
            const count = counts.get(r.deviceId);
            const s = this.devices.get(r.deviceId);
            if (count === undefined || !s) continue;
            s.channelCount = count;
            s.catalogSyncedAt = syncedAt.getTime();
            out.push([r, count]);
          }
          return out;
        });
        for (const [r, count] of written) {
          this.log.log(`catalog of ${r.deviceId}: ${r.items.length}/${r.sumNum} items${r.complete ? '' : ' (incomplete, gap timeout)'}; ${count} channels`);
          this.events.publish('catalog.updated', { deviceId: r.deviceId, channelCount: count, complete: r.complete });
        }
      } catch (e) {
        this.log.error(`storing the catalogs of ${known.length} device(s) failed: ${(e as Error).message}`);
      }
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.settled();
  }
}

/** A catalog item as stored: its columns, and its kind (channel or directory) from its ID and Parental. */
export function channelRow(i: CatalogItem) {
  return {
    channelId: i.deviceId,
    name: i.name,
    manufacturer: i.manufacturer,
    model: i.model,
    owner: i.owner,
    civilCode: i.civilCode,
    block: i.block,
    address: i.address,
    parental: i.parental,
    parentId: i.parentId,
    businessGroupId: i.businessGroupId ?? null,
    kind: catalogItemKind(i.deviceId, i.parental),
    ipAddress: i.ipAddress,
    port: i.port,
    status: i.status,
    longitude: i.longitude,
    latitude: i.latitude,
    ptzType: i.ptzType,
  };
}
