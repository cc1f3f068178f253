import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { VoiceRtpDecoder, VoiceRtpEncoder, type VoiceMedia } from '@gb/gb28181';
import type { VoiceMediaLink } from './voice-media-link';

/** Largest PCM frame the page may send: 120 ms of 8 kHz 16-bit mono (the page sends 20 ms, 320 bytes). */
export const VOICE_MAX_FRAME_BYTES = 1920;
/** PCM the page may send per second, averaged over VOICE_RATE_WINDOW_MS: twice real time (16,000 B/s); more is dropped. */
export const VOICE_MAX_BYTES_PER_S = 32_000;
const VOICE_RATE_WINDOW_MS = 1_000;
/** A session with no audio either way for this long ends (BYE to the device, the WebSocket closed). */
export const VOICE_IDLE_TIMEOUT_MS = 30_000;
/** A session whose page has not opened its WebSocket this long after the device answered ends. */
export const VOICE_WS_CONNECT_TIMEOUT_MS = 15_000;
/** The page's WebSocket buffers more than this (a stalled tab): the device's audio to it is dropped until it drains. */
export const VOICE_WS_MAX_BACKLOG_BYTES = 64 * 1024;

/** WebSocket close codes (RFC 6455 §7.4.2: 4000–4999 private; the last three digits follow HTTP's). */
export const VOICE_WS_CLOSE = {
  ENDED: 1000,
  SHUTDOWN: 1001,
  BAD_FRAME: 4400,
  UNAUTHORIZED: 4401,
  NOT_FOUND: 4404,
  IDLE: 4408,
  ALREADY_CONNECTED: 4409,
} as const;

export type VoiceMode = 'broadcast' | 'talk';
export type VoiceState = 'starting' | 'open' | 'closed';

export interface VoiceSessionDto {
  id: string;
  deviceId: string;
  channelId: string;
  mode: VoiceMode;
  state: VoiceState;
  /** PCMA / PCMU / PS (PS carries G.711 of `law`). */
  payload?: string;
  law?: string;
  transport?: string;
  /** Where the device receives. */
  peer?: string;
  createdAt: string;
  framesFromPage: number;
  packetsToDevice: number;
  packetsFromDevice: number;
  droppedFrames: number;
  pageConnected: boolean;
  closeReason?: string;
}

/**
 * One voice session with a device (broadcast: we send; talk: both ways): the page's WebSocket (8 kHz mono s16le PCM
 * frames in, the device's audio out as the same PCM), the G.711 RTP encoder and decoder, the media link, and the SIP
 * dialog's BYE. close(reason) is idempotent: the WebSocket ends with the reason, the link closes, BYE goes out unless
 * the device ended it.
 */
export class VoiceSession {
  readonly id = randomBytes(12).toString('hex');
  readonly createdAt = new Date();
  state: VoiceState = 'starting';
  closeReason?: string;
  peer?: VoiceMedia;
  onClose?: (s: VoiceSession) => void;
  /** Sends BYE in the session's dialog (set once the dialog exists). */
  bye?: () => Promise<void>;
  readonly stats = { framesFromPage: 0, packetsToDevice: 0, packetsFromDevice: 0, droppedFrames: 0 };
  private link?: VoiceMediaLink;
  private encoder?: VoiceRtpEncoder;
  private decoder?: VoiceRtpDecoder;
  private ws?: WebSocket;
  private lastActivity = Date.now();
  private idleTimer?: NodeJS.Timeout;
  private wsTimer?: NodeJS.Timeout;
  private windowStart = 0;
  private windowBytes = 0;
  private byeSent?: Promise<void>;

  constructor(
    readonly deviceId: string,
    readonly channelId: string,
    readonly mode: VoiceMode,
    private readonly ssrc: number,
  ) {}

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  /** The device's audio section is known and the link bound: audio can flow. */
  open(peer: VoiceMedia, link: VoiceMediaLink): void {
    if (this.state === 'closed') {
      link.close();
      return;
    }
    this.peer = peer;
    this.link = link;
    // y= of the device's SDP is the SSRC it expects (GB/T 28181 Annex F); our own otherwise
    const ssrc = peer.ssrc && /^\d{1,10}$/.test(peer.ssrc) && Number(peer.ssrc) < 2 ** 32 ? Number(peer.ssrc) : this.ssrc;
    this.encoder = new VoiceRtpEncoder(peer.payload, peer.law, ssrc, peer.payloadType, randomBytes(2).readUInt16BE(0));
    this.decoder = new VoiceRtpDecoder(peer.payload, peer.law, peer.payloadType);
    link.onRtp = (p) => this.fromDevice(p);
    link.onClosed = (why) => void this.close(why);
    this.state = 'open';
    this.lastActivity = Date.now();
    this.idleTimer = setInterval(() => {
      if (Date.now() - this.lastActivity > VOICE_IDLE_TIMEOUT_MS) void this.close(`no audio either way for ${VOICE_IDLE_TIMEOUT_MS / 1000} s`, VOICE_WS_CLOSE.IDLE);
    }, 1_000);
    this.idleTimer.unref();
    if (!this.ws) {
      this.wsTimer = setTimeout(() => void this.close(`the page did not open the voice WebSocket within ${VOICE_WS_CONNECT_TIMEOUT_MS / 1000} s`), VOICE_WS_CONNECT_TIMEOUT_MS);
      this.wsTimer.unref();
    }
  }

  /** The page's WebSocket; refused (closed with a code) when one is already attached or the session is over. */
  attach(ws: WebSocket): void {
    if (this.state === 'closed') return ws.close(VOICE_WS_CLOSE.NOT_FOUND, this.closeReason?.slice(0, 120) ?? 'session ended');
    if (this.ws) return ws.close(VOICE_WS_CLOSE.ALREADY_CONNECTED, 'this voice session already has a page connected');
    clearTimeout(this.wsTimer);
    this.ws = ws;
    this.lastActivity = Date.now();
    ws.send(JSON.stringify({ type: 'ready', mode: this.mode, sampleRate: 8000, payload: this.peer?.payload, law: this.peer?.law }));
    ws.on('message', (data, isBinary) => this.fromPage(data as Buffer, isBinary));
    ws.on('close', () => {
      if (this.ws === ws) void this.close('the page closed the voice WebSocket');
    });
  }

  private fromPage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) return; // text frames (a page's keepalive) carry nothing
    if (data.length === 0 || data.length % 2 !== 0 || data.length > VOICE_MAX_FRAME_BYTES) {
      void this.close(`a voice frame of ${data.length} bytes: frames are 16-bit PCM of 2..${VOICE_MAX_FRAME_BYTES} bytes`, VOICE_WS_CLOSE.BAD_FRAME);
      return;
    }
    const now = Date.now();
    if (now - this.windowStart >= VOICE_RATE_WINDOW_MS) {
      this.windowStart = now;
      this.windowBytes = 0;
    }
    if (this.windowBytes + data.length > VOICE_MAX_BYTES_PER_S) {
      this.stats.droppedFrames++;
      return;
    }
    this.windowBytes += data.length;
    this.stats.framesFromPage++;
    this.lastActivity = now;
    if (!this.encoder || !this.link) return;
    const pcm = new Int16Array(data.length / 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = data.readInt16LE(i * 2);
    for (const p of this.encoder.push(pcm)) {
      this.link.send(p);
      this.stats.packetsToDevice++;
    }
  }

  private fromDevice(packet: Buffer): void {
    if (!this.decoder) return;
    const frames = this.decoder.push(packet);
    this.stats.packetsFromDevice = this.decoder.stats.packets;
    if (!frames.length) return;
    this.lastActivity = Date.now();
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > VOICE_WS_MAX_BACKLOG_BYTES) return;
    for (const f of frames) ws.send(Buffer.from(f.buffer, f.byteOffset, f.byteLength), { binary: true });
  }

  /** Ends the session; `byDevice`: the device sent BYE (none goes back). Idempotent; resolves when the BYE is answered. */
  close(reason: string, wsCode: number = VOICE_WS_CLOSE.ENDED, byDevice = false): Promise<void> {
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.closeReason = reason;
      clearInterval(this.idleTimer);
      clearTimeout(this.wsTimer);
      this.link?.close();
      const ws = this.ws;
      if (ws && ws.readyState <= WebSocket.OPEN) {
        try {
          ws.send(JSON.stringify({ type: 'ended', reason }));
        } catch {
          // the socket is going anyway
        }
        ws.close(wsCode, reason.slice(0, 120));
      }
      if (!byDevice && this.bye) this.byeSent = this.bye().catch(() => undefined);
      try {
        this.onClose?.(this);
      } catch {
        // the service's bookkeeping must not break teardown
      }
    }
    return this.byeSent ?? Promise.resolve();
  }

  toDto(): VoiceSessionDto {
    const p = this.peer;
    return {
      id: this.id, deviceId: this.deviceId, channelId: this.channelId, mode: this.mode, state: this.state,
      ...(p ? { payload: p.payload, law: p.law, transport: p.transport, peer: `${p.host}:${p.port}` } : {}),
      createdAt: this.createdAt.toISOString(), ...this.stats, pageConnected: !!this.ws && this.ws.readyState === WebSocket.OPEN,
      ...(this.closeReason ? { closeReason: this.closeReason } : {}),
    };
  }
}
