import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createDigestChallenge, parseDigestParams, parseExpires, parseNameAddr, parseSipUri, verifyDigest, isGb28181Error } from '@gb/gb28181';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DevicesService } from '../devices/devices.service';
import { DeviceQueriesService } from '../devices/device-queries.service';
import type { IncomingRequest } from './sip-endpoint';
import { SipService } from './sip.service';
import { NonceIssuer } from './nonce';

const DEVICE_ID = /^[0-9A-Za-z]{1,32}$/;

/**
 * REGISTER (GB/T 28181-2016 §9.1, Annex J.1; RFC 3261 §10 + digest per RFC 2617).
 * 401 with algorithm=MD5 -> 200 with Date (devices set their clock from it) or 403 on a wrong password.
 * 400 without Expires; Expires 0 unregisters.
 */
@Injectable()
export class RegistrarService implements OnModuleInit {
  private readonly log = new Logger('registrar');
  private readonly nonces = new NonceIssuer();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly sip: SipService,
    private readonly devices: DevicesService,
    private readonly queries: DeviceQueriesService,
  ) {}

  onModuleInit(): void {
    this.sip.on('REGISTER', (r) => this.onRegister(r));
  }

  onRegister({ req, flow, respond }: IncomingRequest): void {
    let deviceId: string;
    let contact: string | null = null;
    let expires: number | undefined;
    try {
      const from = parseNameAddr(req.headers.get('from') ?? '');
      deviceId = parseSipUri(from.uri).user ?? '';
      const contactHeader = req.headers.get('contact');
      if (contactHeader && contactHeader.trim() !== '*') {
        const c = parseNameAddr(contactHeader);
        contact = c.uri;
        const p = c.params['expires'];
        if (p !== undefined && p !== null && /^\d+$/.test(p)) expires = Number(p);
      }
      const e = req.headers.get('expires');
      if (e !== undefined) expires = parseExpires(e);
    } catch (e) {
      respond(400, isGb28181Error(e) ? `Bad Request (${e.code})` : 'Bad Request');
      return;
    }
    if (!DEVICE_ID.test(deviceId)) return respond(400, 'Bad Request (device id)');
    if (expires === undefined || !Number.isFinite(expires)) return respond(400, 'Missing Expires');

    const now = Date.now();
    const known = this.devices.get(deviceId);
    const password = known?.password ?? this.cfg.SIP_PASSWORD;
    if (password) {
      const auth = req.headers.get('authorization');
      const challenge = (stale = false) =>
        respond(401, 'Unauthorized', {
          headers: [['WWW-Authenticate', createDigestChallenge({ realm: this.cfg.SIP_DOMAIN, nonce: this.nonces.issue(now), algorithm: 'MD5', stale })]],
        });
      if (!auth) return challenge();
      let params: Record<string, string>;
      try {
        params = parseDigestParams(auth);
      } catch {
        return respond(400, 'Bad Authorization');
      }
      const nonceState = this.nonces.check(params['nonce'] ?? '', now);
      if (nonceState === 'invalid') return challenge();
      if (nonceState === 'stale') return challenge(true);
      if (params['username'] !== deviceId || !verifyDigest({ params, method: 'REGISTER', password })) {
        this.log.warn(`device ${deviceId} from ${flow.remoteHost}:${flow.remotePort}: wrong password`);
        return respond(403, 'Forbidden');
      }
    }

    const dateHeader: [string, string] = ['Date', gbDate(now)];
    if (expires === 0) {
      respond(200, 'OK', { headers: [dateHeader, ['Expires', '0']] });
      if (known) {
        const wasOnline = known.online;
        known.online = false;
        known.registrationExpiresAt = now;
        this.devices.touch(known);
        if (wasOnline) this.devices.announceOffline(known, 'unregistered');
      }
      return;
    }

    const s = known ?? this.devices.newSession(deviceId, flow);
    const wasOnline = !!known?.online;
    s.flow = { ...flow };
    s.contactUri = contact;
    s.expires = expires;
    s.registeredAt = wasOnline && s.registeredAt ? s.registeredAt : now;
    s.registrationExpiresAt = now + expires * 1000;
    s.lastKeepaliveAt = now;
    s.online = true;
    if (!known) this.devices.registry.set(s);
    this.devices.touch(s);
    respond(200, 'OK', {
      headers: [dateHeader, ['Expires', String(expires)], ...(contact ? ([['Contact', `<${contact}>;expires=${expires}`]] as [string, string][]) : [])],
    });
    if (!wasOnline) {
      this.devices.announceOnline(s);
      // After a (re-)registration: learn what the device is and what it has (GB/T 28181 §9.5).
      this.queries.afterRegistration(deviceId);
    }
  }
}

/** GB/T 28181 Date header: local time, `YYYY-MM-DDTHH:mm:ss.SSS`, no zone. */
export function gbDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}
