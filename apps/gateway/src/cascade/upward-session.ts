import { buildGbAnswer, type Dialog, type GbOffer, type GbTransport, type PsAccessUnit, type StreamFailure } from '@gb/gb28181';
import type { StreamKind } from '@gb/contracts';
import { GatewayError } from '../common/gateway-error';
import { PsRtpSender, type PsRtpSendMode } from '../media/ps-rtp-sender';
import type { OpenStreamOptions, Stream } from '../streams/streams.service';
import type { CloseReason } from '../streams/stream-session';

/** The upward leg of a stream as the API lists it (GET /api/platforms/:id/sessions). */
export interface UpwardSessionDto {
  /** The superior's Call-ID. */
  callId: string;
  platformId: string;
  channelId: string;
  deviceId: string;
  /** Our stream from the camera it sends (null until it is open). */
  streamId: string | null;
  sessionName: GbOffer['sessionName'];
  /** The superior's transport, named from its side (GbTransport): udp, tcp-passive (it listens, we connect), tcp-active. */
  transport: GbTransport;
  /** Where the RTP goes: the superior's media address (tcp-active: its connection, once made). */
  remote: string | null;
  /** Our UDP source port or TCP listening port (0: tcp-passive's ephemeral port). */
  localPort: number;
  /** The y= we send with. */
  ssrc: string;
  state: 'starting' | 'sending' | 'closed';
  since: string;
  connected: boolean;
  packetsSent: number;
  bytesSent: number;
  framesDropped: number;
  overflows: number;
  /** Why it ended (closed sessions stay listed a while). */
  closeReason: string | null;
}

/** How we send for a superior's transport (its a=setup, named from its side: passive = it listens). */
export function sendModeOf(t: GbTransport): PsRtpSendMode {
  return t === 'udp' ? 'udp' : t === 'tcp-passive' ? 'tcp-connect' : 'tcp-listen';
}

/** The stream kind for the superior's s= (Play: the shared live stream; Playback and Download: one of its own). */
export function streamKindOf(s: GbOffer['sessionName']): StreamKind {
  return s === 'Play' ? 'live' : s === 'Playback' ? 'playback' : 'download';
}

/**
 * Our 200 OK answer to the superior (GB/T 28181-2016 §9.2, Annex F, RFC 4145): sendonly PS/90000, y= the SSRC we send
 * with, c= our media address; the port is our UDP source port (udp) or our listening port (its setup:active), and 9
 * (discard, RFC 4145 §4.1) where we connect from an ephemeral port (its setup:passive).
 */
export function upwardAnswer(offer: GbOffer, o: { channelId: string; mediaIp: string; localPort: number; ssrc: string }): string {
  const port = offer.transport === 'tcp-passive' ? 9 : o.localPort;
  return buildGbAnswer({ offer: offer.sdp, deviceId: o.channelId, ip: o.mediaIp, port, ssrc: o.ssrc });
}

/** What an upward session needs from the gateway (the service passes its collaborators; specs pass fakes). */
export interface UpwardSessionDeps {
  openStream(deviceId: string, channelId: string, o: OpenStreamOptions): Promise<Stream>;
  /** RTP pool port for the sender's socket (StreamsService.bindOnPoolPort). */
  bindOnPoolPort<T>(open: (port: number) => Promise<T>): Promise<{ port: number; value: T; release: () => void }>;
  /** BYE in our UAS dialog, along the superior's flow. Never throws. */
  bye(dialog: Dialog): Promise<void>;
  log(level: 'log' | 'warn', message: string): void;
}

export interface UpwardSessionOptions {
  callId: string;
  platformId: string;
  deviceId: string;
  channelId: string;
  offer: GbOffer;
  /** The SSRC we send with (the offer's y=, or one we chose when it had none). */
  ssrc: string;
  /** c= of our answer. */
  mediaIp: string;
  /** Local address the sender binds. */
  bindHost: string;
}

/**
 * One upward leg: the superior's INVITE for a shared channel -> our stream from the camera (joined, or opened for it)
 * -> PsRtpSender to the address in its offer, until its BYE, the camera's end, a media failure, or shutdown.
 *
 *   starting --start(): stream open, sender bound, answer ready--> (the service sends the 200) --attach()--> sending
 *       \                                                                                                     \
 *        +-------------------------------------------- close(why) -------------------------------------------+--> closed
 *
 * `close()` is idempotent and releases once: the access-unit listener, the sender (socket, listener, port), the
 * stream (a live stream's hold: the stream stays for others; a playback/download stream of its own: closed), and
 * sends BYE upward when the dialog is up and the superior did not hang up itself.
 */
export class UpwardSession {
  readonly callId: string;
  readonly platformId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly offer: GbOffer;
  readonly ssrc: string;
  readonly createdAt = Date.now();
  stream?: Stream;
  sender?: PsRtpSender;
  dialog?: Dialog;
  /** The 200's SDP (a re-INVITE in the dialog gets the same). */
  answerSdp?: string;
  state: UpwardSessionDto['state'] = 'starting';
  closeReason: string | null = null;
  closedAt: number | null = null;
  /** Settles when the BYE upward was answered or given up (resolved at once when none was sent). */
  byeDone: Promise<void> = Promise.resolve();
  /** Called once, when close() begins (the service forgets the session). Must not throw. */
  onClose?: () => void;
  private releaseStream?: () => Promise<void>;
  private releasePort?: () => void;
  private detach?: () => void;
  private closing?: Promise<void>;

  constructor(
    private readonly o: UpwardSessionOptions,
    private readonly deps: UpwardSessionDeps,
  ) {
    this.callId = o.callId;
    this.platformId = o.platformId;
    this.deviceId = o.deviceId;
    this.channelId = o.channelId;
    this.offer = o.offer;
    this.ssrc = o.ssrc;
  }

  get isOpen(): boolean {
    return this.closing === undefined;
  }

  /**
   * Opens or joins the stream and binds the sender; resolves with the SDP answer, or undefined when close() came
   * meanwhile (a CANCEL: everything taken is released). Throws GatewayError (stream failure, ports) after releasing.
   */
  async start(): Promise<string | undefined> {
    const kind = streamKindOf(this.offer.sessionName);
    const stream = await this.deps.openStream(this.deviceId, this.channelId, {
      kind, holder: true, startTime: this.offer.startTime, endTime: this.offer.endTime, downloadSpeed: this.offer.downloadSpeed,
    });
    if (kind === 'live') {
      const release = stream.hold();
      this.releaseStream = async () => release();
    } else {
      this.releaseStream = () => stream.close({ kind: 'closed', why: 'stopped', message: `the superior platform's ${this.offer.sessionName} ended` });
    }
    this.stream = stream;
    if (!this.isOpen) {
      await this.release();
      return undefined;
    }
    const mode = sendModeOf(this.offer.transport);
    const make = (port: number) =>
      new PsRtpSender({ mode, remoteHost: this.offer.host, remotePort: this.offer.port, ssrc: Number(this.ssrc), bindHost: this.o.bindHost, port });
    let localPort = 0;
    try {
      if (mode === 'tcp-connect') {
        this.sender = make(0);
      } else {
        const bound = await this.deps.bindOnPoolPort(async (port) => {
          const s = make(port);
          await s.open();
          return s;
        });
        this.sender = bound.value;
        this.releasePort = bound.release;
        localPort = bound.value.port; // the bound port (the pool's, or the one the OS chose for 0)
      }
    } catch (e) {
      await this.release();
      throw e;
    }
    if (!this.isOpen) {
      await this.release();
      return undefined;
    }
    this.answerSdp = upwardAnswer(this.offer, { channelId: this.channelId, mediaIp: this.o.mediaIp, localPort, ssrc: this.ssrc });
    return this.answerSdp;
  }

  /** After the 200 went out: the dialog is ours; the stream's access units go to the superior from its next keyframe. */
  attach(dialog: Dialog): void {
    this.dialog = dialog;
    const stream = this.stream;
    const sender = this.sender;
    if (!this.isOpen || !stream || !sender) return;
    const media = stream.media;
    const onUnit = (au: PsAccessUnit) => sender.push(au);
    const onClosed = (r: CloseReason) => void this.close(`the camera's stream ended (${r.kind === 'failed' ? `${r.code}: ${r.message}` : r.message})`);
    media.on('accessUnit', onUnit);
    stream.once('closed', onClosed);
    sender.on('failed', (f: StreamFailure) => void this.close(`${f.code}: ${f.message}`));
    sender.on('connected', (peer) => this.deps.log('log', `upward ${this.callId} to platform ${this.platformId}: TCP media connected (${peer})`));
    this.detach = () => {
      media.off('accessUnit', onUnit);
      stream.off('closed', onClosed);
    };
    this.state = 'sending';
    sender.start();
    if (!stream.isOpen) void this.close('the camera\'s stream ended before the upward send started');
  }

  /**
   * Ends the session once (idempotent). `remoteBye`: the superior hung up (no BYE back). Without a dialog (before the
   * 200, or CANCELled) nothing is sent upward; the caller answered the INVITE.
   */
  close(why: string, remoteBye = false): Promise<void> {
    if (this.closing) return this.closing;
    this.closeReason = why;
    this.closedAt = Date.now();
    this.closing = (async () => {
      this.deps.log('log', `upward ${this.callId} to platform ${this.platformId} (${this.channelId}) ends: ${why}`);
      try {
        this.onClose?.();
      } catch {
        /* the listener's failure is its own */
      }
      const dialog = this.dialog;
      // The BYE leaves now; its answer is not awaited here (a superior that is gone would hold us for Timer F).
      if (dialog && !remoteBye) this.byeDone = this.deps.bye(dialog);
      await this.release();
      this.state = 'closed';
    })();
    return this.closing;
  }

  private async release(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    this.sender?.close();
    this.releasePort?.();
    this.releasePort = undefined;
    const r = this.releaseStream;
    this.releaseStream = undefined;
    await r?.().catch((e: Error) => this.deps.log('warn', `upward ${this.callId}: releasing stream ${this.stream?.streamId} failed: ${e.message}`));
  }

  toDto(): UpwardSessionDto {
    const st = this.sender?.stats;
    return {
      callId: this.callId, platformId: this.platformId, channelId: this.channelId, deviceId: this.deviceId, streamId: this.stream?.streamId ?? null,
      sessionName: this.offer.sessionName, transport: this.offer.transport,
      remote: st?.peer ?? (this.offer.transport === 'tcp-active' ? null : `${this.offer.host}:${this.offer.port}`),
      localPort: this.sender?.port ?? 0, ssrc: this.ssrc, state: this.state, since: new Date(this.createdAt).toISOString(),
      connected: st?.connected ?? false, packetsSent: st?.packetsSent ?? 0, bytesSent: st?.bytesSent ?? 0, framesDropped: st?.framesDropped ?? 0,
      overflows: st?.overflows ?? 0, closeReason: this.closeReason,
    };
  }
}

/**
 * The SIP answer to a superior's INVITE that could not be served (the SIP edge of the error catalogue): the status,
 * and the text for a Warning header.
 */
export function sipStatusOfUpwardFailure(e: unknown): { status: number; text: string } {
  if (!(e instanceof GatewayError)) return { status: 500, text: (e as Error)?.message ?? String(e) };
  const text = `${e.code}: ${e.message}`;
  switch (e.code) {
    case 'CHANNEL_NOT_FOUND':
    case 'DEVICE_NOT_FOUND':
    case 'NOT_FOUND':
      return { status: 404, text };
    case 'DEVICE_OFFLINE':
      return { status: 480, text };
    case 'DEVICE_REFUSED': {
      // The camera's own refusal, relayed when it is one a superior can act on (not its auth challenges).
      const s = e.details?.sipStatus;
      return { status: typeof s === 'number' && s >= 400 && s < 700 && s !== 401 && s !== 407 ? s : 502, text };
    }
    case 'DEVICE_NO_ANSWER':
    case 'MEDIA_NO_RTP':
    case 'MEDIA_NO_KEYFRAME':
    case 'DEVICE_TIMEOUT':
      return { status: 504, text };
    case 'DEVICE_BAD_SDP':
    case 'MEDIA_CONNECT_FAILED':
    case 'MEDIA_WRONG_SSRC':
    case 'MEDIA_REMUX_FAILED':
      return { status: 502, text };
    case 'PORTS_EXHAUSTED':
    case 'NODE_UNAVAILABLE':
      return { status: 503, text };
    case 'VALIDATION_FAILED':
      return { status: 400, text };
    default:
      return { status: 500, text };
  }
}
