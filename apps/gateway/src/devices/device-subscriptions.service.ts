import { BatchedLoader } from '../common/batched-loader';
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
import type { Database, DeviceSubscriptionSettingsRow } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { SipService } from '../sip/sip.service';
import { CatalogSubscription, type SubscribeOutcome, type SubscriptionStatus } from './catalog-subscription';
import { CatalogSyncService } from './catalog-sync.service';
import { DeviceQueriesService } from './device-queries.service';
import { sameFlow } from './device-flow';
import { DevicesService } from './devices.service';
import { SignallingAuthService, statelessResponder } from './signalling-auth.service';
import { DeviceAlarmsService } from './device-alarms.service';
import { ChannelPositionsService } from './channel-positions.service';

/** Seconds a platform is asked to wait (Retry-After) when its NOTIFY finds MAX_PENDING_CATALOG_CHANGES queued. */
export const NOTIFY_BUSY_RETRY_AFTER_S = 5;

/** The event packages the gateway subscribes to (GB/T 28181-2016 §9.11: catalog; §9.4 / §9.10 via SUBSCRIBE: alarm, mobile position). */
export const SUBSCRIPTION_EVENTS = ['Catalog', 'Alarm', 'MobilePosition'] as const;
export type SubscriptionEvent = (typeof SUBSCRIPTION_EVENTS)[number];
const ALLOW_EVENTS = SUBSCRIPTION_EVENTS.join(', ');

/** A change of a device's subscription settings: undefined keeps, null follows the config. */
export interface SubscriptionSettingsPatch {
  catalog?: boolean | null;
  alarm?: boolean | null;
  mobilePosition?: { enabled?: boolean | null; intervalS?: number | null };
}

interface Subscription {
  deviceId: string;
  event: SubscriptionEvent;
  machine: CatalogSubscription;
  /** The dialog of the last 2xx to an initial SUBSCRIBE; refreshes and the final Expires: 0 go in it. */
  dialog: Dialog | null;
  /** Call-ID of the current initial SUBSCRIBE (its NOTIFYs carry it). */
  callId: string | null;
}

/** How long a device that came online waits for others to share the read of their subscription settings. */
export const SETTINGS_READ_BATCH_MS = 100;
/** Most devices whose subscription settings one read fetches. */
export const SETTINGS_READ_BATCH_MAX = 1000;

/**
 * Event subscriptions to registered devices and lower platforms (GB/T 28181-2016 §9.11, RFC 6665), and the NOTIFYs
 * they bring. Each (device, event) is its own subscription (CatalogSubscription's state machine, whatever the event):
 * Catalog as below; Alarm (ALARM_SUBSCRIBE: a `<Query><CmdType>Alarm` body asking every priority and method, its
 * NOTIFYs' Notify/Alarm bodies stored like alarm MESSAGEs, without the Alarm Response MESSAGE: the NOTIFY's 200 is
 * the acknowledgement) and MobilePosition (MOBILE_POSITION_SUBSCRIBE, `<Interval>` MOBILE_POSITION_INTERVAL_S, the
 * NOTIFYs' positions stored like MobilePosition MESSAGEs). Catalog: a device that comes online (CATALOG_SUBSCRIBE: lower platforms by default) gets a SUBSCRIBE with
 * `Event: Catalog`, refreshed in its dialog before it runs out (CatalogSubscription); its NOTIFYs' Catalog items with
 * `<Event>` ON / OFF / VLOST / DEFECT / ADD / DEL / UPDATE are applied to the stored channels and announced as
 * `catalog.changed` (CatalogSyncService.applyChanges).
 *
 * NOTIFY: from a subscription of ours (its Call-ID, From = the device), or from a registered device on the flow it
 * registered from (platforms that notify without a subscription) → 200 and applied; from anyone else → 481
 * (stateless, rate-limited with the registrar's guard); an Event other than Catalog, Alarm or MobilePosition (or not the one subscribed) → 489; an unreadable body → 400;
 * MAX_PENDING_CATALOG_CHANGES waiting for the database → 503 with Retry-After.
 */
@Injectable()
export class DeviceSubscriptionsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('subscriptions');
  private readonly subs = new Map<string, Subscription>();
  private readonly byCallId = new Map<string, Subscription>();
  /** Per-device settings (device_subscription_settings) of the devices online here, read when each comes online. */
  private readonly overrides = new Map<string, DeviceSubscriptionSettingsRow>();
  /** Devices that came online share one read of their settings (start()); a failed read counts as none stored. */
  private readonly settingsReads = new BatchedLoader<string, DeviceSubscriptionSettingsRow>({
    windowMs: SETTINGS_READ_BATCH_MS, max: SETTINGS_READ_BATCH_MAX,
    load: (ids) => this.db.subscriptionSettings.getMany(ids).catch((e: Error) => {
      this.log.warn(`subscription settings of ${ids.length === 1 ? ids[0] : `${ids.length} devices`}: ${e.message}; following the config`);
      return new Map<string, DeviceSubscriptionSettingsRow>();
    }),
  });
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
    private readonly alarms: DeviceAlarmsService,
    private readonly positions: ChannelPositionsService,
    @Inject(DATABASE) private readonly db: Database,
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

  /** Whether the device's settings, else CATALOG_SUBSCRIBE / ALARM_SUBSCRIBE / MOBILE_POSITION_SUBSCRIBE, ask for `event`. */
  wants(deviceId: string, event: SubscriptionEvent = 'Catalog'): boolean {
    const o = this.overrides.get(deviceId);
    const own = event === 'Catalog' ? o?.catalog : event === 'Alarm' ? o?.alarm : o?.mobilePosition;
    if (own !== null && own !== undefined) return own;
    const mode = event === 'Catalog' ? this.cfg.CATALOG_SUBSCRIBE : event === 'Alarm' ? this.cfg.ALARM_SUBSCRIBE : this.cfg.MOBILE_POSITION_SUBSCRIBE;
    return mode === 'all' || (mode === 'platforms' && gbIdType(deviceId) === 'platform');
  }

  /** A device's subscription to `event`, if any (API, tests, diagnostics). */
  status(deviceId: string, event: SubscriptionEvent = 'Catalog'): SubscriptionStatus | undefined {
    return this.subs.get(keyOf(deviceId, event))?.machine.status;
  }

  /** The MobilePosition `<Interval>` asked of a device. */
  positionIntervalS(deviceId: string): number {
    return this.overrides.get(deviceId)?.positionIntervalS ?? this.cfg.MOBILE_POSITION_INTERVAL_S;
  }

  /** A device's stored settings (null columns follow the config). */
  async settings(deviceId: string): Promise<DeviceSubscriptionSettingsRow | null> {
    return this.overrides.get(deviceId) ?? (await this.db.subscriptionSettings.get(deviceId));
  }

  /**
   * Starts (or restarts) the subscriptions of a device that came online, after reading its settings (a device whose
   * settings cannot be read follows the config).
   */
  start(deviceId: string): void {
    // Devices coming online together share one read (a registration storm used to cost one SELECT per device).
    this.settingsReads.get(deviceId).then(
      (row) => {
        if (this.closing || !this.devices.get(deviceId)?.online) return;
        if (row) this.overrides.set(deviceId, row);
        else this.overrides.delete(deviceId);
        for (const event of SUBSCRIPTION_EVENTS) this.startOne(deviceId, event);
      },
      () => undefined, // closed at shutdown
    );
  }

  /**
   * Stores a device's settings and, when it is online here, ends its subscriptions (SUBSCRIBE Expires: 0) and
   * subscribes again as they now say. DEVICE_NOT_FOUND (from the caller's check) for an unknown device.
   */
  async configure(deviceId: string, patch: SubscriptionSettingsPatch): Promise<DeviceSubscriptionSettingsRow> {
    const cur = await this.settings(deviceId);
    const pick = <T>(v: T | null | undefined, old: T | null | undefined): T | null => (v === undefined ? (old ?? null) : v);
    const row = await this.db.subscriptionSettings.put({
      deviceId,
      catalog: pick(patch.catalog, cur?.catalog),
      alarm: pick(patch.alarm, cur?.alarm),
      mobilePosition: pick(patch.mobilePosition?.enabled, cur?.mobilePosition),
      positionIntervalS: pick(patch.mobilePosition?.intervalS, cur?.positionIntervalS),
      updatedAt: new Date(),
    });
    this.overrides.set(deviceId, row);
    if (!this.closing && this.devices.get(deviceId)?.online) {
      await Promise.all(SUBSCRIPTION_EVENTS.map((event) => this.endOne(deviceId, event)));
      for (const event of SUBSCRIPTION_EVENTS) this.startOne(deviceId, event);
    }
    return row;
  }

  private async endOne(deviceId: string, event: SubscriptionEvent): Promise<void> {
    const key = keyOf(deviceId, event);
    const sub = this.subs.get(key);
    if (!sub) return;
    this.subs.delete(key);
    await sub.machine.end().finally(() => this.forget(sub));
  }

  private startOne(deviceId: string, event: SubscriptionEvent): void {
    if (this.closing || !this.wants(deviceId, event)) return;
    this.stopOne(deviceId, event);
    const sub: Subscription = { deviceId, event, dialog: null, callId: null, machine: undefined as unknown as CatalogSubscription };
    sub.machine = new CatalogSubscription(
      {
        subscribe: (mode, expiresS) => this.send(sub, mode, expiresS),
        scheduler: { setTimer: (ms, fn) => setTimeout(fn, ms).unref(), clearTimer: (h) => clearTimeout(h as NodeJS.Timeout) },
        now: () => Date.now(),
        onChange: (s) => this.onChange(sub, s),
      },
      event === 'Catalog' ? this.cfg.CATALOG_SUBSCRIBE_EXPIRES_S : this.cfg.EVENT_SUBSCRIBE_EXPIRES_S,
    );
    this.subs.set(keyOf(deviceId, event), sub);
    sub.machine.start();
  }

  stop(deviceId: string): void {
    this.overrides.delete(deviceId);
    for (const event of SUBSCRIPTION_EVENTS) this.stopOne(deviceId, event);
  }

  private stopOne(deviceId: string, event: SubscriptionEvent): void {
    const key = keyOf(deviceId, event);
    const sub = this.subs.get(key);
    if (!sub) return;
    this.subs.delete(key);
    this.forget(sub);
    sub.machine.stop();
  }

  private forget(sub: Subscription): void {
    if (sub.callId !== null && this.byCallId.get(sub.callId) === sub) this.byCallId.delete(sub.callId);
    sub.callId = null;
    sub.dialog = null;
  }

  private onChange(sub: Subscription, s: SubscriptionStatus): void {
    if (s.state === 'refused' || s.state === 'failed') this.log.log(`${sub.event} subscription to ${sub.deviceId} ${s.state}: ${s.cause}`);
    else if (s.state === 'retrying') this.log.warn(`${sub.event} subscription to ${sub.deviceId}: ${s.cause}; retrying`);
    else if (s.state === 'active') this.log.debug(`${sub.event} subscription to ${sub.deviceId} active until ${new Date(s.activeUntil ?? 0).toISOString()}`);
  }

  /** One SUBSCRIBE of `sub` (CatalogSubscriptionIo.subscribe). */
  private async send(sub: Subscription, mode: 'initial' | 'refresh', expiresS: number): Promise<SubscribeOutcome> {
    const s = this.devices.get(sub.deviceId);
    if (!s || !s.online) return { error: `device ${sub.deviceId} is offline` };
    // GB/T 28181 §9.11.1: the SUBSCRIBE carries the query of its event (the subscription's scope).
    const common = {
      headers: [['Event', sub.event], ['Expires', String(expiresS)]] as [string, string][],
      body: this.subscribeBody(sub),
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
        this.log.warn(`2xx to the ${sub.event} SUBSCRIBE of ${sub.deviceId} makes no dialog (${(e as Error).message}): refreshes subscribe anew`);
      }
    }
    return { status: res.status, reason: res.reason, expiresS: granted };
  }

  /**
   * The query a SUBSCRIBE carries: Catalog, the whole catalog; Alarm (§A.2.4.6 fields), every priority and method
   * (0 = all); MobilePosition (§A.2.4.9), one notify every MOBILE_POSITION_INTERVAL_S seconds.
   */
  private subscribeBody(sub: Subscription): Buffer {
    const sn = this.queries.nextSn();
    if (sub.event === 'Alarm') return encodeQuery('Alarm', sn, sub.deviceId, { StartAlarmPriority: 0, EndAlarmPriority: 0, AlarmMethod: 0 });
    if (sub.event === 'MobilePosition') return encodeQuery('MobilePosition', sn, sub.deviceId, { Interval: this.positionIntervalS(sub.deviceId) });
    return encodeQuery('Catalog', sn, sub.deviceId);
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
    const kind = SUBSCRIPTION_EVENTS.find((e) => e.toLowerCase() === event.toLowerCase());
    if (!kind || (sub && sub.event !== kind)) {
      this.stats.badEvent++;
      return statelessResponder(r)(489, 'Bad Event', { headers: [['Allow-Events', ALLOW_EVENTS]] });
    }
    let m: ManscdpMessage | null = null;
    if (req.body.length > 0) {
      try {
        m = parseManscdp(req.body, { charset: s!.charset });
      } catch (e) {
        this.stats.malformed++;
        return statelessResponder(r)(400, isGb28181Error(e) ? `Bad Request (${e.code})` : 'Bad Request');
      }
      const fits = kind === 'Catalog' ? m.kind === 'CatalogNotify' || m.kind === 'CatalogResponse' : kind === 'Alarm' ? m.kind === 'Alarm' : m.kind === 'MobilePositionNotify';
      if (!fits) {
        this.stats.malformed++;
        return statelessResponder(r)(400, `Bad Request (not a ${kind} notification)`);
      }
    }
    if (m && kind === 'Catalog' && !this.catalog.canAcceptChanges()) {
      this.stats.busy++;
      return statelessResponder(r)(503, 'Service Unavailable', { headers: [['Retry-After', String(NOTIFY_BUSY_RETRY_AFTER_S)]] });
    }
    r.respond(200, 'OK');
    this.stats.applied++;
    if (m?.kind === 'Alarm') void this.alarms.onAlarm(s!, m, { respond: false });
    else if (m?.kind === 'MobilePositionNotify') void this.positions.onPosition(s!, m);
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
    this.settingsReads.close();
    this.offEvents?.();
    this.offReleased?.();
    const all = [...this.subs.values()];
    this.subs.clear();
    await Promise.all(all.map((sub) => sub.machine.end().finally(() => this.forget(sub))));
  }
}

function keyOf(deviceId: string, event: SubscriptionEvent): string {
  return `${event}:${deviceId}`;
}
