/** How long a WebRTC (WHEP) attempt may take to show a picture before the player gives up on it for FLV. */
export const WEBRTC_START_MS = 2000;
/** localStorage key that overrides WEBRTC_START_MS (500..30000 ms): e2e tests on a loaded machine give WebRTC longer. */
export const WEBRTC_WAIT_KEY = 'gbgw.webrtcWaitMs';

/** WEBRTC_START_MS, or the override in localStorage. */
export function webrtcStartMs(): number {
  let v = NaN;
  try {
    v = Number(globalThis.localStorage?.getItem(WEBRTC_WAIT_KEY) ?? NaN);
  } catch {
    /* no storage */
  }
  return Number.isInteger(v) && v >= 500 && v <= 30_000 ? v : WEBRTC_START_MS;
}

/** Why WebRTC was not used: the gateway's code (WEBRTC_LIMIT, WEBRTC_UNSUPPORTED_CODEC, …) or a plain reason. */
export class WhepError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

/** The <video> element of a WebRTC player carries its peer connection here (tests and debugging read getStats()). */
export interface WebRtcVideo extends HTMLVideoElement {
  __pc?: RTCPeerConnection;
}

/**
 * A WHEP viewer (draft-ietf-wish-whep): a recvonly video + audio offer POSTed to the stream's `urls.webrtc`, the
 * answer applied, the tracks on the <video>. `start()` resolves once the video plays (first decoded frame) within
 * `timeoutMs`, and rejects (closing everything) when the gateway refuses the offer (503 WEBRTC_LIMIT, 415 …), the
 * connection fails or nothing plays in time. After a start, `onFailed` reports a connection that dropped.
 * `close()` ends the WHEP session (DELETE of its Location) and the peer connection; safe to call twice.
 */
export class WhepClient {
  onFailed: ((why: string) => void) | null = null;
  private pc: RTCPeerConnection | null = null;
  private session: string | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly video: WebRtcVideo,
  ) {}

  async start(timeoutMs = WEBRTC_START_MS, signal?: AbortSignal): Promise<void> {
    if (typeof RTCPeerConnection === 'undefined') throw new WhepError('this browser has no WebRTC', 'NO_WEBRTC');
    const pc = new RTCPeerConnection();
    this.pc = pc;
    this.video.__pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const stream = new MediaStream();
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      if (this.video.srcObject !== stream) this.video.srcObject = stream;
      void this.video.play().catch(() => undefined);
    };
    let started = false;
    let fail: (e: WhepError) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined);
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      if (s !== 'failed' && s !== 'disconnected' && s !== 'closed') return;
      if (!started) fail(new WhepError(`connection ${s}`, 'WEBRTC_FAILED'));
      else if (!this.closed) this.onFailed?.(`connection ${s}`);
    };
    const playing = new Promise<void>((resolve) => this.video.addEventListener('playing', () => resolve(), { once: true }));
    let timer: number | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = window.setTimeout(() => reject(new WhepError(`no picture within ${timeoutMs} ms`, 'WEBRTC_TIMEOUT')), timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new DOMException('stopped', 'AbortError')), { once: true }));
    try {
      const negotiate = async () => {
        await pc.setLocalDescription(await pc.createOffer());
        const r = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription!.sdp, signal });
        if (r.status !== 201) {
          const b = (await r.json().catch(() => null)) as { code?: string; message?: string } | null;
          throw new WhepError(`refused: ${r.status} ${b?.code ?? ''} ${b?.message ?? ''}`.trim(), b?.code ?? `HTTP_${r.status}`, r.status);
        }
        const location = r.headers.get('location');
        this.session = location ? new URL(location, new URL(this.url, window.location.href)).toString() : null;
        if (this.closed && this.session) {
          void fetch(this.session, { method: 'DELETE', keepalive: true }).catch(() => undefined);
          this.session = null;
          return;
        }
        await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
        await playing;
      };
      await Promise.race([negotiate(), failed, timeout, aborted]);
      started = true;
    } catch (e) {
      this.close();
      throw e;
    } finally {
      window.clearTimeout(timer);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc?.close();
    this.pc = null;
    delete this.video.__pc;
    if (this.session) void fetch(this.session, { method: 'DELETE', keepalive: true }).catch(() => undefined);
    this.session = null;
    this.video.srcObject = null;
  }
}
