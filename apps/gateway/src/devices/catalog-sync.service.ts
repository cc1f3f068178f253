import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CatalogAggregator, type CatalogItem, type CatalogResult } from '@gb/gb28181';
import type { Database } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import { DevicesService } from './devices.service';

/** Longest a finished catalog waits for others to share its database write. */
export const CATALOG_WRITE_BATCH_MS = 100;
/** Most catalogs written in one transaction. */
export const CATALOG_WRITE_BATCH_MAX = 500;

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

function channelRow(i: CatalogItem) {
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
    ipAddress: i.ipAddress,
    port: i.port,
    status: i.status,
    longitude: i.longitude,
    latitude: i.latitude,
    ptzType: i.ptzType,
  };
}
