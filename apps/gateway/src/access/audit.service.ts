import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import type { AuditRow, Database } from '@gb/persistence';
import { AuditSink, type AuditEvent } from '../auth/audit-sink';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';

/** Entries waiting to be written; past it the oldest are dropped (and counted). */
export const AUDIT_QUEUE_MAX = 10_000;
/** How often queued entries are written, in one statement per 500. */
export const AUDIT_FLUSH_MS = 1000;
/** How often entries older than AUDIT_RETENTION_DAYS are deleted. */
export const AUDIT_PRUNE_MS = 3_600_000;

/**
 * The audit log: record() queues (no database round trip on the request path), a timer writes the queue in
 * batches, list() writes what is queued first so a reader sees its own actions. Closing writes the rest.
 */
@Injectable()
export class AuditService extends AuditSink implements OnModuleDestroy {
  private readonly logger = new Logger('AuditService');
  private queue: AuditEvent[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private lastPrune = 0;
  private readonly timer: NodeJS.Timeout;
  dropped = 0;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
  ) {
    super();
    this.timer = setInterval(() => void this.flush(), AUDIT_FLUSH_MS);
    this.timer.unref();
  }

  record(event: AuditEvent): void {
    if (this.queue.length >= AUDIT_QUEUE_MAX) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(event);
  }

  /** Writes what is queued now; never rejects (a failed batch is logged and dropped). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    try {
      if (batch.length) await this.db.audit.append(batch.map((e) => ({ ...e, nodeId: this.cfg.NODE_ID })));
      if (Date.now() - this.lastPrune >= AUDIT_PRUNE_MS) {
        this.lastPrune = Date.now();
        await this.db.audit.deleteOlderThan(new Date(Date.now() - this.cfg.AUDIT_RETENTION_DAYS * 86_400_000));
      }
    } catch (err) {
      this.logger.error(`audit write of ${batch.length} entries failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async list(limit: number): Promise<AuditRow[]> {
    await this.flush();
    return this.db.audit.list(limit);
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
