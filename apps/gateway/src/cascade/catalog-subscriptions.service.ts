import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import {
  Dialog,
  encodeCatalogResponses,
  getTag,
  newTag,
  parseExpires,
  parseNameAddr,
  type EncodableCatalogItem,
  type ManscdpCharset,
} from '@gb/gb28181';
import { EventBus } from '../events/event-bus';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { SipService } from '../sip/sip.service';
import { CascadeService, type SuperiorPeer } from './cascade.service';
import { buildSharedCatalog, catalogPacketLimits, diffCatalog, packItems } from './shared-catalog';
import { SharedChannelsService } from './shared-channels.service';
import { SuperiorSender } from './superior-sender';

/** Expires granted when a catalog SUBSCRIBE names none (GB/T 28181-2016 §9.11.1 leaves it to the notifier). */
export const DEFAULT_SUBSCRIPTION_EXPIRES_S = 3_600;
/** Longest subscription granted; a superior asking more gets this (and refreshes in time). */
export const MAX_SUBSCRIPTION_EXPIRES_S = 86_400;
/** Catalog subscriptions kept per superior platform; a new one past it ends the oldest (a superior that restarted). */
export const MAX_SUBSCRIPTIONS_PER_SUPERIOR = 4;
/** Catalog subscriptions kept in all; past it a new SUBSCRIBE gets 503. */
export const MAX_CATALOG_SUBSCRIPTIONS = 256;
/** Longest Event header value kept (it is written back into every NOTIFY). */
export const MAX_EVENT_HEADER_CHARS = 128;
/** Device and catalog events within this time make one round of notifications. */
export const CHANGE_DEBOUNCE_MS = 300;
/** How often the shared sets are compared while a superior is online (catches an edit of a platform's channels). */
export const SHARED_SET_POLL_MS = 5_000;
/** How soon a superior that came online gets the baseline its changes are compared with. */
export const BASELINE_CHECK_MS = 1_000;

interface Subscription {
  /** Call-ID and the subscriber's From tag. */
  key: string;
  platformId: string;
  dialog: Dialog;
  /** The SUBSCRIBE's Event header, repeated in every NOTIFY (with its `id` parameter, RFC 6665 §8.2.1). */
  event: string;
  expiresAt: number;
  timer: NodeJS.Timeout;
}

/**
 * Catalog subscriptions of superiors and the catalog changes they are told of (issue 11 item 3; GB/T 28181-2016
 * §9.11, RFC 6665 as the notifier):
 *
 * - SUBSCRIBE `Event: Catalog` from a superior we are registered with: 200 with Expires (at most
 *   MAX_SUBSCRIPTION_EXPIRES_S) and our To tag; the dialog is kept (Dialog.fromUasRequest). A SUBSCRIBE in that
 *   dialog refreshes it; Expires: 0 ends it (200, then NOTIFY `Subscription-State: terminated`); so does its expiry.
 *   Another event package: 489 Bad Event. No NOTIFY is sent at once: GB/T 28181 notifies changes only, and the
 *   superior asks for the whole catalog with a Catalog query.
 * - For every online superior the catalog we show it is kept; device online/offline, catalogs and catalog changes
 *   from devices and (by a poll every SHARED_SET_POLL_MS) edits of its shared set are compared with it
 *   (diffCatalog) and the changes sent (the baseline: the last Catalog answer, else the first comparison, within
 *   BASELINE_CHECK_MS of the registration or at the SUBSCRIBE):
 *   items with `<Event>` ON / OFF / ADD / DEL / UPDATE, in packets as the catalog answer, each after the 200 to the
 *   one before. A superior with a subscription gets them as NOTIFYs in each of its subscriptions; one without gets
 *   the same `<Notify><CmdType>Catalog</CmdType>` as a MESSAGE (WVP and this gateway read both).
 */
@Injectable()
export class CatalogSubscriptionsService implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('cascade');
  private readonly subs = new Map<string, Subscription>();
  /** The catalog each online superior was last shown (or told of), by platform ID. */
  private readonly shown = new Map<string, EncodableCatalogItem[]>();
  private unsubscribe?: () => void;
  private debounce?: NodeJS.Timeout;
  private poll?: NodeJS.Timeout;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    private readonly sip: SipService,
    private readonly cascade: CascadeService,
    private readonly shared: SharedChannelsService,
    private readonly sender: SuperiorSender,
    private readonly events: EventBus,
  ) {}

  onModuleInit(): void {
    this.sip.intercept('SUBSCRIBE', (r) => this.intercept(r));
    this.unsubscribe = this.events.subscribe((e) => {
      if (e.type === 'device.online' || e.type === 'device.offline' || e.type === 'catalog.updated' || e.type === 'catalog.changed' || e.type === 'device.registered') this.changed();
    });
    // Every second: a superior just online gets its baseline; every SHARED_SET_POLL_MS all are compared.
    let ticks = 0;
    this.poll = setInterval(() => {
      ticks++;
      const peers = this.cascade.onlineSuperiors();
      const due = ticks % Math.max(1, Math.round(SHARED_SET_POLL_MS / BASELINE_CHECK_MS)) === 0;
      if ((due && (peers.length > 0 || this.shown.size > 0)) || peers.some((p) => !this.shown.has(p.platform.id))) this.changed(0);
    }, BASELINE_CHECK_MS);
    this.poll.unref();
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.unsubscribe?.();
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    for (const s of this.subs.values()) clearTimeout(s.timer);
    this.subs.clear();
  }

  /** Subscriptions held now (tests, metrics). */
  get count(): number {
    return this.subs.size;
  }

  /** Claims a SUBSCRIBE from a superior we are registered with. */
  intercept(r: IncomingRequest): boolean {
    const peer = this.cascade.superiorOf(r.req, r.flow);
    if (!peer) return false;
    const { req } = r;
    const event = (req.headers.get('Event') ?? '').trim();
    if (event.split(';')[0]!.trim().toLowerCase() !== 'catalog' || event.length > MAX_EVENT_HEADER_CHARS || /[\r\n]/.test(event)) {
      r.respond(489, 'Bad Event', { headers: [['Allow-Events', 'Catalog']] });
      return true;
    }
    let asked = DEFAULT_SUBSCRIPTION_EXPIRES_S;
    let fromTag: string | undefined;
    let toTag: string | undefined;
    try {
      const e = req.headers.get('Expires');
      if (e !== undefined) asked = parseExpires(e);
      fromTag = getTag(req.headers.get('From') ?? '');
      toTag = getTag(req.headers.get('To') ?? '');
      parseNameAddr(req.headers.get('To') ?? '');
    } catch {
      r.respond(400, 'Bad Request');
      return true;
    }
    const callId = req.headers.get('Call-ID') ?? '';
    if (!fromTag || callId === '') {
      r.respond(400, 'Bad Request (no From tag or Call-ID)');
      return true;
    }
    const key = `${callId};${fromTag}`;
    const existing = this.subs.get(key);
    if (toTag !== undefined && (!existing || existing.dialog.localTag !== toTag)) {
      r.respond(481, 'Subscription Does Not Exist');
      return true;
    }
    const expires = Math.min(asked, MAX_SUBSCRIPTION_EXPIRES_S);
    if (expires === 0) {
      if (existing) this.end(existing, peer, 'terminated;reason=timeout');
      r.respond(200, 'OK', { headers: [['Expires', '0']], ...(existing ? { toTag: existing.dialog.localTag } : {}) });
      return true;
    }
    if (existing) {
      this.arm(existing, expires);
      r.respond(200, 'OK', { toTag: existing.dialog.localTag, headers: [['Expires', String(expires)], ['Contact', this.contact(peer)]] });
      return true;
    }
    if (this.subs.size >= MAX_CATALOG_SUBSCRIPTIONS) {
      r.respond(503, 'Service Unavailable', { headers: [['Retry-After', '60']] });
      return true;
    }
    const localTag = newTag();
    let dialog: Dialog;
    try {
      dialog = Dialog.fromUasRequest(req, localTag);
    } catch {
      r.respond(400, 'Bad Request');
      return true;
    }
    const mine = [...this.subs.values()].filter((s) => s.platformId === peer.platform.id);
    if (mine.length >= MAX_SUBSCRIPTIONS_PER_SUPERIOR) this.end(mine[0]!, peer, 'terminated;reason=rejected');
    const sub: Subscription = { key, platformId: peer.platform.id, dialog, event, expiresAt: 0, timer: setTimeout(() => undefined, 0) };
    this.arm(sub, expires);
    this.subs.set(key, sub);
    r.respond(200, 'OK', { toTag: localTag, headers: [['Expires', String(expires)], ['Contact', this.contact(peer)]] });
    this.log.log(`superior platform ${peer.platform.id}: catalog subscription for ${expires} s`);
    // The baseline later changes are compared with (if not kept already for this superior).
    if (!this.shown.has(peer.platform.id)) this.changed(0);
    return true;
  }

  /** Something that may change a shared catalog happened: compare (and notify) after CHANGE_DEBOUNCE_MS. */
  changed(delayMs = CHANGE_DEBOUNCE_MS): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.debounce && delayMs > 0) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.running = this.compareAll()
        .catch((e: Error) => this.log.warn(`comparing shared catalogs failed: ${e.message}`))
        .finally(() => {
          this.running = null;
          if (this.again) {
            this.again = false;
            this.changed();
          }
        });
    }, delayMs);
    this.debounce.unref();
  }

  /**
   * The superior was just sent the whole catalog (a Catalog answer): that is what later changes are compared with.
   * Without it a change racing the first comparison could be taken into the baseline and never told.
   */
  shownTo(platformId: string, items: EncodableCatalogItem[]): void {
    this.shown.set(platformId, items);
  }

  /** Resolves when no comparison is running or due (tests). */
  async settled(): Promise<void> {
    while (this.running || this.debounce) await (this.running ?? new Promise((r) => setTimeout(r, 20)));
  }

  private async compareAll(): Promise<void> {
    const peers = this.cascade.onlineSuperiors();
    const online = new Set(peers.map((p) => p.platform.id));
    // A superior no longer online: its subscriptions and what it was shown are gone with its registration.
    for (const id of [...this.shown.keys()]) if (!online.has(id)) this.shown.delete(id);
    for (const s of [...this.subs.values()]) {
      if (online.has(s.platformId)) continue;
      clearTimeout(s.timer);
      this.subs.delete(s.key);
    }
    for (const peer of peers) {
      if (this.closed) return;
      const charset = peer.platform.charset as ManscdpCharset;
      const { channels, directories } = await this.shared.catalogOf(peer.platform);
      const now = buildSharedCatalog({ channels, directories, localId: peer.localId, charset });
      const before = this.shown.get(peer.platform.id);
      this.shown.set(peer.platform.id, now);
      if (!before) continue;
      const changes = diffCatalog(before, now);
      if (changes.length > 0) await this.tell(peer, changes, charset);
    }
  }

  /** Sends the changes: NOTIFY in each subscription of the superior, else one MESSAGE sequence. */
  private async tell(peer: SuperiorPeer, changes: EncodableCatalogItem[], charset: ManscdpCharset): Promise<void> {
    const packets = packItems(changes, peer.localId, catalogPacketLimits(peer.flow.transport, charset));
    const bodies = () => {
      const sn = this.sender.nextSn();
      return packets.map((part) => encodeCatalogResponses({ sn, deviceId: peer.localId, sumNum: changes.length, items: part, perMessage: Math.max(1, part.length), charset, notify: true })[0]!);
    };
    const what = changes.map((c) => `${c.deviceId} ${c.event}`).slice(0, 8).join(', ') + (changes.length > 8 ? ', …' : '');
    const subs = [...this.subs.values()].filter((s) => s.platformId === peer.platform.id);
    if (subs.length === 0) {
      const sent = await this.sender.sequence(peer, bodies());
      this.log.log(`superior platform ${peer.platform.id}: catalog changes by MESSAGE (${what}), ${sent}/${packets.length} packets answered`);
      return;
    }
    for (const s of subs) {
      const sent = await this.sender.sequence(peer, bodies(), (body) => this.sender.notify(peer, s.dialog, { event: s.event, state: this.state(s), body }));
      this.log.log(`superior platform ${peer.platform.id}: catalog NOTIFY (${what}), ${sent}/${packets.length} packets answered`);
    }
  }

  private state(s: Subscription): string {
    return `active;expires=${Math.max(0, Math.ceil((s.expiresAt - Date.now()) / 1000))}`;
  }

  private arm(s: Subscription, expiresS: number): void {
    clearTimeout(s.timer);
    s.expiresAt = Date.now() + expiresS * 1000;
    s.timer = setTimeout(() => {
      const peer = this.cascade.onlineSuperiors().find((p) => p.platform.id === s.platformId);
      if (peer) this.end(s, peer, 'terminated;reason=timeout');
      else this.subs.delete(s.key);
    }, expiresS * 1000);
    s.timer.unref();
  }

  /** Ends a subscription: forgotten now, a final NOTIFY (RFC 6665 §4.2.2) sent without waiting. */
  private end(s: Subscription, peer: SuperiorPeer, state: string): void {
    clearTimeout(s.timer);
    this.subs.delete(s.key);
    this.sender.notify(peer, s.dialog, { event: s.event, state }).catch(() => undefined);
  }

  private contact(peer: SuperiorPeer): string {
    const host = peer.flow.localHost;
    return `<sip:${peer.localId}@${host.includes(':') ? `[${host}]` : host}:${this.sip.port}>`;
  }
}
