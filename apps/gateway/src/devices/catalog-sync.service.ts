import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CatalogAggregator, type CatalogItem, type CatalogResult } from '@gb/gb28181';
import type { Database } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import { DevicesService } from './devices.service';

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
    return this.writes;
  }

  private store(r: CatalogResult): void {
    this.events.publish('catalog.progress', { deviceId: r.deviceId, sn: r.sn, received: r.items.length, sumNum: r.sumNum, done: true });
    this.writes = this.writes.then(async () => {
      const s = this.devices.get(r.deviceId);
      if (!s) return;
      try {
        // Devices are written behind; make sure this one's row exists before its channels reference it.
        await this.devices.flush();
        await this.db.channels.replaceForDevice(r.deviceId, r.items.map(channelRow), { complete: r.complete });
        const count = await this.db.channels.countByDevice(r.deviceId);
        s.channelCount = count;
        s.catalogSyncedAt = Date.now();
        this.devices.touch(s);
        this.log.log(`catalog of ${r.deviceId}: ${r.items.length}/${r.sumNum} items${r.complete ? '' : ' (incomplete, gap timeout)'}; ${count} channels`);
        this.events.publish('catalog.updated', { deviceId: r.deviceId, channelCount: count, complete: r.complete });
      } catch (e) {
        this.log.error(`storing catalog of ${r.deviceId} failed: ${(e as Error).message}`);
      }
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.writes;
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
