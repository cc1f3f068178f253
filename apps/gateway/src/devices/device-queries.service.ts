import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { MANSCDP_CONTENT_TYPE, encodeControl, encodeQuery, type ManscdpMessage } from '@gb/gb28181';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { SipService } from '../sip/sip.service';
import { DevicesService } from './devices.service';
import type { DeviceSession } from './device-session';
import { CatalogSyncService } from './catalog-sync.service';

/** How long we wait for a device's answer MESSAGE to a query (after its 200 to ours). */
export const QUERY_ANSWER_TIMEOUT_MS = 10_000;

interface PendingAnswer {
  resolve(m: ManscdpMessage): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  /** An answer in several MESSAGEs under one SN: takes each one; true once the answer is whole (then resolve). */
  collect?(m: ManscdpMessage): boolean;
}

/** Most answer MESSAGEs collected for one requestParts() (a device cannot keep a request open with endless packets). */
export const MAX_ANSWER_PARTS = 64;

/** Queries the platform sends to devices (GB/T 28181 §9.5 Catalog, DeviceInfo, DeviceStatus) and waits for their answers. */
@Injectable()
export class DeviceQueriesService implements BeforeApplicationShutdown {
  private readonly log = new Logger('queries');
  private sn = Math.floor(Math.random() * 100000);
  private readonly pending = new Map<string, PendingAnswer>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly sip: SipService,
    private readonly devices: DevicesService,
    private readonly catalog: CatalogSyncService,
  ) {}

  nextSn(): number {
    this.sn = this.sn >= 999_999_999 ? 1 : this.sn + 1;
    return this.sn;
  }

  /** Sends a MANSCDP query MESSAGE; resolves when the device accepted it (2xx). */
  async sendQuery(deviceId: string, cmdType: string, sn: number, extra?: Record<string, string | number>): Promise<void> {
    const s = this.devices.requireOnline(deviceId);
    await this.sendManscdp(s, encodeQuery(cmdType, sn, deviceId, extra), `${cmdType} query`);
  }

  /**
   * Sends a `<Control>` MESSAGE (GB/T 28181 §9.3: DeviceControl with PTZCmd, …) addressed to `targetId` (a channel of
   * the device, or the device itself); resolves with the device's final status once it accepted it (2xx).
   */
  async sendControl(deviceId: string, targetId: string, cmdType: string, extra: Record<string, string | number>): Promise<{ sn: number }> {
    const s = this.devices.requireOnline(deviceId);
    const sn = this.nextSn();
    await this.sendManscdp(s, encodeControl(cmdType, sn, targetId, extra), cmdType);
    return { sn };
  }

  /**
   * One out-of-dialog MANSCDP MESSAGE to a device; resolves once it answered 2xx. DEVICE_TIMEOUT (naming `what`)
   * when it did not answer or refused.
   */
  async sendManscdp(s: DeviceSession, body: Buffer, what: string): Promise<void> {
    let res;
    try {
      res = await this.sip.send({ method: 'MESSAGE', targetId: s.deviceId, flow: s.flow, body, contentType: MANSCDP_CONTENT_TYPE });
    } catch (e) {
      throw new GatewayError('DEVICE_TIMEOUT', `device ${s.deviceId} did not answer the ${what}`, { deviceId: s.deviceId }, { cause: e });
    }
    if (res.status >= 300) throw new GatewayError('DEVICE_REFUSED', `device ${s.deviceId} refused the ${what}: ${res.status} ${res.reason}`, { deviceId: s.deviceId, sipStatus: res.status });
  }

  async syncCatalog(deviceId: string): Promise<{ sn: number }> {
    const sn = this.nextSn();
    this.catalog.begin(deviceId, sn);
    await this.sendQuery(deviceId, 'Catalog', sn);
    return { sn };
  }

  /** Sends a query and waits for the device's answering MESSAGE with the same SN. */
  async ask(deviceId: string, cmdType: string): Promise<ManscdpMessage> {
    const sn = this.nextSn();
    const key = `${deviceId}:${sn}`;
    const answer = new Promise<ManscdpMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new GatewayError('DEVICE_TIMEOUT', `device ${deviceId} sent no ${cmdType} answer within ${QUERY_ANSWER_TIMEOUT_MS} ms`, { deviceId }));
      }, QUERY_ANSWER_TIMEOUT_MS);
      timer.unref();
      this.pending.set(key, { resolve, reject, timer });
    });
    // The answer may time out while we still wait for the device's 200 to the query: never leave it unhandled.
    answer.catch(() => undefined);
    try {
      await this.sendQuery(deviceId, cmdType, sn);
    } catch (e) {
      const p = this.pending.get(key);
      if (p) clearTimeout(p.timer);
      this.pending.delete(key);
      throw e;
    }
    return answer;
  }

  /**
   * Sends a MESSAGE built for a fresh SN (a `<Control>` whose device answers with a Response under the same SN,
   * e.g. DeviceControl AlarmCmd / GuardCmd, §A.2.6.1) and waits up to `timeoutMs` for that Response. Rejects with
   * DEVICE_OFFLINE, DEVICE_TIMEOUT (no 2xx to the MESSAGE), DEVICE_REFUSED (a non-2xx) or, after the 2xx,
   * DEVICE_CONTROL_NO_RESULT (no Response in time).
   */
  async request(deviceId: string, what: string, encode: (sn: number) => Buffer, timeoutMs: number): Promise<{ sn: number; answer: ManscdpMessage }> {
    const { sn, answers } = await this.requestParts(deviceId, what, encode, timeoutMs, () => true);
    return { sn, answer: answers[0]! };
  }

  /**
   * request() for an answer a device may split over several MESSAGEs under the same SN (PresetQuery: SumNum items
   * across PresetLists, as Catalog): resolves with the messages once `complete(messages)` says the answer is whole,
   * or MAX_ANSWER_PARTS arrived; when `timeoutMs` runs out after at least one arrived, with those (a device that
   * lost a packet still shows what came). None at all: DEVICE_CONTROL_NO_RESULT.
   */
  async requestParts(deviceId: string, what: string, encode: (sn: number) => Buffer, timeoutMs: number, complete: (parts: readonly ManscdpMessage[]) => boolean): Promise<{ sn: number; answers: ManscdpMessage[] }> {
    const s = this.devices.requireOnline(deviceId);
    const sn = this.nextSn();
    const key = `${deviceId}:${sn}`;
    const parts: ManscdpMessage[] = [];
    const answer = new Promise<ManscdpMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        if (parts.length > 0) resolve(parts[parts.length - 1]!);
        else reject(new GatewayError('DEVICE_CONTROL_NO_RESULT', `device ${deviceId} accepted the ${what} but sent no Response with its Result within ${timeoutMs} ms`, { deviceId }));
      }, timeoutMs);
      timer.unref();
      this.pending.set(key, {
        resolve, reject, timer,
        collect: (m) => {
          parts.push(m);
          return parts.length >= MAX_ANSWER_PARTS || complete(parts);
        },
      });
    });
    answer.catch(() => undefined);
    try {
      await this.sendManscdp(s, encode(sn), what);
    } catch (e) {
      const p = this.pending.get(key);
      if (p) clearTimeout(p.timer);
      this.pending.delete(key);
      throw e;
    }
    await answer;
    return { sn, answers: parts.length > 0 ? parts : [await answer] };
  }

  /** Called by the MESSAGE handler for every Response; true if someone was waiting for it. */
  deliverAnswer(deviceId: string, m: ManscdpMessage): boolean {
    const key = `${deviceId}:${m.sn}`;
    const p = this.pending.get(key);
    if (!p) return false;
    if (p.collect && !p.collect(m)) return true;
    clearTimeout(p.timer);
    this.pending.delete(key);
    p.resolve(m);
    return true;
  }

  /** After a (re-)registration: DeviceInfo then Catalog, in the background. */
  afterRegistration(deviceId: string): void {
    void (async () => {
      try {
        const info = await this.ask(deviceId, 'DeviceInfo');
        if (info.kind === 'DeviceInfoResponse') {
          await this.devices.setInfo(deviceId, { manufacturer: info.manufacturer, model: info.model, firmware: info.firmware, name: info.deviceName });
        }
      } catch (e) {
        this.log.warn(`DeviceInfo for ${deviceId}: ${(e as Error).message}`);
      }
      try {
        await this.syncCatalog(deviceId);
      } catch (e) {
        this.log.warn(`Catalog for ${deviceId}: ${(e as Error).message}`);
      }
    })();
  }

  beforeApplicationShutdown(): void {
    this.close();
  }

  close(): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('shutting down'));
    }
    this.pending.clear();
  }
}
