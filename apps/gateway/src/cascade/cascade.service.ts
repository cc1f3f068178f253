import { isIP } from 'node:net';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ManscdpCharset, SipScheduler } from '@gb/gb28181';
import type { Database, PlatformRow } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { NodesService } from '../cluster/nodes.service';
import { SipService } from '../sip/sip.service';
import type { SipFlow } from '../sip/sip-flow';
import type { SipRequest } from '@gb/gb28181';
import { parseNameAddr, parseSipUri } from '@gb/gb28181';
import { PlatformRegistration, type RegistrationStatus } from './platform-registration';

/**
 * How often a node reads the platforms it owns from the database, to pick up edits made through another node
 * (cluster) and to restart what it runs after a database hiccup. Edits through this node apply at once.
 */
export const PLATFORM_RECONCILE_MS = 10_000;

const realScheduler: SipScheduler = {
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * What the registration depends on: an edit of these unregisters and registers anew; a new name or shared-channel
 * set leaves the registration alone.
 */
function registrationKey(r: PlatformRow): string {
  return JSON.stringify([r.serverId, r.domain, r.host.toLowerCase(), r.port, r.transport, r.password, r.localId, r.expiresS, r.keepaliveS, r.charset]);
}

interface Runner {
  reg: PlatformRegistration;
  /** The row as last read: the shared set, name and charset follow edits without a restart. */
  row: PlatformRow;
  /** The flow the registration uses (requests to the superior go along it; TCP: the connection we opened). */
  flow: SipFlow;
  /** registrationKey() of the row it was started from: an edit that changes it restarts the registration. */
  key: string;
  /** State writes in order (the last one wins in the database as it did here). */
  writes: Promise<void>;
}

/** A superior platform this node is registered with, as the handlers of its requests need it. */
export interface SuperiorPeer {
  platform: PlatformRow;
  /** Our SIP ID towards it (platform.localId, else SIP_ID). */
  localId: string;
  /** The flow our registration uses: send requests to the superior along it. */
  flow: SipFlow;
}

/**
 * Whether a request from `source` may come from the superior configured at `configured`: the same address
 * (IPv4-mapped IPv6 and case folded). A superior configured by name cannot be compared without a lookup: the From
 * and To users decide alone then (docs/cascade.md).
 */
function sameHost(configured: string, source: string): boolean {
  const n = (h: string) => h.toLowerCase().replace(/^::ffff:/, '');
  return isIP(n(configured)) === 0 || n(configured) === n(source);
}

/**
 * Upward registrations (issue 11 item 2): one PlatformRegistration per enabled superior platform this node owns.
 * Ownership (platforms.owner_node): the node that created the platform. Embedded database (one node): this node
 * adopts every platform, so a new NODE_ID (a new container host name) loses none. Shared PostgreSQL (a cluster):
 * a platform whose owner has no fresh heartbeat is adopted by the live node with the smallest NODE_ID.
 * Every change goes through `sync(id)` or `reconcile()`, one at a time, which compare the row with what runs:
 * stop (REGISTER Expires: 0) when disabled, deleted or edited, start when enabled or edited.
 */
@Injectable()
export class CascadeService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('cascade');
  private readonly runners = new Map<string, Runner>();
  private queue: Promise<void> = Promise.resolve();
  private reconcileTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(SipService) private readonly sip: SipService,
    @Inject(NodesService) private readonly nodes: NodesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.reconcile();
    this.reconcileTimer = setInterval(() => void this.reconcile(), PLATFORM_RECONCILE_MS);
    this.reconcileTimer.unref();
  }

  /** What this node knows of a platform's registration right now (undefined when it does not run it). */
  status(id: string): RegistrationStatus | undefined {
    return this.runners.get(id)?.reg.status;
  }

  /**
   * The superior platform a request comes from, when it is one this node is registered with (issue 11 item 3): the
   * From user is its server ID, the To user (or the Request-URI user) our local ID towards it, and the packet comes
   * from its host. Only `online` registrations answer: a superior we are not registered with is an unknown peer.
   * `toChannel`: the request is addressed to one of our channels rather than to us (an INVITE's Request-URI and To
   * name the channel, GB/T 28181-2016 §9.2): the To user is not compared; the caller checks the channel is shared.
   */
  superiorOf(req: SipRequest, flow: SipFlow, opts: { toChannel?: boolean } = {}): SuperiorPeer | undefined {
    // Every device MESSAGE (keepalives included) passes here: without a superior, no header is parsed.
    if (this.runners.size === 0) return undefined;
    let fromUser: string | undefined;
    let toUser: string | undefined;
    try {
      fromUser = parseSipUri(parseNameAddr(req.headers.get('from') ?? '').uri).user;
      toUser = parseSipUri(parseNameAddr(req.headers.get('to') ?? '').uri).user;
    } catch {
      return undefined;
    }
    if (!fromUser) return undefined;
    for (const r of this.runners.values()) {
      if (r.row.serverId !== fromUser || r.reg.status.state !== 'online') continue;
      const peer = this.peerOf(r);
      if (!opts.toChannel && toUser !== undefined && toUser !== peer.localId) continue;
      if (!sameHost(r.flow.remoteHost, flow.remoteHost)) continue;
      return peer;
    }
    return undefined;
  }

  /** The superiors this node is registered with now (online), with the flow to reach each. */
  onlineSuperiors(): SuperiorPeer[] {
    return [...this.runners.values()]
      .filter((r) => r.reg.status.state === 'online')
      .map((r) => this.peerOf(r));
  }

  private peerOf(r: Runner): SuperiorPeer {
    return { platform: r.row, localId: r.row.localId ?? this.cfg.SIP_ID, flow: r.flow };
  }

  /** Brings what runs for platform `id` in line with its row (gone, disabled, edited, new). */
  sync(id: string): Promise<void> {
    return this.serial(async () => this.apply(id, await this.db.platforms.get(id)));
  }

  /** Adopts orphans, then syncs every platform this node owns or runs. Never throws (logged, retried next period). */
  reconcile(): Promise<void> {
    return this.serial(async () => {
      const rows = await this.db.platforms.list();
      for (const r of rows) {
        if (r.ownerNode === this.cfg.NODE_ID || !(await this.mayAdopt(r.ownerNode))) continue;
        if (!(await this.db.platforms.adopt(r.id, r.ownerNode, this.cfg.NODE_ID))) continue;
        this.log.log(`superior platform ${r.id}: adopted from node ${r.ownerNode}`);
        r.ownerNode = this.cfg.NODE_ID;
      }
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of new Set([...byId.keys(), ...this.runners.keys()])) await this.apply(id, byId.get(id));
    }).catch((e: Error) => this.log.warn(`reading the superior platforms failed: ${e.message}`));
  }

  /** Whether this node takes over a platform of node `owner` (see the class comment). */
  private async mayAdopt(owner: string): Promise<boolean> {
    if (!this.nodes.shared) return true;
    if (await this.nodes.aliveNode(owner)) return false;
    return (await this.nodes.aliveOthers()).every((n) => this.cfg.NODE_ID < n.nodeId);
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const p = this.queue.then(() => (this.closing ? undefined : fn()));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async apply(id: string, row: PlatformRow | undefined): Promise<void> {
    const running = this.runners.get(id);
    const wanted = row !== undefined && row.enabled && row.ownerNode === this.cfg.NODE_ID;
    if (running && (!wanted || running.key !== registrationKey(row))) {
      this.runners.delete(id);
      // Adopted by another node: its REGISTER already holds the binding, and our Expires 0 would end it there.
      await running.reg.stop(!(row && row.ownerNode !== this.cfg.NODE_ID));
      await running.writes;
      this.log.log(`superior platform ${id}: registration stopped${row ? '' : ' (deleted)'}`);
    }
    if (row && row.ownerNode === this.cfg.NODE_ID && !row.enabled && row.state !== 'disabled') {
      await this.db.platforms.recordState(id, { state: 'disabled', stateAt: new Date() });
    }
    const still = this.runners.get(id);
    if (still && row) still.row = row;
    if (!wanted || still) return;
    this.start(row);
  }

  private start(row: PlatformRow): void {
    const flow = this.sip.flowTo(row.transport, row.host, row.port);
    const reg = new PlatformRegistration(
      {
        serverId: row.serverId,
        domain: row.domain,
        localId: row.localId ?? this.cfg.SIP_ID,
        password: row.password,
        expiresS: row.expiresS,
        keepaliveS: row.keepaliveS,
        charset: row.charset as ManscdpCharset,
      },
      {
        request: (req) => this.sip.request(req, flow),
        local: () => {
          // Asked per request: with a wildcard bind the first answer is a guess until the routing table answers.
          flow.localHost = this.sip.transport.localHostFor(row.host);
          return { transport: flow.transport, host: flow.localHost, port: this.sip.port };
        },
        scheduler: realScheduler,
        now: () => Date.now(),
      },
    );
    const runner: Runner = { reg, row, flow, key: registrationKey(row), writes: Promise.resolve() };
    reg.onStatus = (s, change) => {
      if (this.closing || s.state === 'disabled') return;
      if (change === 'state') this.log.log(`superior platform ${row.id} (${row.host}:${row.port}/${row.transport}): ${s.state}${s.cause ? ` (${s.cause})` : ''}`);
      const patch =
        change === 'state'
          ? { state: s.state, cause: s.cause, stateAt: new Date(s.since), ...(s.lastKeepaliveAt ? { lastKeepaliveAt: new Date(s.lastKeepaliveAt) } : {}) }
          : { lastKeepaliveAt: new Date(s.lastKeepaliveAt ?? Date.now()) };
      runner.writes = runner.writes
        .then(() => this.db.platforms.recordState(row.id, patch))
        .catch((e: Error) => this.log.warn(`recording the state of superior platform ${row.id} failed: ${e.message}`));
    };
    this.runners.set(row.id, runner);
    if (row.state !== 'registering' || row.cause !== null) {
      runner.writes = this.db.platforms.recordState(row.id, { state: 'registering', cause: null, stateAt: new Date() }).catch(() => undefined);
    }
    reg.start();
  }

  /** Before the SIP transport and the database close: REGISTER Expires: 0 to every superior (bounded wait each). */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.reconcileTimer);
    const last = this.queue;
    this.closing = true;
    await last;
    const runners = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(runners.map((r) => r.reg.stop(true)));
    await Promise.all(runners.map((r) => r.writes));
  }
}
