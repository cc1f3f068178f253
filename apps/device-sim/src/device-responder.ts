import {
  createResponse,
  encodeCatalogResponses,
  encodeConfigDownloadResponse,
  encodePresetQueryResponses,
  readDeviceConfigBasic,
  type BasicParamSet,
  encodeDeviceInfoResponse,
  encodeDeviceStatusResponse,
  encodeManscdpMessage,
  encodeRecordInfoResponses,
  parseManscdp,
  type ManscdpMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '@gb/gb28181';
import type { SimulatedDeviceOptions } from './sim-options';
import type { InviteAnswer, InviteHook } from './media/invite-hook';
import type { SimVoiceRespond } from './media/sim-voice';

export interface QueryEvent {
  deviceId: string;
  /** parseManscdp's kind: CatalogQuery, DeviceInfoQuery, DeviceStatusQuery, RecordInfoQuery, Other... */
  kind: string;
  cmdType: string;
  sn: number;
  /** Answer MESSAGEs sent (0 for commands that only get a 200). */
  packetsSent: number;
  /** Every answer MESSAGE got a 2xx. */
  ok: boolean;
  /** The DeviceID the message addressed (a channel for controls and channel queries). */
  targetId?: string;
  /** DeviceControl: the PTZCmd hex, when present. */
  ptzCmd?: string;
  /** Controls: the body's fields after CmdType/SN/DeviceID (e.g. `{ AlarmCmd: 'ResetAlarm', Info: {…} }`). */
  fields?: Record<string, unknown>;
  /** The DeviceControl Response Result sent (OK / ERROR), when one was. */
  result?: string;
}

export interface InviteReceivedEvent {
  deviceId: string;
  /** The Request-URI user: the channel asked for. */
  channelId: string;
  callId: string;
}

/** What the responder needs from its device. */
export interface ResponderPort {
  send(m: SipMessage): void;
  request(req: SipRequest): Promise<SipResponse>;
  newMessage(body: Buffer): SipRequest;
  contact(): string;
  onQuery(q: QueryEvent): void;
  /** Every new INVITE (not its retransmissions), before it is answered. */
  onInviteReceived?(i: InviteReceivedEvent): void;
  onError(e: Error): void;
  onInvite?: InviteHook;
  /** SUBSCRIBE (RFC 6665): true when answered there; otherwise the responder answers 501. */
  onSubscribe?(req: SipRequest): boolean;
  /** The device's next MANSCDP SN (for MESSAGEs the media side sends, e.g. MediaStatus). */
  nextSn?: () => number;
  /** Claims a request before the responder (the device's voice side); `respond` answers it. */
  intercept?(req: SipRequest, respond: SimVoiceRespond): boolean;
  /** DeviceControl TeleBoot: the device restarts (after its 200). */
  onTeleBoot?(): void;
  /** DeviceConfig BasicParam applied: the new heartbeat interval / expiry take effect. */
  onBasicParam?(basic: Required<BasicParamSet>): void;
}

/** Named presets a simulated dome reports to PresetQuery. */
export const SIM_PRESETS: ReadonlyArray<{ index: number; name: string }> = [
  { index: 1, name: '东门' },
  { index: 2, name: 'Car park' },
  { index: 5, name: 'Gate 5' },
];
/** The heartbeat count a simulated device reports (missed keepalives before the platform judges it offline). */
export const SIM_HEARTBEAT_COUNT = 3;

/** How long a final response is kept to answer a retransmitted request (RFC 3261 Timer J = 64 × T1). */
export const RESPONSE_CACHE_MS = 32_000;
/** Most cached responses (bounded: the platform controls how many requests arrive). */
export const MAX_CACHED_RESPONSES = 512;
/** Most simultaneous INVITE dialogs per device. */
export const MAX_DIALOGS = 64;

const ALLOW = 'REGISTER, MESSAGE, OPTIONS, INVITE, ACK, BYE, CANCEL, INFO';
/** Recordings a simulated channel reports per RecordInfo query (split across MESSAGEs, 2 per packet). */
export const SIM_RECORDS_PER_QUERY = 3;

/**
 * Answers what the platform sends a device: MESSAGE queries (200, then the answer MESSAGEs, one
 * at a time, each after the previous one's 200, as devices do, §9.5), OPTIONS (200), INVITE
 * through the `onInvite` hook (501 without one), BYE/ACK for those dialogs, anything else 501.
 * A retransmitted request gets the same response again, without being handled twice.
 */
export class DeviceResponder {
  private readonly answered = new Map<string, { at: number; res: SipResponse }>();
  private readonly dialogs = new Map<string, InviteAnswer>();
  /** INVITEs whose answer the media hook is still preparing (a retransmission gets 100 again, not a second hook call). */
  private readonly inviting = new Set<string>();
  private closed = false;
  /** BasicParam as configured (DeviceConfig changes it; ConfigDownload reports it). */
  private basic: Required<BasicParamSet>;

  constructor(
    private readonly o: SimulatedDeviceOptions,
    private readonly port: ResponderPort,
    basic?: Required<BasicParamSet>,
  ) {
    this.basic = basic ?? { name: o.name, expirationS: o.expires, heartbeatIntervalS: o.keepaliveSeconds, heartbeatCount: SIM_HEARTBEAT_COUNT };
  }

  /** The BasicParam now in force. */
  get basicParam(): Required<BasicParamSet> {
    return { ...this.basic };
  }

  onRequest(req: SipRequest): void {
    if (this.closed) return;
    const key = `${req.headers.get('Call-ID') ?? ''}|${req.headers.get('CSeq') ?? ''}`;
    const cached = this.answered.get(key);
    if (cached && req.method !== 'ACK') {
      this.port.send(cached.res);
      return;
    }
    // voice (Broadcast MESSAGE, s=Talk INVITE, its ACK and BYE) first: SimVoice
    const claim = this.port.intercept?.(req, (status, o = {}) => {
      const res = createResponse(req, status, undefined, {
        headers: [['User-Agent', 'gb-device-sim'], ...(o.headers ?? [])], ...(o.toTag ? { toTag: o.toTag } : {}), ...(o.body ? { body: o.body.data, contentType: o.body.type } : {}),
      });
      this.remember(key, res);
      this.port.send(res);
    });
    if (claim) return;
    switch (req.method) {
      case 'MESSAGE':
        return this.onMessage(req, key);
      case 'OPTIONS':
        return this.respond(req, key, 200, [['Allow', ALLOW]]);
      case 'INVITE':
        return void this.onInvite(req, key);
      case 'ACK':
        return this.dialogs.get(req.headers.get('Call-ID') ?? '')?.onAck?.();
      case 'BYE':
        return this.onBye(req, key);
      case 'CANCEL':
        return this.respond(req, key, 200);
      case 'INFO':
        return this.onInfo(req, key);
      case 'SUBSCRIBE':
        if (this.port.onSubscribe?.(req)) return;
        return this.respond(req, key, 501, [['Allow', ALLOW]]);
      default:
        return this.respond(req, key, 501, [['Allow', ALLOW]]);
    }
  }

  /** Ends every dialog (media stops) and forgets cached responses. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inviting.clear();
    for (const d of this.dialogs.values()) safeCall(d.onBye);
    this.dialogs.clear();
    this.answered.clear();
  }

  private respond(req: SipRequest, key: string, status: number, headers: [string, string][] = [], body?: { data: Buffer; type: string }): void {
    const res = createResponse(req, status, undefined, {
      headers: [['User-Agent', 'gb-device-sim'], ...headers],
      ...(body ? { body: body.data, contentType: body.type } : {}),
    });
    this.remember(key, res);
    this.port.send(res);
  }

  private remember(key: string, res: SipResponse): void {
    const now = Date.now();
    for (const [k, v] of this.answered) {
      if (now - v.at < RESPONSE_CACHE_MS && this.answered.size < MAX_CACHED_RESPONSES) break;
      this.answered.delete(k);
    }
    this.answered.set(key, { at: now, res });
  }

  private onMessage(req: SipRequest, key: string): void {
    let msg: ManscdpMessage;
    try {
      msg = parseManscdp(req.body);
    } catch (e) {
      this.respond(req, key, 400);
      this.port.onError(new Error(`device ${this.o.deviceId}: unreadable MANSCDP body: ${(e as Error).message}`));
      return;
    }
    this.respond(req, key, 200);
    if (msg.root === 'Control' && msg.cmdType === 'DeviceConfig' && (this.o.controlResult ?? 'OK') === 'OK') {
      try {
        this.basic = { ...this.basic, ...readDeviceConfigBasic(msg) };
        this.port.onBasicParam?.(this.basicParam);
      } catch (e) {
        this.port.onError(e as Error);
      }
    }
    void this.answer(msg).then(() => {
      if (msg.root === 'Control' && msg.cmdType === 'DeviceControl' && msg.fields['TeleBoot'] !== undefined && (this.o.controlResult ?? 'OK') === 'OK') this.port.onTeleBoot?.();
    });
  }

  private async answer(msg: ManscdpMessage): Promise<void> {
    const packets = this.answerBodies(msg);
    let sent = 0;
    let ok = true;
    for (const body of packets) {
      if (this.closed) {
        ok = false;
        break;
      }
      try {
        const res = await this.port.request(this.port.newMessage(body));
        sent++;
        if (res.status < 200 || res.status >= 300) {
          ok = false;
          break;
        }
      } catch (e) {
        ok = false;
        if (!this.closed) this.port.onError(e as Error);
        break;
      }
    }
    const ptz = msg.fields['PTZCmd'];
    const result = answeredControl(msg) ? (this.o.controlResult ?? 'OK') : undefined;
    this.port.onQuery({
      deviceId: this.o.deviceId, kind: msg.kind, cmdType: msg.cmdType, sn: msg.sn, packetsSent: sent, ok, targetId: msg.deviceId,
      ...(typeof ptz === 'string' ? { ptzCmd: ptz } : {}),
      ...(msg.root === 'Control' ? { fields: { ...msg.fields } } : {}),
      ...(result !== undefined && result !== 'none' ? { result } : {}),
    });
  }

  /** The answer MESSAGE bodies for a query; none for notifies and controls (the 200 is the answer). */
  answerBodies(msg: ManscdpMessage): Buffer[] {
    const o = this.o;
    const charset = o.charset;
    switch (msg.kind) {
      case 'CatalogQuery':
        return encodeCatalogResponses({ sn: msg.sn, deviceId: o.deviceId, items: o.channels, perMessage: o.catalogPerMessage, charset });
      case 'DeviceInfoQuery':
        return [encodeDeviceInfoResponse({
          sn: msg.sn, deviceId: msg.deviceId || o.deviceId, deviceName: o.name, manufacturer: o.manufacturer, model: o.model,
          firmware: o.firmware, channel: o.channels.length, charset,
        })];
      case 'DeviceStatusQuery':
        return [encodeDeviceStatusResponse({ sn: msg.sn, deviceId: msg.deviceId || o.deviceId, deviceTime: localIsoTime(Date.now()), record: 'OFF', encode: 'ON', charset })];
      case 'RecordInfoQuery':
        // A few recordings spread over the asked window, two per MESSAGE so the platform aggregates (§9.7).
        return encodeRecordInfoResponses({
          sn: msg.sn, deviceId: msg.deviceId || o.deviceId, name: o.name, perMessage: 2, charset,
          items: simRecords(msg.deviceId || o.deviceId, msg.startTime, msg.endTime),
        });
      default: {
        const result = o.controlResult ?? 'OK';
        const target = msg.deviceId || o.deviceId;
        if (msg.root === 'Query' && (msg.cmdType === 'PresetQuery' || msg.cmdType === 'ConfigDownload')) {
          // A camera without the feature answers Result ERROR, or not at all.
          if (result === 'none') return [];
          if (result === 'ERROR') return [encodeManscdpMessage('Response', msg.cmdType, msg.sn, target, { Result: 'ERROR' }, charset)];
          if (msg.cmdType === 'PresetQuery') return encodePresetQueryResponses({ sn: msg.sn, deviceId: target, presets: o.presets ?? SIM_PRESETS, perMessage: o.catalogPerMessage, charset });
          return [encodeConfigDownloadResponse({ sn: msg.sn, deviceId: target, basic: this.basic, charset })];
        }
        // AlarmCmd / GuardCmd / RecordCmd / HomePosition / DeviceConfig: a Response with the Result (§A.2.6.1), unless told to stay silent.
        if (!answeredControl(msg) || result === 'none') return [];
        return [encodeManscdpMessage('Response', msg.cmdType, msg.sn, target, { Result: result }, charset)];
      }
    }
  }

  private async onInvite(req: SipRequest, key: string): Promise<void> {
    if (this.inviting.has(key)) return this.port.send(createResponse(req, 100));
    const callId = req.headers.get('Call-ID') ?? '';
    const channelId = /^sips?:([^@;]+)@/i.exec(req.uri)?.[1] ?? this.o.deviceId;
    this.port.onInviteReceived?.({ deviceId: this.o.deviceId, channelId, callId });
    const hook = this.port.onInvite;
    if (!hook) return this.respond(req, key, 501);
    if (this.dialogs.size >= MAX_DIALOGS) return this.respond(req, key, 486);
    this.port.send(createResponse(req, 100));
    let answer: InviteAnswer;
    this.inviting.add(key);
    try {
      answer = await hook({
        req, deviceId: this.o.deviceId, channelId, offer: req.body.toString('utf8'), localHost: this.o.localHost,
        sendMessage: async (body) => (await this.port.request(this.port.newMessage(body))).status,
        nextSn: this.port.nextSn,
      });
    } catch (e) {
      this.inviting.delete(key);
      this.port.onError(e as Error);
      return this.respond(req, key, 500);
    }
    this.inviting.delete(key);
    if (this.closed) return safeCall(answer.onBye);
    const ok = answer.status >= 200 && answer.status < 300;
    if (ok) this.dialogs.set(callId, answer);
    const headers: [string, string][] = ok ? [['Contact', this.port.contact()]] : [];
    const body = ok && answer.sdp !== undefined ? { data: Buffer.from(answer.sdp, 'utf8'), type: 'application/sdp' } : undefined;
    const res = createResponse(req, answer.status, answer.reason, { headers: [['User-Agent', 'gb-device-sim'], ...headers], ...(body ? { body: body.data, contentType: body.type } : {}) });
    this.remember(key, res);
    this.port.send(res);
  }

  /** In-dialog INFO: MANSRTSP playback control (Annex B) goes to the dialog's media. */
  private onInfo(req: SipRequest, key: string): void {
    const d = this.dialogs.get(req.headers.get('Call-ID') ?? '');
    if (!d) return this.respond(req, key, 481);
    if (!d.onInfo) return this.respond(req, key, 501);
    let status = 500;
    try {
      status = d.onInfo(req.body.toString('utf8'), req.headers.get('Content-Type'));
    } catch {
      // the media side failed: 500
    }
    this.respond(req, key, status);
  }

  private onBye(req: SipRequest, key: string): void {
    const callId = req.headers.get('Call-ID') ?? '';
    const d = this.dialogs.get(callId);
    if (!d) return this.respond(req, key, 481);
    this.dialogs.delete(callId);
    safeCall(d.onBye);
    this.respond(req, key, 200);
  }
}

/** A DeviceControl whose device answers with a Response carrying a Result (GB/T 28181-2016 §A.2.6.1). */
function answeredControl(msg: ManscdpMessage): boolean {
  if (msg.root === 'Control' && msg.cmdType === 'DeviceConfig') return true;
  return msg.root === 'Control' && msg.cmdType === 'DeviceControl' && ['AlarmCmd', 'GuardCmd', 'RecordCmd', 'HomePosition'].some((f) => msg.fields[f] !== undefined);
}

function safeCall(fn: (() => void) | undefined): void {
  try {
    fn?.();
  } catch {
    // a media hook failing on teardown must not stop the device
  }
}

/**
 * SIM_RECORDS_PER_QUERY recordings evenly inside [start, end] (local `YYYY-MM-DDTHH:mm:ss`, as asked);
 * none when the window is missing or unreadable.
 */
export function simRecords(deviceId: string, start: string | null, end: string | null): { deviceId: string; name: string; filePath: string; startTime: string; endTime: string; type: string; secrecy: string }[] {
  const a = start ? Date.parse(start) : NaN;
  const b = end ? Date.parse(end) : NaN;
  if (!(b > a)) return [];
  const step = (b - a) / SIM_RECORDS_PER_QUERY;
  return Array.from({ length: SIM_RECORDS_PER_QUERY }, (_, i) => ({
    deviceId, name: `rec${i + 1}`, filePath: `/rec/${deviceId}/${i + 1}.ps`, type: 'time', secrecy: '0',
    startTime: localIsoTime(a + i * step), endTime: localIsoTime(a + (i + 1) * step - 1000),
  }));
}

/** `YYYY-MM-DDTHH:mm:ss` in local time, as GB28181 devices report it. */
export function localIsoTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
