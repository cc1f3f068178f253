import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { parseManscdp, parseNameAddr, parseSipUri, isGb28181Error, type ManscdpMessage } from '@gb/gb28181';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { SipService } from '../sip/sip.service';
import { DevicesService } from './devices.service';
import { DeviceQueriesService } from './device-queries.service';
import { CatalogSyncService } from './catalog-sync.service';
import { DeviceAlarmsService } from './device-alarms.service';

/**
 * MESSAGE from devices (GB/T 28181 §9.6 keepalive, §9.5 query responses). Answers first, then acts:
 * a device waits for our 200 before it sends the next catalog packet.
 */
@Injectable()
export class DeviceMessagesService implements OnModuleInit {
  private readonly log = new Logger('messages');
  readonly stats = { keepalives: 0, rejected: 0, malformed: 0 };
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
  ) {}

  onModuleInit(): void {
    this.sip.on('MESSAGE', (r) => this.onMessage(r));
  }

  onMessage({ req, flow, respond }: IncomingRequest): void {
    let deviceId: string | undefined;
    try {
      deviceId = parseSipUri(parseNameAddr(req.headers.get('from') ?? '').uri).user;
    } catch {
      /* handled below */
    }
    const s = deviceId ? this.devices.get(deviceId) : undefined;
    // An unknown device, or one whose registration lapsed, must register (again) first.
    if (!s || s.registrationExpiresAt === null || s.registrationExpiresAt <= Date.now()) {
      this.stats.rejected++;
      respond(s ? 403 : 404, s ? 'Registration Expired' : 'Not Registered');
      return;
    }
    let m: ManscdpMessage;
    try {
      m = parseManscdp(req.body, { charset: s.charset });
    } catch (e) {
      this.stats.malformed++;
      respond(400, isGb28181Error(e) ? `Bad Request (${e.code})` : 'Bad Request');
      return;
    }
    respond(200, 'OK');
    const now = Date.now();

    // Any MESSAGE proves the device alive; a new source address means it moved (NAT rebinding, 4G).
    const moved =
      s.flow.remoteHost !== flow.remoteHost || s.flow.remotePort !== flow.remotePort || s.flow.transport !== flow.transport || s.flow.connectionId !== flow.connectionId;
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
        this.alarms.onAlarm(s, m);
        return;
      case 'CatalogResponse':
      case 'CatalogNotify':
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
