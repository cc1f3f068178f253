/** How a stream proxy gets its video: on-demand / always pull `url`; push takes an encoder's RTMP publish. */
export type ProxyMode = 'on-demand' | 'always' | 'push';
export type ProxyState = 'idle' | 'connecting' | 'live' | 'retrying' | 'failed';

/** A stream proxy as GET/POST/PATCH /api/proxies answer it (docs/decisions/stream-proxy.md). */
export interface ProxyDto {
  id: string;
  name: string;
  /** The source URL (secrets in its query masked); null in push mode. */
  url: string | null;
  mode: ProxyMode;
  /**
   * Push mode: where the encoder publishes, `rtmp://<RTMP_PUBLIC_HOST>:<RTMP_PORT>/live/<channelId>?key=<key>`. Only
   * admins see it (null for other roles, for pulls, and when RTMP_PORT is 0).
   */
  publishUrl: string | null;
  username: string | null;
  /** The password is write-only: only whether one is set. */
  hasPassword: boolean;
  /** The virtual device and channel: every channel route works on them. */
  deviceId: string;
  channelId: string;
  /** The live stream's ID while one runs (streams API), else null. */
  streamId: string | null;
  state: ProxyState;
  /**
   * Why the last try ended (e.g. AUTH_FAILED, CONNECTION_REFUSED, NOT_FOUND) with ffmpeg's words; push mode:
   * PUSH_KEY_REJECTED, PUSH_BUSY, PUSH_STOPPED, PUSH_TIMEOUT, PUSH_PROTOCOL_ERROR. null before any failure.
   */
  causeCode: string | null;
  cause: string | null;
  stateAt: string;
  createdAt: string;
  updatedAt: string;
}
