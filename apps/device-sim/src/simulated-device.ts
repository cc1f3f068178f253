import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import {
  buildAuthorization,
  createRequest,
  MANSCDP_CONTENT_TYPE,
  encodeAlarmNotify,
  encodeMobilePositionNotify,
  encodeKeepalive,
  newBranch,
  newCallId,
  newTag,
  parseDigestParams,
  parseExpires,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type BasicParamSet,
} from '@gb/gb28181';
import { SimSipTransport } from './sim-transport';
import { T1_MS, TransactionAbortedError, TransactionTimeoutError, UacTransactions } from './uac-transactions';
import { DeviceResponder, localIsoTime, type InviteReceivedEvent, type QueryEvent } from './device-responder';
import { MissedKeepalives, type KeepaliveVerdict } from './missed-keepalives';
import type { SimServerAddress, SimulatedDeviceOptions } from './sim-options';
import type { InviteHook } from './media/invite-hook';
import { SimSubscriptions, type SubscribeEvent } from './sim-subscriptions';
import { SimVoice } from './media/sim-voice';

export type DeviceState = 'idle' | 'registering' | 'registered' | 'failed' | 'stopping' | 'stopped';
export type RegistrationOutcome = 'registered' | 'unauthorized' | 'forbidden' | 'failed' | 'stopped';

export interface SimulatedDeviceStats {
  registerSent: number;
  registered: number;
  unauthorized: number;
  forbidden: number;
  keepalivesSent: number;
  keepalivesAnswered: number;
  queries: number;
  catalogPackets: number;
  retransmissions: number;
  malformed: number;
  /** INVITEs received (retransmissions not counted), answered or not. */
  invitesReceived: number;
  /** DeviceControl MESSAGEs carrying a PTZCmd. */
  ptzCommands: number;
  /** Moves to another platform address (fallbackServers). */
  serverChanges: number;
  /** TeleBoot restarts. */
  reboots: number;
  /** Time from the first REGISTER of the last successful registration to its 200, ms. */
  lastRegisterMs: number | null;
}

export interface SimulatedDeviceEvents {
  registered: [info: { deviceId: string; expires: number; ms: number; refresh: boolean }];
  /** A 401 the device could not answer (no password, or a second 401 after answering). */
  unauthorized: [info: { deviceId: string; status: number; reason: string }];
  forbidden: [info: { deviceId: string; reason: string }];
  unregistered: [info: { deviceId: string }];
  keepalive: [info: { deviceId: string; sn: number; ok: boolean; status?: number }];
  query: [info: QueryEvent];
  /** A new INVITE arrived (before it is answered; 501 without a media hook). */
  invite: [info: InviteReceivedEvent];
  /** A DeviceControl with a PTZCmd (A.3 of GB/T 28181-2016), after its 200. */
  ptz: [info: { deviceId: string; channelId: string; ptzCmd: string; sn: number }];
  /** The device judged its server gone and now registers with this address (fallbackServers). */
  'server-changed': [info: { deviceId: string; host: string; port: number }];
  /** DeviceControl TeleBoot: the device goes silent for rebootMs, then registers anew. */
  reboot: [info: { deviceId: string }];
  /** A DeviceConfig BasicParam was applied (the keepalive interval follows HeartBeatInterval at once). */
  configured: [info: { deviceId: string; basic: Required<BasicParamSet> }];
  /** A SUBSCRIBE answered (acceptSubscriptions; a device without any answers 501 and emits nothing). */
  subscribe: [info: SubscribeEvent];
  error: [err: Error];
}

export interface StopOptions {
  /** Send REGISTER with Expires: 0 first (when registered). Default true. */
  unregister?: boolean;
  /** How long to wait for the unregister's answer, ms. Default 3000. */
  timeoutMs?: number;
}

export { MANSCDP_CONTENT_TYPE };
export const USER_AGENT = 'gb-device-sim';
/** Re-register when this fraction of Expires has passed. */
export const REFRESH_FRACTION = 0.8;
/**
 * Consecutive keepalives without an answer before the device registers again (the platform's offline rule, §9.6);
 * with fallbackServers, when none of them got any answer, it registers with the next address instead.
 */
export const MAX_MISSED_KEEPALIVES = 3;
/** Challenges answered in a row before giving up (a platform that keeps sending 401 rejects the password). */
const MAX_AUTH_ROUNDS = 2;

/**
 * One simulated GB28181 device: its own UDP socket or TCP connection; registers with digest,
 * refreshes at 80 % of Expires, sends keepalives, answers queries (see DeviceResponder).
 */
export class SimulatedDevice extends EventEmitter<SimulatedDeviceEvents> {
  readonly stats: SimulatedDeviceStats = {
    registerSent: 0, registered: 0, unauthorized: 0, forbidden: 0, keepalivesSent: 0, keepalivesAnswered: 0,
    queries: 0, catalogPackets: 0, retransmissions: 0, malformed: 0, invitesReceived: 0, ptzCommands: 0, serverChanges: 0, reboots: 0,
    lastRegisterMs: null,
  };
  private stateValue: DeviceState = 'idle';
  private transport?: SimSipTransport;
  private tx?: UacTransactions;
  private responder?: DeviceResponder;
  /** [primary, ...fallbackServers]; `serverIndex` is the one in use. */
  private readonly servers: SimServerAddress[];
  private serverIndex = 0;
  /** Addresses judged gone since the last registration; after a whole round the next try waits retryDelayMs. */
  private serversGone = 0;
  private registerCallId: string;
  private readonly registerFromTag = newTag();
  private registerCseq = 0;
  private messageCseq = 0;
  private sn = 0;
  private challenge?: string;
  private nc = 0;
  private readonly cnonce = randomBytes(8).toString('hex');
  private refreshTimer?: NodeJS.Timeout;
  private keepaliveTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private positionTimer?: NodeJS.Timeout;
  private positionStep = 0;
  private subscriptions?: SimSubscriptions;
  /** Voice broadcast and talk: what the device received (decoded, with its energy) and sent. */
  voice = new SimVoice({}, undefined as never);
  private readonly missedKeepalives = new MissedKeepalives(MAX_MISSED_KEEPALIVES);
  private stopPromise?: Promise<void>;
  private registering?: Promise<RegistrationOutcome>;
  /** BasicParam as configured by the platform (kept across a TeleBoot). */
  private basic?: Required<BasicParamSet>;
  /** Between a TeleBoot and the new registration: requests are not answered. */
  private rebooting = false;

  constructor(
    readonly options: SimulatedDeviceOptions,
    private readonly hooks: { onInvite?: InviteHook } = {},
  ) {
    super();
    this.registerCallId = newCallId(options.localHost);
    this.servers = [{ host: options.serverHost, port: options.serverPort }, ...(options.fallbackServers ?? []).map((a) => ({ host: a.host, port: a.port }))];
  }

  /** The platform address the device registers with now. */
  get currentServer(): SimServerAddress {
    const s = this.servers[this.serverIndex]!;
    return { host: s.host, port: s.port };
  }

  get deviceId(): string {
    return this.options.deviceId;
  }

  get state(): DeviceState {
    return this.stateValue;
  }

  /** Local SIP port (after start). */
  get localPort(): number {
    return this.transport?.localPort ?? 0;
  }

  /** Opens the socket/connection and registers; resolves with the first registration's outcome. */
  async start(): Promise<RegistrationOutcome> {
    if (this.stateValue !== 'idle') throw new Error(`device ${this.deviceId} already started`);
    this.stateValue = 'registering';
    try {
      await this.openTransport();
    } catch (e) {
      this.stateValue = 'failed';
      this.safeEmit('error', e as Error);
      if (this.tcpFailover) this.serverGone();
      else this.scheduleRetry();
      return 'failed';
    }
    return this.register();
  }

  /** Idempotent: unregisters (unless told not to), clears timers, closes the socket. */
  stop(opts: StopOptions = {}): Promise<void> {
    this.stopPromise ??= this.doStop(opts);
    return this.stopPromise;
  }

  private async doStop(opts: StopOptions): Promise<void> {
    const wasRegistered = this.stateValue === 'registered';
    this.stateValue = 'stopping';
    this.clearTimers();
    this.subscriptions?.close();
    this.voice.close();
    // In-flight REGISTER/keepalive/answers give up now (they see `stopping`), so stop never waits for Timer F.
    this.tx?.abortAll('device stopping');
    if (this.registering) await this.registering.catch(() => undefined);
    if ((opts.unregister ?? true) && wasRegistered && this.transport && !this.transport.isClosed) {
      const deadline = new Promise<'timeout'>((r) => {
        const t = setTimeout(() => r('timeout'), opts.timeoutMs ?? 3000);
        t.unref();
      });
      const unregister = async () => {
        const first = await this.sendRegister(0);
        // A platform that takes each nonce once (no qop) answers the cached digest 401: answer that challenge once.
        const header = first.status === 401 ? first.headers.get('WWW-Authenticate') : undefined;
        if (!header || !this.options.password) return first;
        this.useChallenge(header);
        return this.sendRegister(0);
      };
      const res = await Promise.race([unregister().catch(() => undefined), deadline]);
      if (res && res !== 'timeout' && res.status === 200) this.safeEmit('unregistered', { deviceId: this.deviceId });
    }
    this.responder?.close();
    this.tx?.abortAll('device stopped');
    await this.transport?.close();
    this.stateValue = 'stopped';
  }

  private get stopping(): boolean {
    return this.stateValue === 'stopping' || this.stateValue === 'stopped';
  }

  /** Over TCP with fallbacks, a refused or lost connection means the server is gone. */
  private get tcpFailover(): boolean {
    return this.options.transport === 'tcp' && this.servers.length > 1;
  }

  private async openTransport(): Promise<void> {
    const o = this.options;
    const { host, port } = this.currentServer;
    const transport = new SimSipTransport({
      transport: o.transport, serverHost: host, serverPort: port, localHost: o.localHost, localPort: o.localPort,
    });
    await transport.open();
    if (this.stopping) {
      // stop() ran while connecting: it did not see this transport.
      await transport.close();
      throw new Error(`device ${this.deviceId} stopping`);
    }
    const tx = new UacTransactions(transport, o.t1Ms ?? T1_MS, () => this.stats.retransmissions++);
    this.transport = transport;
    this.tx = tx;
    this.responder = new DeviceResponder(o, {
      send: (m) => transport.send(m),
      request: (req) => tx.request(req),
      newMessage: (body) => this.newMessage(body),
      contact: () => this.contact(),
      onQuery: (q) => {
        this.stats.queries++;
        this.stats.catalogPackets += q.kind === 'CatalogQuery' ? q.packetsSent : 0;
        if (q.cmdType === 'DeviceControl' && q.ptzCmd !== undefined) {
          this.stats.ptzCommands++;
          this.safeEmit('ptz', { deviceId: this.deviceId, channelId: q.targetId || this.deviceId, ptzCmd: q.ptzCmd, sn: q.sn });
        }
        this.safeEmit('query', q);
      },
      onInviteReceived: (i) => {
        this.stats.invitesReceived++;
        this.safeEmit('invite', i);
      },
      onError: (e) => this.safeEmit('error', e),
      onInvite: this.hooks.onInvite,
      nextSn: () => this.nextSn(),
      onSubscribe: (req) => this.subscriptions?.onSubscribe(req) ?? false,
      intercept: (req, respond) => this.voice.intercept(req, respond),
      onTeleBoot: () => this.reboot(),
      onBasicParam: (b) => {
        this.basic = b;
        if (this.keepaliveTimer) this.startKeepalive(false);
        this.safeEmit('configured', { deviceId: this.deviceId, basic: b });
      },
    }, this.basic);
    this.voice.close();
    this.voice = new SimVoice(o.voice ?? {}, {
      deviceId: o.deviceId, domain: o.domain, localHost: o.localHost, charset: o.charset === 'UTF-8' ? 'UTF-8' : 'GB2312',
      via: () => this.via(), contact: () => this.contact(), request: (req) => tx.request(req), send: (m) => transport.send(m),
      newMessage: (body) => this.newMessage(body), server: () => this.currentServer,
    });
    this.subscriptions?.close();
    this.subscriptions = new SimSubscriptions({
      deviceId: o.deviceId, domain: o.domain, charset: o.charset, accepts: o.acceptSubscriptions ?? [],
      via: () => this.via(), contact: () => this.contact(), send: (res) => transport.send(res), request: (req) => tx.request(req), nextSn: () => this.nextSn(),
      position: () => ({
        channelId: o.channels[0]?.deviceId ?? o.deviceId, speed: SIM_SPEED_MPS * 3.6, altitude: 12,
        ...simPositionAt(o.positionPath ?? SIM_POSITION_PATH, this.positionStep++, (o.positionIntervalS ?? 1) * SIM_SPEED_MPS),
      }),
      onSubscribe: (e) => this.safeEmit('subscribe', e),
    });
    transport.on('message', (m) => this.onMessage(m));
    transport.on('malformed', () => this.stats.malformed++);
    transport.on('error', (e) => this.safeEmit('error', e));
    transport.on('close', () => this.onConnectionLost());
  }

  private onMessage(m: SipMessage): void {
    if (m.type === 'response') {
      this.tx?.onResponse(m);
      return;
    }
    if ((this.stopping || this.rebooting) && m.method !== 'ACK') return;
    this.responder?.onRequest(m);
  }

  private onConnectionLost(): void {
    if (this.stopping) return;
    this.safeEmit('error', new Error(`device ${this.deviceId}: connection to the platform closed`));
    this.clearTimers();
    this.tx?.abortAll('connection closed');
    this.responder?.close();
    this.stateValue = 'failed';
    this.serverGone();
  }

  /**
   * After retryDelayMs: registers again (reopening a closed transport), or with `next`, moves to the next
   * address first.
   */
  private scheduleRetry(next = false): void {
    const delay = this.options.retryDelayMs ?? 5000;
    if (delay <= 0 || this.stopping) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      void (async () => {
        if (this.stopping) return;
        if (next) return this.failOver();
        if (!this.transport || this.transport.isClosed) {
          await this.transport?.close();
          try {
            await this.openTransport();
          } catch (e) {
            if (this.stopping) return;
            this.safeEmit('error', e as Error);
            if (this.tcpFailover) this.serverGone();
            else this.scheduleRetry();
            return;
          }
        }
        await this.register();
      })();
    }, delay);
  }

  /**
   * The current server gave no answer (keepalives, REGISTER, TCP connection). With fallbackServers the
   * device moves to the next address at once; once every address failed in a row it waits retryDelayMs
   * before the next round. Without them: retryDelayMs, then the same server again.
   */
  private serverGone(): void {
    if (this.stopping) return;
    this.stateValue = 'failed';
    this.clearTimers();
    this.serversGone++;
    if (this.serversGone < this.servers.length) {
      void this.failOver();
      return;
    }
    this.serversGone = 0;
    this.scheduleRetry(this.servers.length > 1);
  }

  private async failOver(): Promise<void> {
    try {
      await this.moveToNextServer();
    } catch (e) {
      if (this.stopping) return;
      this.safeEmit('error', e as Error);
      this.serverGone();
      return;
    }
    if (!this.stopping) await this.register();
  }

  /**
   * What an operator does when re-pointing a camera at another platform address: the device moves to the next
   * address of [primary, ...fallbackServers] now and registers there (the old server is not told).
   */
  async switchServer(): Promise<RegistrationOutcome> {
    if (this.servers.length < 2) throw new Error('switchServer needs fallbackServers');
    this.clearTimers();
    this.stateValue = 'failed';
    await this.moveToNextServer();
    return this.register();
  }

  /**
   * DeviceControl TeleBoot (§A.2.3.1.1), as a camera restarts: its dialogs end, timers stop and it answers nothing
   * for rebootMs; then a fresh socket (a new Call-ID and CSeq, no cached challenge) and a new registration.
   */
  private reboot(): void {
    if (this.stopping || this.rebooting) return;
    this.stats.reboots++;
    this.rebooting = true;
    this.clearTimers();
    this.responder?.close();
    this.subscriptions?.close();
    this.stateValue = 'failed';
    this.safeEmit('reboot', { deviceId: this.deviceId });
    this.retryTimer = setTimeout(() => {
      void (async () => {
        this.rebooting = false;
        if (this.stopping) return;
        this.tx?.abortAll('rebooted');
        const old = this.transport;
        this.transport = undefined;
        this.tx = undefined;
        this.responder = undefined;
        await old?.close();
        this.registerCallId = newCallId(this.options.localHost);
        this.registerCseq = 0;
        this.challenge = undefined;
        this.nc = 0;
        try {
          await this.openTransport();
        } catch (e) {
          if (this.stopping) return;
          this.safeEmit('error', e as Error);
          this.scheduleRetry();
          return;
        }
        await this.register();
      })();
    }, this.options.rebootMs ?? 1000);
  }

  /** Round-robin to the next address: the UDP socket is kept and retargeted; a TCP device connects anew. */
  private async moveToNextServer(): Promise<void> {
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
    const { host, port } = this.currentServer;
    this.stats.serverChanges++;
    this.missedKeepalives.reset();
    // Whatever is in flight went to the old server (its retransmissions would reach the new one).
    this.tx?.abortAll('server changed');
    // Another registrar: a fresh registration (new Call-ID, CSeq from 1, RFC 3261 §10.2.1) and no cached challenge.
    this.registerCallId = newCallId(this.options.localHost);
    this.registerCseq = 0;
    this.challenge = undefined;
    this.nc = 0;
    this.safeEmit('server-changed', { deviceId: this.deviceId, host, port });
    if (this.options.transport === 'udp' && this.transport && !this.transport.isClosed) {
      this.transport.retarget(host, port);
      return;
    }
    const old = this.transport;
    this.responder?.close();
    this.transport = undefined;
    this.tx = undefined;
    this.responder = undefined;
    await old?.close();
    if (this.stopping) return;
    await this.openTransport();
  }

  /** REGISTER -> 401 -> REGISTER with Authorization -> 200 (§9.1). */
  private register(refresh = false): Promise<RegistrationOutcome> {
    const p = this.doRegister(refresh).finally(() => {
      if (this.registering === p) this.registering = undefined;
    });
    this.registering = p;
    return p;
  }

  private async doRegister(refresh: boolean): Promise<RegistrationOutcome> {
    const started = Date.now();
    const expires = this.options.expires;
    if (!refresh) this.stateValue = 'registering';
    try {
      let res = await this.sendRegister(expires);
      for (let round = 0; res.status === 401 || res.status === 407; round++) {
        const header = res.headers.get(res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
        const stale = header !== undefined && /stale\s*=\s*"?true/i.test(header);
        if (!header || !this.options.password || (round >= MAX_AUTH_ROUNDS && !stale) || this.stopping) {
          this.stats.unauthorized++;
          this.safeEmit('unauthorized', { deviceId: this.deviceId, status: res.status, reason: res.reason });
          return this.failed('unauthorized');
        }
        this.useChallenge(header);
        res = await this.sendRegister(expires);
      }
      if (this.stopping) return 'stopped';
      if (res.status === 403) {
        this.stats.forbidden++;
        this.challenge = undefined;
        this.safeEmit('forbidden', { deviceId: this.deviceId, reason: res.reason });
        return this.failed('forbidden');
      }
      if (res.status < 200 || res.status >= 300) {
        this.safeEmit('error', new Error(`device ${this.deviceId}: REGISTER answered ${res.status} ${res.reason}`));
        return this.failed('failed');
      }
      const granted = this.grantedExpires(res) ?? expires;
      this.serversGone = 0;
      this.stats.registered++;
      this.stats.lastRegisterMs = Date.now() - started;
      this.stateValue = 'registered';
      this.scheduleRefresh(granted);
      this.startKeepalive(refresh);
      this.safeEmit('registered', { deviceId: this.deviceId, expires: granted, ms: this.stats.lastRegisterMs, refresh });
      return 'registered';
    } catch (e) {
      if (this.stopping) return 'stopped';
      // Aborted by a lost connection or a server change: whoever aborted decides what comes next.
      if (e instanceof TransactionAbortedError) return 'failed';
      this.safeEmit('error', e as Error);
      if (e instanceof TransactionTimeoutError) {
        this.serverGone();
        return 'failed';
      }
      return this.failed('failed');
    }
  }

  /** A final answer that is not a registration: the server is alive; retryDelayMs, then the same server. */
  private failed(outcome: RegistrationOutcome): RegistrationOutcome {
    if (this.stopping) return 'stopped';
    this.stateValue = 'failed';
    this.serversGone = 0;
    this.clearTimers();
    this.scheduleRetry();
    return outcome;
  }

  private useChallenge(header: string): void {
    const nonce = safeNonce(header);
    const old = this.challenge ? safeNonce(this.challenge) : undefined;
    if (nonce !== old) this.nc = 0;
    this.challenge = header;
  }

  private grantedExpires(res: SipResponse): number | undefined {
    try {
      const e = res.headers.get('Expires');
      if (e !== undefined) return parseExpires(e);
    } catch {
      // keep the asked value
    }
    return undefined;
  }

  /** One REGISTER transaction; answers the last challenge pre-emptively (nc incremented). */
  private sendRegister(expires: number): Promise<SipResponse> {
    const o = this.options;
    const uri = `sip:${o.serverId}@${o.domain}`;
    const headers: [string, string][] = [];
    if (this.challenge && o.password) {
      this.nc++;
      headers.push(['Authorization', buildAuthorization({
        challenge: this.challenge, method: 'REGISTER', uri, username: o.deviceId, password: o.password, cnonce: this.cnonce, nc: this.nc,
      })]);
    }
    headers.push(['User-Agent', USER_AGENT], ['Expires', String(expires)]);
    const req = createRequest({
      method: 'REGISTER',
      uri,
      via: this.via(),
      from: { uri: `sip:${o.deviceId}@${o.domain}`, tag: this.registerFromTag },
      to: { uri: `sip:${o.deviceId}@${o.domain}` },
      callId: this.registerCallId,
      cseq: ++this.registerCseq,
      contact: this.contact(),
      headers,
    });
    this.stats.registerSent++;
    return this.requireTx().request(req, this.options.serverTimeoutMs);
  }

  private scheduleRefresh(expires: number): void {
    clearTimeout(this.refreshTimer);
    if (expires <= 0) return;
    this.refreshTimer = setTimeout(() => {
      if (!this.stopping) void this.register(true);
    }, Math.max(1000, expires * 1000 * REFRESH_FRACTION));
  }

  private startKeepalive(refresh: boolean): void {
    const every = this.options.positionIntervalS;
    if (every && every > 0 && !this.positionTimer) {
      this.positionTimer = setInterval(() => void this.sendNextPosition().catch(() => undefined), every * 1000);
      this.positionTimer.unref?.();
    }
    if (refresh && this.keepaliveTimer) return;
    clearInterval(this.keepaliveTimer);
    this.missedKeepalives.reset();
    this.keepaliveTimer = setInterval(() => this.keepaliveDue(), (this.basic?.heartbeatIntervalS ?? this.options.keepaliveSeconds) * 1000);
  }

  /** Interval tick: first what the keepalives still unanswered mean (see MissedKeepalives), then the next one. */
  private keepaliveDue(): void {
    this.onKeepaliveVerdict(this.missedKeepalives.due());
    void this.sendKeepalive();
  }

  /** Keepalive MESSAGE (§9.6); SN increments per message sent by this device. Resolves true when it got a 2xx. */
  async sendKeepalive(): Promise<boolean> {
    if (this.stateValue !== 'registered') return false;
    const ticket = this.missedKeepalives.sent();
    const sn = this.nextSn();
    const req = this.newMessage(encodeKeepalive(sn, this.deviceId, this.options.charset));
    this.stats.keepalivesSent++;
    let status: number | undefined;
    try {
      status = (await this.requireTx().request(req, this.options.serverTimeoutMs)).status;
    } catch {
      if (this.stopping) return false;
    }
    const ok = status !== undefined && status >= 200 && status < 300;
    if (ok) this.stats.keepalivesAnswered++;
    this.safeEmit('keepalive', { deviceId: this.deviceId, sn, ok, ...(status !== undefined ? { status } : {}) });
    if (!this.stopping) this.onKeepaliveVerdict(this.missedKeepalives.settled(ticket, status));
    return ok;
  }

  /**
   * MAX_MISSED_KEEPALIVES in a row without a 2xx: with fallbacks and no answer at all, the server is gone
   * (next address); otherwise register again with the same server (as without fallbacks).
   */
  private onKeepaliveVerdict(verdict: KeepaliveVerdict | undefined): void {
    // A refresh in flight decides by itself (its timeout also means the server is gone).
    if (!verdict || this.stateValue !== 'registered' || this.registering) return;
    if (verdict === 'server-gone' && this.servers.length > 1) this.serverGone();
    else void this.register();
  }

  /**
   * An alarm Notify (§9.4) from one of this device's channels (or the device); resolves with the platform's final
   * status. The platform's `<Response><CmdType>Alarm</CmdType>` acknowledgement arrives later as a `query` event.
   */
  async sendAlarm(o: { channelId?: string; priority?: number; method?: number; description?: string; time?: string }): Promise<number> {
    const sn = this.nextSn();
    const body = encodeAlarmNotify({
      sn, deviceId: o.channelId ?? this.deviceId, priority: o.priority ?? 1, method: o.method ?? 5,
      time: o.time ?? new Date().toISOString().slice(0, 19), description: o.description, charset: this.options.charset,
    });
    const res = await this.requireTx().request(this.newMessage(body));
    return res.status;
  }

  /**
   * A MobilePosition Notify (§9.10) for a channel (or the device); resolves with the platform's final status.
   * `time` defaults to now, in the device's local `YYYY-MM-DDTHH:mm:ss`.
   */
  async sendMobilePosition(o: { channelId?: string; longitude: number; latitude: number; speed?: number; direction?: number; altitude?: number; time?: string }): Promise<number> {
    const body = encodeMobilePositionNotify({
      sn: this.nextSn(), deviceId: o.channelId ?? this.deviceId, time: o.time ?? localIsoTime(Date.now()), longitude: o.longitude, latitude: o.latitude,
      ...(o.speed !== undefined ? { speed: o.speed } : {}), ...(o.direction !== undefined ? { direction: o.direction } : {}), ...(o.altitude !== undefined ? { altitude: o.altitude } : {}),
      charset: this.options.charset,
    });
    return (await this.requireTx().request(this.newMessage(body))).status;
  }

  /** Catalog changes as a NOTIFY in each Catalog subscription the platform holds (acceptSubscriptions); their final statuses. */
  notifyCatalog(items: Parameters<SimSubscriptions['notifyCatalog']>[0]): Promise<number[]> {
    return this.subscriptions?.notifyCatalog(items) ?? Promise.resolve([]);
  }

  /** An alarm as a NOTIFY in each Alarm subscription the platform holds (acceptSubscriptions); their final statuses. */
  notifyAlarm(o: { channelId?: string; priority?: number; method?: number; description?: string; time?: string }): Promise<number[]> {
    return this.subscriptions?.notifyAlarm(o) ?? Promise.resolve([]);
  }

  /** The next point of positionPath (see SimulatedDeviceOptions), sent as a MobilePosition Notify. */
  private async sendNextPosition(): Promise<void> {
    if (this.stateValue !== 'registered') return;
    const p = simPositionAt(this.options.positionPath ?? SIM_POSITION_PATH, this.positionStep++, (this.options.positionIntervalS ?? 1) * SIM_SPEED_MPS);
    await this.sendMobilePosition({ channelId: this.options.channels[0]?.deviceId ?? this.deviceId, ...p, speed: SIM_SPEED_MPS * 3.6, altitude: 12 });
  }

  nextSn(): number {
    this.sn = (this.sn % 0x7fffffff) + 1;
    return this.sn;
  }

  /** An out-of-dialog MESSAGE to the platform with a MANSCDP body. */
  private newMessage(body: Buffer): SipRequest {
    const o = this.options;
    return createRequest({
      method: 'MESSAGE',
      uri: `sip:${o.serverId}@${o.domain}`,
      via: this.via(),
      from: { uri: `sip:${o.deviceId}@${o.domain}`, tag: newTag() },
      to: { uri: `sip:${o.serverId}@${o.domain}` },
      callId: newCallId(o.localHost),
      cseq: ++this.messageCseq,
      headers: [['User-Agent', USER_AGENT]],
      body,
      contentType: MANSCDP_CONTENT_TYPE,
    });
  }

  private via(): { transport: string; host: string; port: number; branch: string; rport: boolean } {
    return { transport: this.options.transport.toUpperCase(), host: this.options.localHost, port: this.localPort, branch: newBranch(), rport: true };
  }

  private contact(): string {
    return `<sip:${this.options.deviceId}@${this.options.localHost}:${this.localPort}>`;
  }

  private requireTx(): UacTransactions {
    if (!this.tx) throw new Error(`device ${this.deviceId} not started`);
    return this.tx;
  }

  private clearTimers(): void {
    clearTimeout(this.refreshTimer);
    clearInterval(this.keepaliveTimer);
    clearTimeout(this.retryTimer);
    clearInterval(this.positionTimer);
    this.refreshTimer = this.keepaliveTimer = this.retryTimer = this.positionTimer = undefined;
  }

  /** A throwing listener must not break the device; 'error' without listeners is dropped, not thrown. */
  private safeEmit<K extends keyof SimulatedDeviceEvents>(event: K, ...args: SimulatedDeviceEvents[K]): void {
    if (event === 'error' && this.listenerCount('error') === 0) return;
    try {
      (this.emit as (e: K, ...a: SimulatedDeviceEvents[K]) => boolean)(event, ...args);
    } catch (e) {
      if (event !== 'error') this.safeEmit('error', e as Error);
    }
  }
}

/** Default path of a moving simulated device: a ~200 m square in Hangzhou (lon, lat corners, walked in order). */
export const SIM_POSITION_PATH: ReadonlyArray<readonly [number, number]> = [[120.1500, 30.2800], [120.1521, 30.2800], [120.1521, 30.2818], [120.1500, 30.2818]];
/** Speed of a moving simulated device, m/s (36 km/h). */
export const SIM_SPEED_MPS = 10;
const M_PER_DEG_LAT = 111_320;

/**
 * Where a device walking `path` (looped) stands after `step` steps of `stepM` metres, and its heading (degrees
 * clockwise from north). Flat-earth: fine over a few kilometres.
 */
export function simPositionAt(path: ReadonlyArray<readonly [number, number]>, step: number, stepM: number): { longitude: number; latitude: number; direction: number } {
  if (path.length === 0) throw new Error('positionPath needs at least one point');
  if (path.length === 1) return { longitude: path[0]![0], latitude: path[0]![1], direction: 0 };
  const legs = path.map((a, i) => {
    const b = path[(i + 1) % path.length]!;
    const dx = (b[0] - a[0]) * M_PER_DEG_LAT * Math.cos((a[1] * Math.PI) / 180);
    const dy = (b[1] - a[1]) * M_PER_DEG_LAT;
    return { a, b, len: Math.hypot(dx, dy), dir: ((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360 };
  });
  const loop = legs.reduce((n, l) => n + l.len, 0);
  let d = loop > 0 ? (step * stepM) % loop : 0;
  for (const l of legs) {
    if (d <= l.len || l === legs[legs.length - 1]) {
      const f = l.len > 0 ? Math.min(1, d / l.len) : 0;
      return { longitude: round6(l.a[0] + (l.b[0] - l.a[0]) * f), latitude: round6(l.a[1] + (l.b[1] - l.a[1]) * f), direction: Math.round(l.dir) % 360 };
    }
    d -= l.len;
  }
  return { longitude: path[0]![0], latitude: path[0]![1], direction: 0 };
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

function safeNonce(challenge: string): string | undefined {
  try {
    return parseDigestParams(challenge)['nonce'];
  } catch {
    return undefined;
  }
}
