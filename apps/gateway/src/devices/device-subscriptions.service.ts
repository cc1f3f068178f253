import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  Dialog,
  MANSCDP_CONTENT_TYPE,
  encodeQuery,
  gbIdType,
  hasCatalogEvents,
  isDeviceId,
  isGb28181Error,
  parseEventHeader,
  parseExpires,
  parseManscdp,
  parseNameAddr,
  parseSipUri,
  parseSubscriptionState,
  type ManscdpMessage,
  type SipRequest,
  type SubscriptionState as SubscriptionStateHeader,
} from '@gb/gb28181';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { EventBus } from '../events/event-bus';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { SipService } from '../sip/sip.service';
import { CatalogSubscription, type SubscribeOutcome, type SubscriptionStatus } from './catalog-subscription';
import { CatalogSyncService } from './catalog-sync.service';
import { DeviceQueriesService } from './device-queries.service';
import { sameFlow } from './device-flow';
import { DevicesService } from './devices.service';
import { SignallingAuthService, statelessResponder } from './signalling-auth.service';

/** Seconds a platform is asked to wait (Retry-After) when its NOTIFY finds MAX_PENDING_CATALOG_CHANGES queued. */
export const NOTIFY_BUSY_RETRY_AFTER_S = 5;

interface Subscription {
  deviceId: string;
  machine: CatalogSubscription;
  /** The dialog of the last 2xx to an initial SUBSCRIBE; refreshes and the final Expires: 0 go in it. */
  dialog: Dialog | null;
  /** Call-ID of the current initial SUBSCRIBE (its NOTIFYs carry it). */
  callId: string | null;
}

/**
 * Catalog subscriptions to registered devices and lower platforms (GB/T 28181-2016 §9.11, RFC 6665), and the NOTIFYs
 * they bring: a device that comes online (CATALOG_SUBSCRIBE: lower platforms by default) gets a SUBSCRIBE with
 * `Event: Catalog`, refreshed in its dialog before it runs out (CatalogSubscription); its NOTIFYs' Catalog items with
 * `<Event>` ON / OFF / VLOST / DEFECT / ADD / DEL / UPDATE are applied to the stored channels and announced as
 * `catalog.changed` (CatalogSyncService.applyChanges).
 *
 * NOTIFY: from a subscription of ours (its Call-ID, From = the device), or from a registered device on the flow it
 * registered from (platforms that notify without a subscription) → 200 and applied; from anyone else → 481
 * (stateless, rate-limited with the registrar's guard); an Event other than Catalog → 489; an unreadable body → 400;
 * MAX_PENDING_CATALOG_CHANGES waiting for the database → 503 with Retry-After.
 */
@Injectable()
export class DeviceSubscriptionsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('subscriptions');
  private readonly subs = new Map<string, Subscription>();
  private readonly byCallId = new Map<string, Subscription>();
  private offEvents?: () => void;
  private offReleased?: () => void;
  private closing = false;
  /** applied: NOTIFYs answered 200; unknown: 481; badEvent: 489; malformed: 400; busy: 503. */
  readonly stats = { applied: 0, unknown: 0, badEvent: 0, malformed: 0, busy: 0 };

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly sip: SipService,
    private readonly devices: DevicesService,
    private readonly catalog: CatalogSyncService,
    private readonly queries: DeviceQueriesService,
    private readonly events: EventBus,
    private readonly auth: SignallingAuthService,
  ) {}

  onModuleInit(): void {
    this.sip.on('NOTIFY', (r) => this.onNotify(r));
    // device.online: a registration, or the first MESSAGE after an offline spell (a restart of either side loses
    // the subscription): subscribe anew. Offline, unregistered, deleted: the device is gone, nothing to send.
    this.offEvents = this.events.subscribe((e) => {
      if (e.type === 'device.online') this.start(e.data.deviceId);
      else if (e.type === 'device.offline') this.stop(e.data.deviceId);
    });
    this.offReleased = this.devices.onReleased((ids) => ids.forEach((id) => this.stop(id)));
  }

  /** Whether CATALOG_SUBSCRIBE covers this device. */
  wants(deviceId: string): boolean {
    const mode = this.cfg.CATALOG_SUBSCRIBE;
    return mode === 'all' || (mode === 'platforms' && gbIdType(deviceId) === 'platform');
  }

  /** The subscription of a device, if any (tests, diagnostics). */
  status(deviceId: string): SubscriptionStatus | undefined {
    return this.subs.get(deviceId)?.machine.status;
  }

  /** Starts (or restarts) the catalog subscription of a device that came online. */
  start(deviceId: string): void {
    if (this.closing || !this.wants(deviceId)) return;
    this.stop(deviceId);
    const sub: Subscription = { deviceId, dialog: null, callId: null, machine: undefined as unknown as CatalogSubscription };
    sub.machine = new CatalogSubscription(
      {
        subscribe: (mode, expiresS) => this.send(sub, mode, expiresS),
        scheduler: { setTimer: (ms, fn) => setTimeout(fn, ms).unref(), clearTimer: (h) => clearTimeout(h as NodeJS.Timeout) },
        now: () => Date.now(),
        onChange: (s) => this.onChange(sub, s),
      },
      this.cfg.CATALOG_SUBSCRIBE_EXPIRES_S,
    );
    this.subs.set(deviceId, sub);
    sub.machine.start();
  }

  stop(deviceId: string): void {
    const sub = this.subs.get(deviceId);
    if (!sub) return;
    this.subs.delete(deviceId);
    this.forget(sub);
    sub.machine.stop();
  }

  private forget(sub: Subscription): void {
    if (sub.callId !== null && this.byCallId.get(sub.callId) === sub) this.byCallId.delete(sub.callId);
    sub.callId = null;
    sub.dialog = null;
  }

  private onChange(sub: Subscription, s: SubscriptionStatus): void {
    if (s.state === 'refused' || s.state === 'failed') this.log.log(`catalog subscription to ${sub.deviceId} ${s.state}: ${s.cause}`);
    else if (s.state === 'retrying') this.log.warn(`catalog subscription to ${sub.deviceId}: ${s.cause}; retrying`);
    else if (s.state === 'active') this.log.debug(`catalog subscription to ${sub.deviceId} active until ${new Date(s.activeUntil ?? 0).toISOString()}`);
  }

  /** One SUBSCRIBE of `sub` (CatalogSubscriptionIo.subscribe). */
  private async send(sub: Subscription, mode: 'initial' | 'refresh', expiresS: number): Promise<SubscribeOutcome> {
    const s = this.devices.get(sub.deviceId);
    if (!s || !s.online) return { error: `device ${sub.deviceId} is offline` };
    // GB/T 28181 §9.11.1: the SUBSCRIBE carries a Catalog query (the subscription's scope: the whole catalog).
    const common = {
      headers: [['Event', 'Catalog'], ['Expires', String(expiresS)]] as [string, string][],
      body: encodeQuery('Catalog', this.queries.nextSn(), sub.deviceId),
      contentType: MANSCDP_CONTENT_TYPE,
    };
    let req: SipRequest;
    const dialog = mode === 'refresh' ? sub.dialog : null;
    if (dialog) {
      req = dialog.createRequest('SUBSCRIBE', { ...common, via: this.sip.endpoint.viaFor(s.flow), contact: this.sip.contactFor(s.flow) });
    } else {
      if (expiresS === 0) return { error: 'no dialog to end' };
      this.forget(sub);
      req = this.sip.build({ method: 'SUBSCRIBE', targetId: sub.deviceId, flow: s.flow, ...common });
      sub.callId = req.headers.get('Call-ID') ?? null;
      if (sub.callId !== null) this.byCallId.set(sub.callId, sub);
    }
    let res;
    try {
      res = await this.sip.request(req, s.flow);
    } catch (e) {
      return { error: (e as { code?: string }).code ?? (e as Error).message };
    }
    let granted: number | null = null;
    try {
      const e = res.headers.get('Expires');
      if (e !== undefined) granted = parseExpires(e);
    } catch {
      /* an unreadable Expires: what we asked holds */
    }
    if (res.status >= 200 && res.status < 300 && !dialog) {
      try {
        sub.dialog = Dialog.fromSubscribe2xx(req, res);
      } catch (e) {
        this.log.warn(`2xx to the catalog SUBSCRIBE of ${sub.deviceId} makes no dialog (${(e as Error).message}): refreshes subscribe anew`);
      }
    }
    return { status: res.status, reason: res.reason, expiresS: granted };
  }

  onNotify(r: IncomingRequest): void {
    const { req, flow } = r;
    const now = Date.now();
    let fromUser: string | undefined;
    try {
      fromUser = parseSipUri(parseNameAddr(req.headers.get('from') ?? '').uri).user;
    } catch {
      /* an unreadable From matches no device */
    }
    const sub = this.byCallId.get(req.headers.get('call-id') ?? '');
    const deviceId = sub?.deviceId ?? (isDeviceId(fromUser) ? fromUser : null);
    const s = deviceId ? this.devices.get(deviceId) : undefined;
    // Ours: the Call-ID of our SUBSCRIBE and the device's ID in From. Unsolicited: a registered device on its own flow.
    const known = !!s && s.online && (sub ? fromUser === sub.deviceId || sameFlow(s.flow, flow) : sameFlow(s.flow, flow));
    if (!known) {
      if (this.auth.admit(flow, deviceId, now) !== 'ok') return r.drop?.();
      this.stats.unknown++;
      statelessResponder(r)(481, 'Subscription Does Not Exist');
      this.auth.badRequestOrForbidden(deviceId, flow, 400, 'NOTIFY without a subscription', now);
      return;
    }
    let event: string;
    let state: SubscriptionStateHeader | null = null;
    try {
      event = parseEventHeader(req.headers.get('event') ?? req.headers.get('o') ?? '').event;
      const st = req.headers.get('subscription-state');
      if (st !== undefined) state = parseSubscriptionState(st);
    } catch (e) {
      this.stats.malformed++;
      return statelessResponder(r)(400, isGb28181Error(e) ? `Bad Request (${e.code})` : 'Bad Request');
    }
    if (event.toLowerCase() !== 'catalog') {
      this.stats.badEvent++;
      return statelessResponder(r)(489, 'Bad Event', { headers: [['Allow-Events', 'Catalog']] });
    }
    let m: ManscdpMessage | null = null;
    if (req.body.length > 0) {
      try {
        m = parseManscdp(req.body, { charset: s!.charset });
      } catch (e) {
        this.stats.malformed++;
        return statelessResponder(r)(400, isGb28181Error(e) ? `Bad Request (${e.code})` : 'Bad Request');
      }
      if (m.kind !== 'CatalogNotify' && m.kind !== 'CatalogResponse') {
        this.stats.malformed++;
        return statelessResponder(r)(400, 'Bad Request (not a Catalog notification)');
      }
    }
    if (m && !this.catalog.canAcceptChanges()) {
      this.stats.busy++;
      return statelessResponder(r)(503, 'Service Unavailable', { headers: [['Retry-After', String(NOTIFY_BUSY_RETRY_AFTER_S)]] });
    }
    r.respond(200, 'OK');
    this.stats.applied++;
    if (m && (m.kind === 'CatalogNotify' || m.kind === 'CatalogResponse') && m.items.length > 0) {
      // Items with <Event>: changes. Without any: the whole catalog (some platforms send it as their first NOTIFY).
      if (hasCatalogEvents(m.items)) this.catalog.applyChanges(s!.deviceId, m.items);
      else this.catalog.onPacket(s!.deviceId, { sn: m.sn, sumNum: m.sumNum, items: m.items });
    }
    if (sub && state?.state === 'terminated') {
      this.forget(sub);
      sub.machine.onTerminated(state.reason, state.retryAfterS);
    }
  }

  /** Ends every active subscription with SUBSCRIBE Expires: 0 (each waits at most UNSUBSCRIBE_TIMEOUT_MS), before SIP closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.offEvents?.();
    this.offReleased?.();
    const all = [...this.subs.values()];
    this.subs.clear();
    await Promise.all(all.map((sub) => sub.machine.end().finally(() => this.forget(sub))));
  }
}
