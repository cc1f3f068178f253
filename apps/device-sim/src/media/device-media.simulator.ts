import { EventEmitter } from 'node:events';
import { buildGbAnswer, encodeMediaStatusNotify, offeredStreamNumber, parseSdp, type SessionDescription } from '@gb/gb28181';
import type { InviteAnswer, InviteContext, InviteHook } from './invite-hook';
import type { MediaSourceOptions } from './media-source';
import { parseMansrtsp, type MansrtspRequest } from './mansrtsp.parser';
import type { PsRtpSenderTransport } from './ps-rtp.sender';
import { SimMediaSession, type SimSessionKind } from './sim-media.session';

/** What the simulated camera sends and how badly. Every field is optional; defaults make a clean 640x360 H.264 25 fps stream. */
export interface DeviceMediaOptions extends Omit<MediaSourceOptions, 'offsetS' | 'durationS' | 'overlayEpochS' | 'loop'> {
  /** Fraction of RTP packets dropped (seeded). */
  loss?: number;
  /** Fraction of RTP packets swapped with the next one (seeded). */
  reorder?: number;
  /** Seed for loss/reorder. Default 1. */
  seed?: number;
  /** Answer the offered y= but send RTP with another SSRC. */
  wrongSsrc?: boolean;
  /** Answer 200 but never send RTP. */
  noRtp?: boolean;
  /** Send the audio without naming it in the PSM (a camera that does not declare its audio). */
  audioUndeclared?: boolean;
  /** The camera's PTS at the first frame (90 kHz, 33 bits); e.g. 2^33 − 5 s for a clock that wraps 5 s in. Default 0. */
  startPts90k?: number;
}

export interface SimInviteEvent {
  callId: string;
  channelId: string;
  sessionName: SimSessionKind;
  transport: PsRtpSenderTransport;
  /** Offered y= (the SSRC the answer carries). */
  ssrc: string;
  /** t= range for Playback/Download, unix seconds. */
  range?: { start: number; end: number };
  downloadSpeed?: number;
  /** Play: the stream asked for (0 main, 1.. sub; 0 when the offer names none). */
  streamNumber: number;
  offer: string;
}

export interface SimInfoEvent {
  callId: string;
  body: string;
  request: MansrtspRequest | null;
  status: number;
}

export interface DeviceMediaStats {
  invites: number;
  byes: number;
  /** INVITEs answered 200 per s= name. */
  sessions: Record<SimSessionKind, number>;
  /** Dialogs open now. */
  active: number;
  /** Every INFO body received, in order (MANSRTSP). */
  infos: SimInfoEvent[];
  mediaStatusSent: number;
  packetsSent: number;
  packetsDropped: number;
  packetsReordered: number;
}

export interface DeviceMediaEvents {
  invite: [SimInviteEvent];
  ack: [{ callId: string }];
  bye: [{ callId: string }];
  info: [SimInfoEvent];
  mediaStatus: [{ callId: string; status: number }];
  error: [Error];
}

/** The SSRC sent with --wrong-ssrc: the answered one with its low bits flipped (never equal to it). */
export function wrongSsrcFor(ssrc: number): number {
  return (ssrc ^ 0x00005a5a) >>> 0;
}

/**
 * The simulated camera's media side, as an InviteHook: answers s=Play (live), s=Playback (t= range,
 * timestamp overlay, MANSRTSP pause/resume/seek/speed over INFO, MediaStatus 121 when the range was sent)
 * and s=Download (a=downloadspeed: faster than real time); over UDP, TCP with the device connecting
 * (offer a=setup:passive) or TCP with the device listening (offer a=setup:active). Counts everything it saw.
 */
export class DeviceMediaSimulator extends EventEmitter<DeviceMediaEvents> {
  private readonly sessions = new Map<string, SimMediaSession>();
  private readonly finished = { packetsSent: 0, packetsDropped: 0, packetsReordered: 0 };
  private readonly counts = { invites: 0, byes: 0, mediaStatusSent: 0 };
  private readonly perKind: Record<SimSessionKind, number> = { Play: 0, Playback: 0, Download: 0 };
  private readonly infos: SimInfoEvent[] = [];

  constructor(readonly options: DeviceMediaOptions = {}) {
    super();
  }

  /** Pass this to SimulatedDevice / DeviceFleet as `onInvite`. */
  readonly hook: InviteHook = (ctx) => this.onInvite(ctx);

  get stats(): DeviceMediaStats {
    const live = [...this.sessions.values()].map((s) => s.stats);
    const sum = (k: 'packetsSent' | 'packetsDropped' | 'packetsReordered') => this.finished[k] + live.reduce((a, s) => a + s[k], 0);
    return {
      ...this.counts, sessions: { ...this.perKind }, active: this.sessions.size, infos: [...this.infos],
      packetsSent: sum('packetsSent'), packetsDropped: sum('packetsDropped'), packetsReordered: sum('packetsReordered'),
    };
  }

  /** The session of a dialog (tests read its position, pause state and speed). */
  session(callId: string): SimMediaSession | undefined {
    return this.sessions.get(callId);
  }

  /** Stops every session (idempotent per session). */
  close(): void {
    for (const callId of [...this.sessions.keys()]) this.end(callId);
  }

  private async onInvite(ctx: InviteContext): Promise<InviteAnswer> {
    this.counts.invites++;
    let offer: SessionDescription;
    try {
      offer = parseSdp(ctx.offer);
    } catch {
      return { status: 400, reason: 'Bad SDP' };
    }
    const m = offer.media.find((x) => x.type === 'video') ?? offer.media[0];
    const address = m?.connection?.address ?? offer.connection?.address;
    const kind = offer.sessionName as SimSessionKind;
    if (!m || !address || !['Play', 'Playback', 'Download'].includes(kind)) return { status: 488, reason: 'Not Acceptable Here' };
    const transport: PsRtpSenderTransport = !/^TCP\//i.test(m.protocol) ? 'udp' : m.setup === 'active' ? 'tcp-listen' : 'tcp';
    const ssrcText = offer.ssrc ?? '0';
    const ssrc = Number(ssrcText) >>> 0;
    const callId = ctx.req.headers.get('Call-ID') ?? '';
    const range = kind === 'Play' ? undefined : { start: offer.timing.start, end: offer.timing.stop };
    const downloadSpeed = kind === 'Download' ? Math.max(1, m.downloadSpeed ?? 1) : undefined;
    const o = this.options;
    // A substream (streamnumber / stream / streamprofile 1.., streamMode SUB) comes at half the size, as a camera's
    // second encoder (its default size halved, even numbers; a file source without a set size is scaled to 320x180).
    const streamNumber = kind === 'Play' ? (offeredStreamNumber(m) ?? 0) : 0;
    const size = streamNumber > 0 ? { width: halfEven(o.width ?? SIM_DEFAULT_WIDTH), height: halfEven(o.height ?? SIM_DEFAULT_HEIGHT) } : { width: o.width, height: o.height };
    const session = new SimMediaSession({
      kind,
      source: { codec: o.codec, audio: o.audio, audioDelayS: o.audioDelayS, file: o.file, width: size.width, height: size.height, fps: o.fps, gop: o.gop },
      sender: {
        transport, remoteHost: address, remotePort: m.port, localHost: ctx.localHost, ssrc: o.wrongSsrc ? wrongSsrcFor(ssrc) : ssrc,
        video: o.codec, audio: o.audio, declareAudio: !o.audioUndeclared, impairment: { loss: o.loss, reorder: o.reorder, seed: o.seed }, startPts90k: o.startPts90k,
      },
      rangeStart: range?.start, rangeEnd: range?.end, scale: downloadSpeed, noRtp: o.noRtp,
      onEnd: () => void this.sendMediaStatus(ctx, callId),
      onError: (e) => this.safeError(new Error(`media ${callId}: ${e.message}`)),
    });
    let port: number;
    try {
      port = await session.bind();
    } catch (e) {
      session.stop();
      this.safeError(e as Error);
      return { status: 500 };
    }
    const sdp = buildGbAnswer({ offer, deviceId: ctx.channelId, ip: ctx.localHost, port: port || 9, ssrc: ssrcText });
    this.sessions.set(callId, session);
    this.perKind[kind]++;
    this.safeEmit('invite', { callId, channelId: ctx.channelId, sessionName: kind, transport, ssrc: ssrcText, range, downloadSpeed, streamNumber, offer: ctx.offer });
    return {
      status: 200,
      sdp,
      onAck: () => {
        this.safeEmit('ack', { callId });
        void session.start();
      },
      onBye: () => {
        if (!this.sessions.has(callId)) return;
        this.counts.byes++;
        this.end(callId);
        this.safeEmit('bye', { callId });
      },
      onInfo: (body) => this.onInfo(callId, session, body),
    };
  }

  private onInfo(callId: string, session: SimMediaSession, body: string): number {
    let request: MansrtspRequest | null = null;
    let status: number;
    try {
      request = parseMansrtsp(body);
      status = session.control(request);
    } catch {
      status = 400;
    }
    const ev = { callId, body, request, status };
    this.infos.push(ev);
    this.safeEmit('info', ev);
    return status;
  }

  /** MediaStatus NotifyType 121 (§9.7.4 / A.2.5): the recording ended. */
  private async sendMediaStatus(ctx: InviteContext, callId: string): Promise<void> {
    if (!ctx.sendMessage || !ctx.nextSn) return this.safeError(new Error('the device gave no way to send MESSAGE: MediaStatus not sent'));
    try {
      const status = await ctx.sendMessage(encodeMediaStatusNotify(ctx.nextSn(), ctx.channelId, '121'));
      this.counts.mediaStatusSent++;
      this.safeEmit('mediaStatus', { callId, status });
    } catch (e) {
      this.safeError(e as Error);
    }
  }

  private end(callId: string): void {
    const s = this.sessions.get(callId);
    if (!s) return;
    this.sessions.delete(callId);
    const st = s.stats;
    this.finished.packetsSent += st.packetsSent;
    this.finished.packetsDropped += st.packetsDropped;
    this.finished.packetsReordered += st.packetsReordered;
    s.stop();
  }

  private safeError(e: Error): void {
    if (this.listenerCount('error') > 0) this.safeEmit('error', e);
  }

  private safeEmit<K extends keyof DeviceMediaEvents>(event: K, ...args: DeviceMediaEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: DeviceMediaEvents[K]) => boolean)(event, ...args);
    } catch {
      // a throwing listener must not break the media
    }
  }
}

/** The test pattern's size when none is set (media-source.ts). */
export const SIM_DEFAULT_WIDTH = 640;
export const SIM_DEFAULT_HEIGHT = 360;

function halfEven(n: number): number {
  return Math.max(2, Math.floor(n / 4) * 2);
}
