import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  Dialog, MANSCDP_CONTENT_TYPE, buildGbOffer, buildVoiceAnswer, encodeBroadcastNotify, getTag, isGb28181Error, newTag, parseManscdp, parseNameAddr,
  parseSipUri, readVoiceSdp, type VoiceMedia,
} from '@gb/gb28181';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { DevicesService } from '../devices/devices.service';
import { DeviceQueriesService } from '../devices/device-queries.service';
import { SipService } from '../sip/sip.service';
import type { IncomingRequest } from '../sip/sip-endpoint';
import type { SipFlow } from '../sip/sip-flow';
import { StreamsService } from '../streams/streams.service';
import { VoiceMediaLinkImpl, mediaLinkError } from './voice-media-link';
import { VOICE_WS_CLOSE, VoiceSession, type VoiceMode, type VoiceSessionDto } from './voice-session';

/** Most voice sessions (broadcast and talk together) this node runs; one more gets VOICE_LIMIT. */
export const VOICE_MAX_SESSIONS = 16;
/** After the device accepted our Broadcast MESSAGE, how long we wait for its INVITE (GB/T 28181-2016 §9.12.1). */
export const VOICE_BROADCAST_INVITE_WAIT_MS = 8_000;
/** How long shutdown waits for the BYEs of open sessions to be answered. */
export const VOICE_SHUTDOWN_BYE_WAIT_MS = 2_000;
/** Ended sessions listed (with why they ended). */
export const VOICE_ENDED_LISTED = 20;

interface PendingBroadcast {
  session: VoiceSession;
  /** IDs the device's INVITE may come from (From user): the device and the audio output channel. */
  fromIds: Set<string>;
  resolve(): void;
  reject(e: Error): void;
}

interface DialogKey {
  callId: string;
  /** The device's tag in the dialog (its From tag on a BYE it sends). */
  remoteTag: string;
}

/**
 * Voice to devices (GB/T 28181-2016 §9.12, docs/decisions/voice.md), one session per device:
 * - broadcast: MESSAGE `<Notify><CmdType>Broadcast</CmdType>…<SourceID>SIP_ID</SourceID><TargetID>channel</TargetID>`,
 *   the device answers 200 (and a Response with Result), then INVITEs SourceID with its audio SDP; we answer 200 with
 *   ours (sendonly, its payload, the opposite TCP role) and send G.711 (raw or PS) to it;
 * - talk: we INVITE the channel with s=Talk (PCMA and PS, sendrecv); both sides send.
 * The page's audio arrives over the session's WebSocket (VoiceWebSocketServer). A BYE from the device, the page
 * closing its socket, idle, DELETE and shutdown end it.
 */
@Injectable()
export class VoiceService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('voice');
  private readonly sessions = new Map<string, VoiceSession>();
  private readonly byDevice = new Map<string, VoiceSession>();
  private readonly pending = new Map<string, PendingBroadcast>();
  private readonly dialogs = new Map<string, { key: DialogKey; session: VoiceSession }>();
  private readonly ended: VoiceSessionDto[] = [];
  private closing = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(SipService) private readonly sip: SipService,
    @Inject(DevicesService) private readonly devices: DevicesService,
    @Inject(DeviceQueriesService) private readonly queries: DeviceQueriesService,
    @Inject(StreamsService) private readonly streams: StreamsService,
  ) {}

  onModuleInit(): void {
    this.sip.intercept('INVITE', (r) => this.onInvite(r));
    this.sip.intercept('BYE', (r) => this.onBye(r));
    this.sip.intercept('MESSAGE', (r) => this.onMessage(r));
  }

  get(id: string): VoiceSession | undefined {
    return this.sessions.get(id);
  }

  list(): VoiceSessionDto[] {
    return [...[...this.sessions.values()].map((s) => s.toDto()), ...this.ended];
  }

  async start(o: { deviceId: string; channelId?: string; mode: VoiceMode; transport?: 'udp' | 'tcp' }): Promise<VoiceSession> {
    if (this.closing) throw new GatewayError('FEATURE_DISABLED', 'the gateway is shutting down');
    const dev = this.devices.requireOnline(o.deviceId);
    const channelId = o.channelId ?? o.deviceId;
    if (o.channelId && o.channelId !== o.deviceId) await this.devices.requireChannel(o.deviceId, o.channelId);
    const busy = this.byDevice.get(o.deviceId);
    if (busy) {
      throw new GatewayError('VOICE_BUSY', `device ${o.deviceId} already has a ${busy.mode} session (${busy.id}); end it first (DELETE /api/voice/${busy.id})`, { deviceId: o.deviceId, sessionId: busy.id });
    }
    if (this.sessions.size >= VOICE_MAX_SESSIONS) throw new GatewayError('VOICE_LIMIT', `${VOICE_MAX_SESSIONS} voice sessions are open (VOICE_MAX_SESSIONS)`);
    const session = new VoiceSession(o.deviceId, channelId, o.mode, Math.floor(Math.random() * 1e9));
    this.sessions.set(session.id, session);
    this.byDevice.set(o.deviceId, session);
    session.onClose = (s) => this.forget(s);
    try {
      if (o.mode === 'broadcast') await this.startBroadcast(session);
      else await this.startTalk(session, dev.flow, o.transport ?? 'udp');
    } catch (e) {
      await session.close(`could not start: ${(e as Error).message}`);
      throw e;
    }
    this.log.log(`voice ${session.id}: ${o.mode} with ${o.deviceId}/${channelId} open (${session.peer?.payload} ${session.peer?.transport} to ${session.peer?.host}:${session.peer?.port})`);
    return session;
  }

  async stop(id: string): Promise<VoiceSessionDto> {
    const s = this.sessions.get(id);
    if (!s) throw new GatewayError('NOT_FOUND', `no open voice session ${id}`);
    await s.close('ended from the API');
    return s.toDto();
  }

  private forget(s: VoiceSession): void {
    this.sessions.delete(s.id);
    if (this.byDevice.get(s.deviceId) === s) this.byDevice.delete(s.deviceId);
    for (const [k, d] of this.dialogs) if (d.session === s) this.dialogs.delete(k);
    const p = this.pending.get(s.deviceId);
    if (p?.session === s) {
      this.pending.delete(s.deviceId);
      p.reject(new GatewayError('DEVICE_REFUSED', s.closeReason ?? 'the session ended'));
    }
    this.ended.push(s.toDto());
    if (this.ended.length > VOICE_ENDED_LISTED) this.ended.shift();
    this.log.log(`voice ${s.id}: ended (${s.closeReason})`);
  }

  // ---------------------------------------------------------------- broadcast

  private async startBroadcast(session: VoiceSession): Promise<void> {
    const invited = new Promise<void>((resolve, reject) => {
      this.pending.set(session.deviceId, { session, fromIds: new Set([session.deviceId, session.channelId]), resolve, reject });
    });
    invited.catch(() => undefined);
    const sn = this.queries.nextSn();
    await this.queries.sendManscdp(
      this.devices.requireOnline(session.deviceId),
      encodeBroadcastNotify({ sn, sourceId: this.cfg.SIP_ID, targetId: session.channelId }),
      'voice Broadcast notify',
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new GatewayError('DEVICE_TIMEOUT', `device ${session.deviceId} accepted the Broadcast but did not INVITE us for the audio within ${VOICE_BROADCAST_INVITE_WAIT_MS / 1000} s`, { deviceId: session.deviceId })),
        VOICE_BROADCAST_INVITE_WAIT_MS,
      );
    });
    try {
      await Promise.race([invited, timeout]);
    } finally {
      clearTimeout(timer);
      if (this.pending.get(session.deviceId)?.session === session) this.pending.delete(session.deviceId);
    }
  }

  /** The device's Response to our Broadcast (Result OK or ERROR): a refusal ends the wait at once. */
  private onMessage(r: IncomingRequest): boolean {
    if (!r.req.body.includes('Broadcast')) return false;
    let fromUser: string | undefined;
    try {
      fromUser = parseSipUri(parseNameAddr(r.req.headers.get('from') ?? '').uri).user;
    } catch {
      return false;
    }
    const p = fromUser ? this.pending.get(fromUser) : undefined;
    if (!p) return false;
    let result: unknown;
    try {
      const m = parseManscdp(r.req.body);
      if (m.root !== 'Response' || m.cmdType !== 'Broadcast') return false;
      result = m.fields['Result'];
    } catch {
      return false;
    }
    r.respond(200, 'OK');
    if (typeof result === 'string' && result.trim().toUpperCase() !== 'OK') {
      this.pending.delete(p.session.deviceId);
      p.reject(new GatewayError('DEVICE_REFUSED', `device ${p.session.deviceId} refused the voice broadcast (Result ${result.slice(0, 20)})`, { deviceId: p.session.deviceId }));
    }
    return true;
  }

  /** The device's INVITE for the broadcast audio (To = our SourceID, From = the device or its channel). */
  private onInvite(r: IncomingRequest): boolean {
    let fromUser: string | undefined;
    try {
      fromUser = parseSipUri(parseNameAddr(r.req.headers.get('from') ?? '').uri).user;
    } catch {
      return false;
    }
    const p = [...this.pending.values()].find((x) => fromUser !== undefined && x.fromIds.has(fromUser));
    if (!p) return false;
    void this.acceptBroadcastInvite(r, p).catch((e: Error) => {
      this.log.warn(`voice ${p.session.id}: the device's INVITE: ${e.message}`);
      p.reject(e instanceof GatewayError ? e : new GatewayError('DEVICE_BAD_SDP', e.message, undefined, { cause: e }));
    });
    return true;
  }

  private async acceptBroadcastInvite(r: IncomingRequest, p: PendingBroadcast): Promise<void> {
    const session = p.session;
    this.pending.delete(session.deviceId);
    let peer: VoiceMedia;
    try {
      peer = readVoiceSdp(r.req.body.toString('utf8'));
    } catch (e) {
      const text = isGb28181Error(e) ? `${e.code}: ${e.message}` : (e as Error).message;
      r.respond(488, 'Not Acceptable Here', { headers: [['Warning', `399 gb-gateway "${text.replace(/["\\\r\n]/g, ' ').slice(0, 150)}"`]] });
      throw new GatewayError('DEVICE_BAD_SDP', `device ${session.deviceId} INVITEd us with an SDP we cannot use: ${text}`);
    }
    let link: VoiceMediaLinkImpl;
    try {
      ({ value: link } = await this.streams.bindOnPoolPort((port) => VoiceMediaLinkImpl.open(peer.transport === 'udp' ? 'udp' : 'tcp', this.cfg.MEDIA_BIND_HOST, port)));
    } catch (e) {
      r.respond(503, 'Service Unavailable');
      throw mediaLinkError(e);
    }
    if (!session.isOpen) {
      link.close();
      return r.respond(487, 'Request Terminated');
    }
    const localTag = newTag();
    const ip = this.cfg.MEDIA_IP ?? this.sip.transport.localHostFor(peer.host);
    const sdp = buildVoiceAnswer({ peer, localId: this.cfg.SIP_ID, ip, port: link.localPort, direction: 'sendonly', ...(peer.ssrc && /^\d{1,10}$/.test(peer.ssrc) ? { ssrc: peer.ssrc } : {}) });
    r.respond(200, 'OK', { toTag: localTag, headers: [['Contact', this.sip.contactFor(r.flow)]], body: Buffer.from(sdp), contentType: 'application/sdp' });
    const dialog = Dialog.fromUasRequest(r.req, localTag);
    this.trackDialog(session, dialog, r.flow);
    session.open(peer, link);
    link.connect(peer);
    p.resolve();
  }

  // ---------------------------------------------------------------- talk

  private async startTalk(session: VoiceSession, flow: SipFlow, transport: 'udp' | 'tcp'): Promise<void> {
    const { value: link } = await this.streams
      .bindOnPoolPort((port) => VoiceMediaLinkImpl.open(transport, this.cfg.MEDIA_BIND_HOST, port))
      .catch((e: unknown) => {
        throw mediaLinkError(e);
      });
    try {
      const ssrc = String(Math.floor(Math.random() * 1e9)).padStart(10, '0');
      const ip = this.cfg.MEDIA_IP ?? this.sip.transport.localHostFor(flow.remoteHost);
      const offer = buildGbOffer({ sessionName: 'Talk', platformId: this.cfg.SIP_ID, ip, port: link.localPort, transport: transport === 'udp' ? 'udp' : 'tcp-passive', ssrc });
      const req = this.sip.build({
        method: 'INVITE', targetId: session.channelId, flow,
        headers: [['Subject', `${session.channelId}:${ssrc},${this.cfg.SIP_ID}:0`]],
        body: Buffer.from(offer), contentType: 'APPLICATION/SDP',
      });
      const usage = this.sip.endpoint.invite(req, flow, { answerTimeoutMs: this.cfg.INVITE_TIMEOUT_MS });
      const { dialog, response } = await usage.start().catch((e: unknown) => {
        const status = (e as { sipStatus?: number }).sipStatus;
        throw new GatewayError('DEVICE_REFUSED', `device ${session.deviceId} refused the talk INVITE${status ? ` (${status})` : ''}: ${(e as Error).message}`, { deviceId: session.deviceId, ...(status ? { sipStatus: status } : {}) }, { cause: e });
      });
      this.trackDialog(session, dialog, flow);
      let peer: VoiceMedia;
      try {
        peer = readVoiceSdp(response.body.toString('utf8'));
      } catch (e) {
        throw new GatewayError('DEVICE_BAD_SDP', `device ${session.deviceId} answered the talk INVITE with an SDP we cannot use: ${(e as Error).message}`);
      }
      session.open(peer, link);
      link.connect(peer);
    } catch (e) {
      link.close();
      throw e;
    }
  }

  // ---------------------------------------------------------------- dialogs

  private trackDialog(session: VoiceSession, dialog: Dialog, initialFlow: SipFlow): void {
    this.dialogs.set(`${dialog.callId}\n${dialog.remoteTag}`, { key: { callId: dialog.callId, remoteTag: dialog.remoteTag }, session });
    session.bye = async () => {
      const flow = this.devices.get(session.deviceId)?.flow ?? initialFlow;
      try {
        const res = await this.sip.endpoint.sendInDialog(dialog, 'BYE', flow, { contact: this.sip.contactFor(flow) });
        if (res.status >= 300) this.log.warn(`voice ${session.id}: BYE answered ${res.status} ${res.reason}`);
      } catch (e) {
        this.log.warn(`voice ${session.id}: BYE got no answer: ${(e as Error).message}`);
      }
    };
  }

  private onBye(r: IncomingRequest): boolean {
    let key: string;
    try {
      key = `${r.req.headers.get('call-id') ?? ''}\n${getTag(r.req.headers.get('from') ?? '') ?? ''}`;
    } catch {
      return false;
    }
    const d = this.dialogs.get(key);
    if (!d) return false;
    r.respond(200, 'OK');
    void d.session.close('the device ended the voice session (BYE)', VOICE_WS_CLOSE.ENDED, true);
    return true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    const all = [...this.sessions.values()];
    const byes = Promise.all(all.map((s) => s.close('the gateway is shutting down', VOICE_WS_CLOSE.SHUTDOWN)));
    await Promise.race([byes, new Promise((r) => setTimeout(r, VOICE_SHUTDOWN_BYE_WAIT_MS).unref())]);
  }
}
