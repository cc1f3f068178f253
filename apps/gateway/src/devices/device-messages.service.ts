import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { hasCatalogEvents, isDeviceId, parseManscdp, parseNameAddr, parseSipUri, isGb28181Error, type ManscdpMessage } from '@gb/gb28181';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { SipService } from '../sip/sip.service';
import { DevicesService } from './devices.service';
import { DeviceQueriesService } from './device-queries.service';
import { CatalogSyncService } from './catalog-sync.service';
import { DeviceAlarmsService } from './device-alarms.service';
import { ChannelPositionsService } from './channel-positions.service';
import { SignallingAuthService, statelessResponder } from './signalling-auth.service';
import { sameFlow } from './device-flow';

/**
 * MESSAGE from devices (GB/T 28181 §9.6 keepalive, §9.5 query responses). Answers first, then acts:
 * a device waits for our 200 before it sends the next catalog packet.
 *
 * A MESSAGE never moves a device's signalling address on its own word (issue #16: one spoofed Keepalive used to take
 * a device's INVITEs and queries). With a password in force, a MESSAGE from an address other than the registered one
 * is answered 401 with a digest challenge and neither processed nor counted as liveness; a device that answers the
 * challenge (digest over MESSAGE, fresh nonce) moves at once. Other devices recover by re-registering, which is how
 * GB/T 28181 devices react to refused keepalives (typically after 3 × 60 s), at the latest when their registration
 * expires; meanwhile the gateway shows them offline after KEEPALIVE_INTERVAL_S × KEEPALIVE_MAX_MISSED (180 s at the
 * defaults) without a keepalive from the registered address. So: one round trip, or about 3 minutes at the defaults
 * (docs/operations.md "NAT rebinding"). Without any password configured there is nothing to prove and the address
 * moves as before.
 */
@Injectable()
export class DeviceMessagesService implements OnModuleInit {
  private readonly log = new Logger('messages');
  /** unauthenticatedMoves: MESSAGEs from a registered device's ID but another address, answered 401 (issue #16). */
  readonly stats = { keepalives: 0, rejected: 0, malformed: 0, unauthenticatedMoves: 0 };
  private readonly listeners = new Set<(deviceId: string, m: ManscdpMessage) => void>();

  /** Other use-cases (streams: MediaStatus; records: RecordInfo) hear device messages here. */
  subscribe(listener: (deviceId: string, m: ManscdpMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  constructor(
    private readonly sip: SipService,
    private readonly devices: DevicesService,
    private readonly queries: DeviceQueriesService,
    private readonly catalog: CatalogSyncService,
    private readonly alarms: DeviceAlarmsService,
    private readonly positions: ChannelPositionsService,
    private readonly auth: SignallingAuthService,
  ) {}

  onModuleInit(): void {
    this.sip.on('MESSAGE', (r) => this.onMessage(r));
  }

  onMessage(r: IncomingRequest): void {
    const { req, flow, respond } = r;
    const now = Date.now();
    let fromUser: string | undefined;
    try {
      fromUser = parseSipUri(parseNameAddr(req.headers.get('from') ?? '').uri).user;
    } catch {
      /* handled below */
    }
    const deviceId = isDeviceId(fromUser) ? fromUser : null;
    const s = deviceId ? this.devices.get(deviceId) : undefined;
    const moved = !s || !sameFlow(s.flow, flow);
    // Banned pairs and sources over their rate get no answer; a registered device's own flow always does.
    if (moved && this.auth.admit(flow, deviceId, now) !== 'ok') return r.drop?.();
    // An unknown device, or one whose registration lapsed, must register (again) first.
    if (!s || s.registrationExpiresAt === null || s.registrationExpiresAt <= now) {
      this.stats.rejected++;
      statelessResponder(r)(s ? 403 : 404, s ? 'Registration Expired' : 'Not Registered');
      return;
    }
    // Liveness and the address count only from where the device registered, or with a digest proving it is the device.
    const password = this.auth.passwordFor(s);
    if (moved && password) {
      const outcome = this.auth.authenticate(req, s.deviceId, password, now, false);
      if (!outcome.ok) {
        this.stats.unauthenticatedMoves++;
        this.auth.refuse(r, s.deviceId, outcome.status === 401 && outcome.failure === 'first' ? { ...outcome, reason: `MESSAGE from a new address (registered at ${s.flow.remoteHost}:${s.flow.remotePort}): authenticate or re-register` } : outcome, now);
        return;
      }
      this.auth.succeeded(s.deviceId, flow);
    }
    let m: ManscdpMessage;
    try {
      m = parseManscdp(req.body, { charset: s.charset });
    } catch (e) {
      this.stats.malformed++;
      const reason = isGb28181Error(e) ? `Bad Request (${e.code})` : 'Bad Request';
      statelessResponder(r)(400, reason);
      this.auth.badRequestOrForbidden(s.deviceId, flow, 400, reason, now);
      return;
    }
    respond(200, 'OK');

    // Any accepted MESSAGE proves the device alive; an authenticated one from a new address moves it (NAT rebinding, 4G).
    if (moved) s.flow = { ...flow };
    s.lastKeepaliveAt = now;
    if (!s.online) {
      // After a gateway restart or a missed-keepalive offline: back online without re-registering.
      s.online = true;
      this.devices.touch(s);
      this.devices.announceOnline(s);
    } else if (moved) {
      // The local address/port of the flow is only in the whole row.
      this.devices.touch(s);
    } else {
      this.devices.touchLiveness(s);
    }

    switch (m.kind) {
      case 'Keepalive':
        this.stats.keepalives++;
        return;
      case 'Alarm':
        void this.alarms.onAlarm(s, m);
        return;
      case 'MobilePositionNotify':
        void this.positions.onPosition(s, m);
        return;
      case 'CatalogNotify':
        // Items with <Event> (ON/OFF/ADD/DEL/…, §9.11.3): changes, as platforms send them without a subscription.
        // Without any Event it is a whole catalog pushed unasked, stored like a response.
        if (hasCatalogEvents(m.items)) this.catalog.applyChanges(s.deviceId, m.items);
        else this.catalog.onPacket(s.deviceId, { sn: m.sn, sumNum: m.sumNum, items: m.items });
        return;
      case 'CatalogResponse':
        this.catalog.onPacket(s.deviceId, { sn: m.sn, sumNum: m.sumNum, items: m.items });
        return;
      default: {
        const answered = this.queries.deliverAnswer(s.deviceId, m);
        for (const l of this.listeners) {
          try {
            l(s.deviceId, m);
          } catch (e) {
            this.log.error(`listener for ${m.cmdType} failed: ${(e as Error).message}`);
          }
        }
        if (!answered && this.listeners.size === 0) this.log.debug(`unsolicited ${m.root}/${m.cmdType} from ${s.deviceId}`);
      }
    }
  }
}
