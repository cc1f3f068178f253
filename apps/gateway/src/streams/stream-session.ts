import { EventEmitter } from 'node:events';
import { StreamFailure, isGb28181Error, parseSdp, ssrcToNumber, type SessionDescription } from '@gb/gb28181';
import type { StreamKind, StreamState, StreamTransport } from '@gb/contracts';
import { GatewayError, type GatewayErrorCode } from '../common/gateway-error';
import type { MediaSession } from '../media/media-session';

/**
 * The signalling half of a stream, as the session sees it: an INVITE that can be abandoned and, once answered,
 * a dialog that can be hung up or carry INFO. The streams service implements it with the protocol library's
 * InviteClientUsage and Dialog; the session decides when, never how (no SIP here).
 */
export interface StreamSignalling {
  /** Sends the INVITE with `sdp`. `answer` resolves on the first 2xx or rejects with a StreamFailure. */
  invite(sdp: string): StreamInvite;
}

export interface StreamInvite {
  readonly callId: string;
  readonly answer: Promise<StreamDialog & { sdp: string }>;
  /**
   * Gives up: CANCEL after a provisional (or when one arrives); any 2xx that still comes is ACKed and BYEd by the
   * usage, and `answer` then never resolves with a dialog. A dialog `answer` already resolved with is the caller's.
   */
  abandon(): void;
}

export interface StreamDialog {
  readonly callId: string;
  /** BYE inside the dialog. Never throws: a device that is gone just does not answer. */
  bye(): Promise<void>;
  /** INFO inside the dialog (MANSRTSP). Resolves with the device's final status. */
  info(body: Buffer, contentType: string): Promise<{ status: number; reason: string }>;
}

/** The clock and timers a session uses: real in the service, virtual in tests. */
export interface SessionScheduler {
  now(): number;
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

/** A bound receiver: the media session on its port, and how to give the port back. */
export interface BoundMedia {
  media: MediaSession;
  port: number;
  /** Returns the port (and the SSRC) to their pools. Called exactly once, by the session's teardown. */
  release(): void;
}

export interface StreamSessionOptions {
  streamId: string;
  deviceId: string;
  channelId: string;
  kind: StreamKind;
  transport: StreamTransport;
  /** The 10-digit SSRC offered in y= (GB/T 28181 Annex F). */
  ssrc: string;
  /** The address put in the offer (c=). */
  mediaIp: string;
  /** Binds the receiver (retrying other ports); throws PORTS_EXHAUSTED when none is left. */
  bindMedia(): Promise<BoundMedia>;
  buildOffer(port: number): string;
  signalling: StreamSignalling;
  scheduler: SessionScheduler;
  /** No RTP / no keyframe within this bound after the answer: the stream fails with MEDIA_NO_RTP / MEDIA_NO_KEYFRAME / MEDIA_WRONG_SSRC. */
  noMediaTimeoutMs: number;
  log?: (level: 'log' | 'warn', message: string) => void;
}

/** Why a session ended: a failure (code from the catalogue) or an orderly close. */
export type CloseReason =
  | { kind: 'failed'; code: GatewayErrorCode; message: string; sipStatus?: number }
  | { kind: 'closed'; why: 'stopped' | 'idle' | 'device-bye' | 'device-gone' | 'ended' | 'shutdown'; message: string };

/**
 * One stream: INVITE -> answer -> media -> playing, and one teardown.
 *
 *   inviting --2xx--> answered --SDP ok--> waiting-media --first RTP--> receiving --keyframe--> playing
 *       \                  \                     \                           \                      \
 *        +------------------+---------------------+---------------------------+----------------------+--> closing -> closed | failed
 *
 * `close()` is idempotent and releases, exactly once and in this order: the signalling (CANCEL of a pending INVITE,
 * or BYE of an established dialog unless the device hung up), the timers, the media (receiver socket, muxers,
 * ffmpeg children, FLV viewers) and the port and SSRC. (mediasoup's close cascade: the parent closes its children.)
 */
export class StreamSession extends EventEmitter<{ state: [StreamState]; closed: [CloseReason] }> {
  readonly streamId: string;
  readonly deviceId: string;
  readonly channelId: string;
  readonly kind: StreamKind;
  readonly transport: StreamTransport;
  readonly createdAt: number;
  ssrc: string;
  /** The SSRC we offered (the device may answer another one). */
  readonly offeredSsrc: string;
  port = 0;
  offered: string;
  private stateValue: StreamState = 'inviting';
  /** The failure (or null): code from the catalogue and a sentence for people. */
  errorCode: GatewayErrorCode | null = null;
  error: string | null = null;
  sipStatus?: number;
  closeReason: CloseReason | null = null;
  lastViewAt: number;
  /** Open FLV connections. */
  flvViewers = 0;
  /** Open WebRTC (WHEP) peer connections (webrtc/webrtc.service.ts). */
  webrtcViewers = 0;
  /** Holds by consumers that are no HTTP viewer (an upward send to a superior platform, docs/cascade.md). */
  private readonly holds = new Set<symbol>();
  paused?: boolean;
  scale?: number;
  /** Live: main stream or substream (GB/T 28181-2022 streamnumber 0 / 1). */
  stream: 'main' | 'sub' = 'main';
  /** Playback/download: unix seconds of the range. */
  startTime?: number;
  endTime?: number;
  /** The device said the recording ended (MediaStatus 121). */
  ended?: boolean;
  /** Called once the stream is closed, whatever the cause (downloads use it). */
  onClosed?: () => void;
  /** MANSRTSP CSeq inside the dialog. */
  rtspCseq = 0;
  /** Resolves when playing; rejects with the failure. Never left pending: close() settles it. */
  readonly ready: Promise<void>;
  private bound?: BoundMedia;
  /** Kept after close for the figures (downloads read mediaSeconds of a closed stream). */
  private mediaRef?: MediaSession;
  private invite?: StreamInvite;
  dialog?: StreamDialog;
  /** The device sent BYE: the dialog is over, no BYE back. */
  private remoteHungUp = false;
  private readonly timers = new Set<unknown>();
  private settleReady!: { resolve: () => void; reject: (e: Error) => void };
  private closing?: Promise<void>;
  private signalClosing!: () => void;
  /** Resolves (with undefined) when close() is called: ends the waits in run() for the answer and the keyframe. */
  private readonly closingSignal = new Promise<undefined>((resolve) => (this.signalClosing = () => resolve(undefined)));

  constructor(private readonly o: StreamSessionOptions) {
    super();
    this.streamId = o.streamId;
    this.deviceId = o.deviceId;
    this.channelId = o.channelId;
    this.kind = o.kind;
    this.transport = o.transport;
    this.ssrc = this.offeredSsrc = o.ssrc;
    this.createdAt = this.lastViewAt = o.scheduler.now();
    this.offered = `${o.mediaIp}:? (${o.transport})`;
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = { resolve, reject }));
    this.ready.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
  }

  get state(): StreamState {
    return this.stateValue;
  }

  /** The media session once bound (undefined before the port is bound). */
  get mediaSession(): MediaSession | undefined {
    return this.mediaRef;
  }

  /** The media session; defined once `ready` resolved (open() returns only then). */
  get media(): MediaSession {
    if (!this.mediaRef) throw new GatewayError('STREAM_NOT_FOUND', `stream ${this.streamId} has no media yet`);
    return this.mediaRef;
  }

  /** The Call-ID of the stream's INVITE (and dialog once answered); null before the INVITE was sent. */
  get callId(): string | null {
    return this.dialog?.callId ?? this.invite?.callId ?? null;
  }

  get isOpen(): boolean {
    return this.closing === undefined;
  }

  /** Runs the session to `playing`; on any failure the session closes itself with the failure's code. */
  async start(): Promise<void> {
    try {
      await this.run();
    } catch (e) {
      await this.close(failureOf(e));
    }
    return this.ready;
  }

  private async run(): Promise<void> {
    const bound = await this.o.bindMedia();
    if (!this.isOpen) {
      // Closed while binding: the teardown already ran without this media; release it here, once.
      await bound.media.close();
      bound.release();
      return;
    }
    this.bound = bound;
    this.mediaRef = bound.media;
    this.port = bound.port;
    this.offered = `${this.o.mediaIp}:${bound.port} (${this.transport})`;
    const media = bound.media;
    media.on('failed', (e) => void this.close(failureOf(e)));

    this.invite = this.o.signalling.invite(this.o.buildOffer(bound.port));
    // A close() while inviting ends the wait (the usage CANCELs, and ACK+BYEs a 2xx that still comes).
    const answer = await Promise.race([this.invite.answer, this.closingSignal]);
    if (!answer || !this.isOpen) return;
    this.dialog = answer;
    this.setState('answered');
    this.applyAnswer(answer.sdp);
    this.setState('waiting-media');
    media.receiver.once('packet', () => {
      if (this.stateValue === 'waiting-media') this.setState('receiving');
    });
    this.timer(this.o.noMediaTimeoutMs, () => {
      if (this.stateValue === 'waiting-media' || this.stateValue === 'receiving') void this.close(this.noMediaFailure());
    });
    // The first keyframe, or a close() (which settles `ready` itself), ends the wait.
    const keyframe = new Promise<true>((resolve) => media.once('ready', () => resolve(true)));
    if (!(await Promise.race([keyframe, this.closingSignal])) || !this.isOpen) return;
    this.lastViewAt = this.o.scheduler.now();
    this.clearTimers(); // the no-media bound is met
    this.setState('playing');
    this.o.log?.('log', `${this.streamId} playing (${this.transport}, ssrc ${this.ssrc})`);
    this.settleReady.resolve();
  }

  /** The device's answer (RFC 3264 / GB/T 28181 Annex F): SSRC, and for TCP active the address to connect to. */
  private applyAnswer(sdp: string): void {
    let answer: SessionDescription;
    try {
      answer = parseSdp(sdp);
    } catch (e) {
      throw new StreamFailure('DEVICE_BAD_SDP', `device ${this.deviceId} answered the INVITE for ${this.channelId} with an unreadable SDP: ${(e as Error).message}`);
    }
    const m = answer.media.find((x) => x.type === 'video') ?? answer.media[0];
    if (!m) throw new StreamFailure('DEVICE_BAD_SDP', `device ${this.deviceId} answered the INVITE for ${this.channelId} without a media line`);
    // y= is a 10-digit decimal SSRC (GB/T 28181-2016 Annex F). Anything else is a device bug: keep ours and say so.
    if (answer.ssrc !== undefined && answer.ssrc !== this.ssrc) {
      if (/^\d{10}$/.test(answer.ssrc)) {
        this.o.log?.('log', `${this.streamId}: device answered y=${answer.ssrc} instead of ${this.ssrc}; adopting it`);
        this.ssrc = answer.ssrc;
        this.bound!.media.receiver.setSsrc(ssrcToNumber(answer.ssrc));
      } else {
        this.o.log?.('warn', `${this.streamId}: device answered y=${answer.ssrc} (not 10 digits); keeping ours, ${this.ssrc}`);
      }
    }
    if (this.transport === 'tcp-active') {
      // We connect to the device: its address and port are needed, so port 0 (RFC 3264 §6: stream refused) is fatal.
      const host = m.connection?.address ?? answer.connection?.address;
      if (!host || !m.port) {
        throw new StreamFailure('DEVICE_BAD_SDP', `device ${this.deviceId} answered TCP active without an address and port to connect to (c=${host ?? '-'}, m=${m.type} ${m.port})`);
      }
      this.bound!.media.receiver.connect(host, m.port);
    } else if (!m.port) {
      // UDP / TCP passive: the device sends to us, its port is not used; some devices answer 0. Tolerated.
      this.o.log?.('log', `${this.streamId}: device answered m=${m.type} 0; its port is not needed for ${this.transport}, playing anyway`);
    }
  }

  private noMediaFailure(): CloseReason {
    const st = this.mediaRef?.receiver.stats;
    const ms = this.o.noMediaTimeoutMs;
    if (st && st.packets > 0) {
      return { kind: 'failed', code: 'MEDIA_NO_KEYFRAME', message: `RTP arrived (${st.packets} packets from ${st.source}) but no decodable video keyframe within ${ms} ms` };
    }
    if (st && (st.wrongSsrc > 0 || st.garbage > 0)) {
      return {
        kind: 'failed', code: 'MEDIA_WRONG_SSRC',
        message: `packets arrived at ${this.offered} within ${ms} ms but none matched: ${st.wrongSsrc} with another SSRC than ${this.ssrc}, ${st.garbage} not RTP`,
      };
    }
    return { kind: 'failed', code: 'MEDIA_NO_RTP', message: `no media within ${ms} ms: no packet at all arrived at ${this.offered}: check that the device can reach this address (MEDIA_IP) and that the port is open` };
  }

  /**
   * Keeps the stream open for a consumer that fetches nothing over HTTP (an upward send to a superior): while any hold
   * is taken, the idle sweep leaves the stream alone. Returns the release (idempotent); releasing the last hold leaves
   * the stream to the sweep, which closes it once no viewer was seen for STREAM_IDLE_TIMEOUT_MS.
   */
  hold(): () => void {
    const h = Symbol('hold');
    this.holds.add(h);
    return () => void this.holds.delete(h);
  }

  /** Holds taken now (see hold()). */
  get holders(): number {
    return this.holds.size;
  }

  /** The device hung up (BYE): close without sending BYE back. */
  remoteBye(): Promise<void> {
    this.remoteHungUp = true;
    return this.close({ kind: 'closed', why: 'device-bye', message: 'the device sent BYE' });
  }

  /** In-dialog INFO (MANSRTSP playback control). */
  async info(body: Buffer, contentType: string): Promise<{ status: number; reason: string }> {
    if (!this.dialog || !this.isOpen) throw new GatewayError('CONFLICT', `stream ${this.streamId} has no established dialog`);
    return this.dialog.info(body, contentType);
  }

  /**
   * The one teardown path. Idempotent: a second call returns the first call's promise. Releases each resource once.
   */
  close(reason: CloseReason = { kind: 'closed', why: 'stopped', message: 'stopped' }): Promise<void> {
    if (this.closing) return this.closing;
    this.closeReason = reason;
    if (reason.kind === 'failed') {
      this.errorCode = reason.code;
      this.error = reason.message;
      this.sipStatus = reason.sipStatus;
      this.o.log?.('warn', `${this.streamId} failed (${reason.code}): ${reason.message}`);
    }
    this.setState('closing');
    this.signalClosing();
    this.closing = this.teardown(reason);
    return this.closing;
  }

  private async teardown(reason: CloseReason): Promise<void> {
    const err = reason.kind === 'failed' ? new GatewayError(reason.code, reason.message, { offered: this.offered, ...(reason.sipStatus ? { sipStatus: reason.sipStatus } : {}) }) : new GatewayError('STREAM_NOT_FOUND', `stream ${this.streamId} was closed before it started (${reason.message})`);
    this.settleReady.reject(err); // no-op once playing
    this.clearTimers();
    // Signalling first, so the device stops sending before the port goes back to the pool.
    if (this.dialog) {
      // The BYE leaves now; its answer is not awaited (a device that is gone would hold the teardown for Timer F, 32 s).
      if (!this.remoteHungUp) void this.dialog.bye().catch(() => undefined);
    } else if (this.invite) {
      // Contract with the usage: abandon() ACK+BYEs any 2xx not yet delivered; a 2xx already delivered to `answer`
      // (it raced this close) is ours to hang up.
      this.invite.abandon();
      void this.invite.answer.then((d) => d.bye(), () => undefined);
    }
    const media = this.bound;
    this.bound = undefined;
    if (media) {
      await media.media.close().catch(() => undefined);
      media.release();
    }
    this.stateValue = reason.kind === 'failed' ? 'failed' : 'closed';
    this.emit('state', this.stateValue);
    try {
      this.onClosed?.();
    } catch {
      /* a listener's failure is its own */
    }
    this.emit('closed', reason);
  }

  private setState(s: StreamState): void {
    if (this.stateValue === s || this.stateValue === 'closed' || this.stateValue === 'failed') return;
    if (this.closing && s !== 'closing') return;
    this.stateValue = s;
    this.emit('state', s);
  }

  private clearTimers(): void {
    for (const t of this.timers) this.o.scheduler.clearTimer(t);
    this.timers.clear();
  }

  private timer(ms: number, fn: () => void): void {
    const h = this.o.scheduler.setTimer(ms, () => {
      this.timers.delete(h);
      fn();
    });
    this.timers.add(h);
  }
}

/** Any error to a failure reason with a catalogue code. */
export function failureOf(e: unknown): CloseReason {
  if (e instanceof StreamFailure) return { kind: 'failed', code: e.code, message: e.message, sipStatus: e.sipStatus };
  if (e instanceof GatewayError) {
    const s = e.details?.sipStatus;
    return { kind: 'failed', code: e.code, message: e.message, sipStatus: typeof s === 'number' ? s : undefined };
  }
  if (isGb28181Error(e)) return { kind: 'failed', code: 'INTERNAL', message: `${e.code}: ${e.message}` };
  return { kind: 'failed', code: 'INTERNAL', message: (e as Error)?.message ?? String(e) };
}
