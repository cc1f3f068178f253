import {
  MANSCDP_CONTENT_TYPE,
  createRequest,
  createResponse,
  encodeAlarmNotify,
  encodeCatalogResponses,
  encodeMobilePositionNotify,
  newTag,
  parseExpires,
  parseManscdp,
  parseNameAddr,
  type EncodableCatalogItem,
  type ManscdpCharset,
  type SipRequest,
  type SipResponse,
} from '@gb/gb28181';
import { localIsoTime } from './device-responder';

/** Event packages a simulated device can accept subscriptions to (GB/T 28181-2016 §9.11 on RFC 6665). */
export type SimSubscriptionEvent = 'Alarm' | 'MobilePosition' | 'Catalog';

/** Longest subscription the simulator grants, seconds. */
export const SIM_MAX_SUBSCRIPTION_S = 3600;
/** Most subscriptions one simulated device keeps (the platform decides how many it asks). */
export const SIM_MAX_SUBSCRIPTIONS = 16;

export interface SubscribeEvent {
  deviceId: string;
  /** The Event header's package as sent. */
  event: string;
  /** Our answer. */
  status: number;
  /** The Expires granted (0: ended). */
  expiresS: number;
  /** MobilePosition: the `<Interval>` asked for, seconds. */
  intervalS?: number;
  /** The SUBSCRIBE body's fields after CmdType/SN/DeviceID. */
  fields?: Record<string, unknown>;
  cmdType?: string;
}

export interface SimSubscriptionsPort {
  deviceId: string;
  domain: string;
  charset: ManscdpCharset;
  /** Packages accepted; any other gets 489 (none at all: 501, a device without subscriptions). */
  accepts: readonly SimSubscriptionEvent[];
  via(): { transport: string; host: string; port: number; branch: string; rport: boolean };
  contact(): string;
  send(res: SipResponse): void;
  request(req: SipRequest): Promise<SipResponse>;
  nextSn(): number;
  /** The position to report now for `channelId`. */
  position(): { channelId: string; longitude: number; latitude: number; direction: number; speed: number; altitude: number };
  onSubscribe(e: SubscribeEvent): void;
}

interface Sub {
  event: SimSubscriptionEvent;
  callId: string;
  localTag: string;
  remoteUri: string;
  remoteTag: string | undefined;
  contactUri: string;
  cseq: number;
  expiresAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * The notifier side of a simulated device: answers SUBSCRIBE (Event: Alarm / MobilePosition) with 200, its To tag and
 * the granted Expires, refreshes in the same dialog, ends on Expires: 0; sends NOTIFYs in the dialog (RFC 6665
 * §4.2.2: the SUBSCRIBE's Call-ID and tags, Request-URI = its Contact): MobilePosition every `<Interval>` seconds,
 * Alarm when notifyAlarm() is called, Catalog changes (items with `<Event>`) when notifyCatalog() is called.
 */
export class SimSubscriptions {
  private readonly subs = new Map<string, Sub>();

  constructor(private readonly port: SimSubscriptionsPort) {}

  /** Answers a SUBSCRIBE; false when this device takes no subscriptions at all (the caller answers 501). */
  onSubscribe(req: SipRequest): boolean {
    if (this.port.accepts.length === 0) return false;
    const eventName = (req.headers.get('Event') ?? req.headers.get('o') ?? '').split(';')[0]!.trim();
    const event = this.port.accepts.find((e) => e.toLowerCase() === eventName.toLowerCase());
    const callId = req.headers.get('Call-ID') ?? '';
    let asked = SIM_MAX_SUBSCRIPTION_S;
    try {
      const e = req.headers.get('Expires');
      if (e !== undefined) asked = parseExpires(e);
    } catch {
      /* what we grant */
    }
    const answer = (status: number, expiresS: number, headers: [string, string][] = [], toTag?: string, extra: Partial<SubscribeEvent> = {}) => {
      this.port.send(createResponse(req, status, undefined, { ...(toTag ? { toTag } : {}), headers: [['User-Agent', 'gb-device-sim'], ...headers] }));
      this.port.onSubscribe({ deviceId: this.port.deviceId, event: eventName, status, expiresS, ...extra });
    };
    if (!event) {
      answer(489, 0, [['Allow-Events', this.port.accepts.join(', ')]], newTag());
      return true;
    }
    let fields: Record<string, unknown> | undefined;
    let cmdType: string | undefined;
    try {
      if (req.body.length) {
        const m = parseManscdp(req.body);
        fields = { ...m.fields };
        cmdType = m.cmdType;
      }
    } catch {
      answer(400, 0, [], newTag());
      return true;
    }
    const old = this.subs.get(callId);
    if (!old && this.subs.size >= SIM_MAX_SUBSCRIPTIONS) {
      answer(503, 0, [], newTag());
      return true;
    }
    const granted = Math.min(asked, SIM_MAX_SUBSCRIPTION_S);
    const from = parseNameAddr(req.headers.get('From') ?? '');
    const sub: Sub = old ?? {
      event, callId, localTag: newTag(), remoteUri: from.uri, remoteTag: from.params['tag'] ?? undefined,
      contactUri: parseNameAddr(req.headers.get('Contact') ?? req.headers.get('From') ?? '').uri, cseq: 0, expiresAt: 0,
    };
    const interval = Number(fields?.['Interval']);
    const intervalS = Number.isInteger(interval) && interval > 0 ? Math.min(interval, 3600) : 5;
    answer(200, granted, [['Expires', String(granted)], ['Contact', this.port.contact()]], sub.localTag, { ...(event === 'MobilePosition' ? { intervalS } : {}), ...(fields ? { fields } : {}), ...(cmdType ? { cmdType } : {}) });
    if (granted === 0) {
      this.end(callId);
      return true;
    }
    sub.expiresAt = Date.now() + granted * 1000;
    this.subs.set(callId, sub);
    if (event === 'MobilePosition' && !sub.timer) {
      sub.timer = setInterval(() => void this.notifyPosition(sub).catch(() => undefined), intervalS * 1000);
      sub.timer.unref?.();
    }
    return true;
  }

  /** An alarm as a NOTIFY in every Alarm subscription; resolves with the final statuses (none: no subscription). */
  async notifyAlarm(o: { channelId?: string; priority?: number; method?: number; description?: string; time?: string }): Promise<number[]> {
    const out: number[] = [];
    for (const sub of this.subs.values()) {
      if (sub.event !== 'Alarm') continue;
      const body = encodeAlarmNotify({
        sn: this.port.nextSn(), deviceId: o.channelId ?? this.port.deviceId, priority: o.priority ?? 1, method: o.method ?? 5,
        time: o.time ?? new Date().toISOString().slice(0, 19), description: o.description, charset: this.port.charset,
      });
      out.push((await this.port.request(this.notify(sub, body))).status);
    }
    return out;
  }

  /**
   * Catalog changes (§9.11.2: items with `<Event>` ON / OFF / VLOST / DEFECT / ADD / DEL / UPDATE) as a NOTIFY in every
   * Catalog subscription; resolves with the final statuses (none: no subscription).
   */
  async notifyCatalog(items: (EncodableCatalogItem & { deviceId: string; event: string })[]): Promise<number[]> {
    const out: number[] = [];
    for (const sub of this.subs.values()) {
      if (sub.event !== 'Catalog') continue;
      for (const body of encodeCatalogResponses({ sn: this.port.nextSn(), deviceId: this.port.deviceId, items, notify: true, charset: this.port.charset })) {
        out.push((await this.port.request(this.notify(sub, body))).status);
      }
    }
    return out;
  }

  /** How many subscriptions of `event` are active. */
  count(event: SimSubscriptionEvent): number {
    let n = 0;
    for (const s of this.subs.values()) if (s.event === event && s.expiresAt > Date.now()) n++;
    return n;
  }

  close(): void {
    for (const id of [...this.subs.keys()]) this.end(id);
  }

  private end(callId: string): void {
    const s = this.subs.get(callId);
    if (!s) return;
    clearInterval(s.timer);
    this.subs.delete(callId);
  }

  private async notifyPosition(sub: Sub): Promise<void> {
    if (sub.expiresAt <= Date.now()) return this.end(sub.callId);
    const p = this.port.position();
    const body = encodeMobilePositionNotify({
      sn: this.port.nextSn(), deviceId: p.channelId, time: localIsoTime(Date.now()), longitude: p.longitude, latitude: p.latitude,
      speed: p.speed, direction: p.direction, altitude: p.altitude, charset: this.port.charset,
    });
    await this.port.request(this.notify(sub, body));
  }

  private notify(sub: Sub, body: Buffer): SipRequest {
    const remaining = Math.max(0, Math.round((sub.expiresAt - Date.now()) / 1000));
    return createRequest({
      method: 'NOTIFY',
      uri: sub.contactUri,
      via: this.port.via(),
      from: { uri: `sip:${this.port.deviceId}@${this.port.domain}`, tag: sub.localTag },
      to: { uri: sub.remoteUri, ...(sub.remoteTag ? { tag: sub.remoteTag } : {}) },
      callId: sub.callId,
      cseq: ++sub.cseq,
      contact: this.port.contact(),
      headers: [['Event', sub.event], ['Subscription-State', `active;expires=${remaining}`], ['User-Agent', 'gb-device-sim']],
      body,
      contentType: MANSCDP_CONTENT_TYPE,
    });
  }
}
