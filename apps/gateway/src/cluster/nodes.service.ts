import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Database, NodeRow } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { SipService } from '../sip/sip.service';

export interface NodeDto {
  nodeId: string;
  publicUrl: string | null;
  sipAddress: string | null;
  mediaIp: string | null;
  startedAt: string;
  heartbeatAt: string;
  alive: boolean;
  /** This node answered the request. */
  self: boolean;
  devices: number;
  streams: number;
  cpu: number;
}

type Tick = () => Promise<void>;

/**
 * This node in the nodes table: a row written at start and a heartbeat (with its load) every NODE_HEARTBEAT_MS.
 * Other services hang their periodic cluster work on the heartbeat (adopting dead nodes' devices, renewing
 * watch leases), so it runs once per period and in order. `alive()` is the list of nodes with a fresh heartbeat,
 * as the database clock judges it.
 */
@Injectable()
export class NodesService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('nodes');
  private readonly ticks: Array<{ name: string; run: Tick }> = [];
  private readonly load = new Map<'devices' | 'streams', () => number>();
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private cpuMark = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
  private known: { at: number; rows: NodeRow[] } = { at: 0, rows: [] };
  private stopped = false;
  readonly nodeId: string;
  /** Several nodes may share the database (PostgreSQL); embedded storage is one node's alone. */
  readonly shared: boolean;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(SipService) private readonly sip: SipService,
  ) {
    this.nodeId = cfg.NODE_ID;
    this.shared = db.kind === 'postgres';
  }

  async onModuleInit(): Promise<void> {
    await this.db.nodes.start(this.heartbeatRow());
    this.timer = setInterval(() => void this.beat(), this.cfg.NODE_HEARTBEAT_MS);
    this.log.log(`node ${this.nodeId}${this.cfg.PUBLIC_URL ? ` at ${this.cfg.PUBLIC_URL}` : ''}${this.shared ? ' (shared database)' : ''}`);
  }

  /** Adds periodic work run after each heartbeat, in registration order; a failure is logged, never fatal. */
  onTick(name: string, run: Tick): void {
    this.ticks.push({ name, run });
  }

  reportLoad(kind: 'devices' | 'streams', read: () => number): void {
    this.load.set(kind, read);
  }

  /** One heartbeat and the ticks after it; runs one at a time. */
  beat(): Promise<void> {
    this.running = this.running.then(async () => {
      if (this.stopped) return;
      try {
        await this.db.nodes.heartbeat(this.heartbeatRow());
      } catch (e) {
        this.log.error(`heartbeat failed: ${(e as Error).message}`);
      }
      for (const t of this.ticks) {
        if (this.stopped) return;
        try {
          await t.run();
        } catch (e) {
          this.log.error(`${t.name} failed: ${(e as Error).message}`);
        }
      }
    });
    return this.running;
  }

  /** Every node row, alive or not (alive = heartbeat newer than NODE_DEAD_AFTER_MS). */
  async list(): Promise<NodeDto[]> {
    const rows = await this.refresh();
    return rows.map((r) => ({
      nodeId: r.nodeId,
      publicUrl: r.publicUrl,
      sipAddress: r.sipAddress,
      mediaIp: r.mediaIp,
      startedAt: r.startedAt.toISOString(),
      heartbeatAt: r.heartbeatAt.toISOString(),
      alive: r.alive,
      self: r.nodeId === this.nodeId,
      devices: r.devices,
      streams: r.streams,
      cpu: Math.round(r.cpu * 100) / 100,
    }));
  }

  /** The node if its heartbeat is fresh (read at most once per heartbeat period). */
  async aliveNode(nodeId: string): Promise<NodeRow | undefined> {
    return (await this.recent()).find((r) => r.nodeId === nodeId && r.alive);
  }

  async aliveOthers(): Promise<NodeRow[]> {
    return (await this.recent()).filter((r) => r.alive && r.nodeId !== this.nodeId);
  }

  /** The node rows, read again only when the last read is older than one heartbeat period. */
  private async recent(): Promise<NodeRow[]> {
    return Date.now() - this.known.at < this.cfg.NODE_HEARTBEAT_MS ? this.known.rows : this.refresh();
  }

  private async refresh(): Promise<NodeRow[]> {
    const rows = await this.db.nodes.list(this.cfg.NODE_DEAD_AFTER_MS);
    this.known = { at: Date.now(), rows };
    return rows;
  }

  private heartbeatRow() {
    const now = process.hrtime.bigint();
    const usage = process.cpuUsage(this.cpuMark.usage);
    const elapsedUs = Number(now - this.cpuMark.at) / 1000;
    this.cpuMark = { usage: process.cpuUsage(), at: now };
    const sipHost = this.cfg.SIP_ADVERTISED_HOST ?? (this.cfg.SIP_HOST === '0.0.0.0' ? null : this.cfg.SIP_HOST);
    return {
      nodeId: this.nodeId,
      publicUrl: this.cfg.PUBLIC_URL ?? null,
      sipAddress: sipHost ? `${sipHost}:${this.sip.port}` : `:${this.sip.port}`,
      mediaIp: this.cfg.MEDIA_IP ?? null,
      devices: this.load.get('devices')?.() ?? 0,
      streams: this.load.get('streams')?.() ?? 0,
      cpu: elapsedUs > 0 ? (usage.user + usage.system) / elapsedUs : 0,
    };
  }

  /** Before the database closes: the tick in progress finishes, no new one starts. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
