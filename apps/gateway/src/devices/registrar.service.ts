import { Injectable, OnModuleInit } from '@nestjs/common';
import { isDeviceId, isGb28181Error, parseExpires, parseNameAddr, parseSipUri } from '@gb/gb28181';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { SipService } from '../sip/sip.service';
import { DevicesService } from './devices.service';
import { DeviceQueriesService } from './device-queries.service';
import { SignallingAuthService, statelessResponder } from './signalling-auth.service';
import { sameFlow } from './device-flow';

/**
 * REGISTER (GB/T 28181-2016 §9.1, Annex J.1; RFC 3261 §10 + digest per RFC 2617).
 * 401 with algorithm=MD5 -> 200 with Date (devices set their clock from it) or 403 on a wrong password.
 * 400 without Expires; Expires 0 unregisters.
 *
 * Hijack-proof (issue #16): a device's signalling address moves only with a request whose digest is correct and whose
 * nonce is fresh (good once without qop, increasing nc with qop=auth), so a captured REGISTER replayed from another
 * port is answered 401 and moves nothing. Banned (device ID, source host) pairs and sources over their failure rate
 * get no answer (SignallingGuard). Without any password configured every REGISTER is accepted, as before.
 */
@Injectable()
export class RegistrarService implements OnModuleInit {
  /** REGISTERs accepted with Expires > 0 (new registrations and refreshes), since start; metrics read it. */
  readonly stats = { registrations: 0 };

  constructor(
    private readonly sip: SipService,
    private readonly devices: DevicesService,
    private readonly queries: DeviceQueriesService,
    private readonly auth: SignallingAuthService,
  ) {}

  onModuleInit(): void {
    this.sip.on('REGISTER', (r) => this.onRegister(r));
  }

  /** `loaded`: the device's row was already looked up in the shared database (see below). */
  onRegister(r: IncomingRequest, loaded = false): void {
    const { req, flow, respond } = r;
    const now = Date.now();
    let fromUser = '';
    let contact: string | null = null;
    let expires: number | undefined;
    let parseError: string | undefined;
    try {
      const from = parseNameAddr(req.headers.get('from') ?? '');
      fromUser = parseSipUri(from.uri).user ?? '';
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
      parseError = isGb28181Error(e) ? `Bad Request (${e.code})` : 'Bad Request';
    }
    const deviceId = isDeviceId(fromUser) ? fromUser : null;
    const known = deviceId ? this.devices.get(deviceId) : undefined;
    const fromRegisteredFlow = !!known && sameFlow(known.flow, flow);
    // Banned pairs and sources over their rate get no answer; never the device's own registered flow, so a flood from
    // behind the same NAT cannot lock a registered device out.
    if (!fromRegisteredFlow && this.auth.admit(flow, deviceId, now) !== 'ok') return r.drop?.();
    const badRequest = (reason: string) => {
      statelessResponder(r)(400, reason);
      this.auth.badRequestOrForbidden(deviceId, flow, 400, reason, now);
    };
    if (parseError !== undefined) return badRequest(parseError);
    if (deviceId === null) return badRequest('Bad Request (device id)');
    if (expires === undefined || !Number.isFinite(expires)) return badRequest('Missing Expires');
    // A device this node does not hold may be another node's (several nodes on one database): read its row and
    // settings first, so its own password is checked and a move keeps its name, catalog and settings.
    if (!known && !loaded && this.devices.shared) {
      const again = () => this.onRegister(r, true);
      void this.devices.loadForRegistration(deviceId).then(again, again);
      return;
    }

    const password = this.auth.passwordFor(known);
    if (password) {
      const outcome = this.auth.authenticate(req, deviceId, password, now, fromRegisteredFlow);
      if (!outcome.ok) return this.auth.refuse(r, deviceId, outcome, now);
      this.auth.succeeded(deviceId, flow);
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
    // The one place a device's signalling address moves with authentication (or with none configured).
    s.flow = { ...flow };
    s.contactUri = contact;
    s.expires = expires;
    s.registeredAt = wasOnline && s.registeredAt ? s.registeredAt : now;
    s.registrationExpiresAt = now + expires * 1000;
    s.lastKeepaliveAt = now;
    s.online = true;
    if (!known) this.devices.registry.set(s);
    // This node owns the device from now on (the previous owner, if another node, is told and lets go).
    this.devices.claim(s);
    this.stats.registrations++;
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
