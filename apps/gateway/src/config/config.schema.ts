import { hostname } from 'node:os';
import { z } from 'zod';
import { ONSET_DEFAULTS } from '@gb/contracts';
import { SUBSTREAM_SDP_STYLES, type SubstreamSdpStyle } from '@gb/gb28181';

/**
 * The gateway's whole configuration: one schema, validated once at boot.
 * Every key is an environment variable; `describe()` is the documentation the README table mirrors.
 * Keys marked `secret` are never logged.
 */
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const gbId = z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 ID');

/** SUBSTREAM_SDP_STYLE_BY_DEVICE read: `{deviceId: style}`, or null when a part is not `deviceId=style`. */
export function substreamStylesByDevice(v: string): Record<string, SubstreamSdpStyle> | null {
  const out: Record<string, SubstreamSdpStyle> = {};
  for (const part of v.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [id, style, extra] = part.split('=').map((x) => x.trim());
    if (extra !== undefined || !id || !/^\d{20}$/.test(id) || !SUBSTREAM_SDP_STYLES.includes(style as SubstreamSdpStyle)) return null;
    out[id] = style as SubstreamSdpStyle;
  }
  return out;
}

export const configSchema = z.object({
  SIP_HOST: z.string().default('0.0.0.0').describe('Address the SIP UDP and TCP listeners bind to'),
  SIP_PORT: port.default(5060).describe('SIP port, UDP and TCP (0 = any free port)'),
  SIP_ID: gbId.default('34020000002000000001').describe("The gateway's own 20-digit SIP ID"),
  SIP_DOMAIN: z.string().min(1).default('3402000000').describe('SIP domain / digest realm (first 10 digits of SIP_ID by convention)'),
  SIP_PASSWORD: z.string().default('').describe('Global device password for digest auth; empty = accept devices without auth (per-device passwords still apply)'),
  SIP_ADVERTISED_HOST: z.string().optional().describe('Address put in Contact/Via/From of requests we send; default: the local address the device reached'),
  SIP_DIGEST_QOP: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').describe('Offer qop="auth" in digest challenges (a device may then reuse a nonce with an increasing nc). Off by default, as WVP: some cameras mishandle it; digests with and without qop are accepted either way, and a nonce without qop is good once'),
  SIP_AUTH_BAN_FAILURES: positiveInt.default(3).describe('Digest failures (403) by one device ID from one source host, with no success between, before that pair is banned'),
  SIP_AUTH_BAN_S: positiveInt.default(600).describe('How long such a ban lasts; banned requests are dropped unanswered and counted at GET /api/registration-failures'),
  SIP_SOURCE_FAILURE_RATE: positiveInt.default(50).describe('Failing SIP requests (401/403/400 from the registrar or MESSAGE handler) one source host may cause per second on average; past the burst its requests are dropped unanswered'),
  SIP_SOURCE_FAILURE_BURST: positiveInt.default(500).describe('Burst of failing requests allowed per source host (the first 401 to each device is free; repeated challenges, 403s and 400s count)'),
  KEEPALIVE_INTERVAL_S: positiveInt.default(60).describe('Expected device keepalive interval in seconds'),
  KEEPALIVE_MAX_MISSED: positiveInt.default(3).describe('Keepalives missed before a device is marked offline'),
  CATALOG_GAP_TIMEOUT_MS: positiveInt.default(5000).describe('Time without a new catalog packet after which what arrived is stored'),
  CATALOG_MAX_ITEMS: positiveInt.default(50000).describe('Most channels one device may report in one catalog'),
  CATALOG_SUBSCRIBE: z.enum(['platforms', 'all', 'off']).default('platforms').describe("Which registered devices the gateway SUBSCRIBEs to for catalog change notifications (GB/T 28181 §9.11, Event: Catalog): 'platforms' = lower platforms (ID type 200), 'all' = every device, 'off' = none. A refusal (405, 489, …) is not retried until the device registers again"),
  CATALOG_SUBSCRIBE_EXPIRES_S: z.coerce.number().int().min(10).max(86400).default(3600).describe('Expires asked for in a catalog SUBSCRIBE (seconds); refreshed at 2/3 of what the device grants'),
  ALARM_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90).describe('Device alarms (GET /api/device-alarms) received more than this many days ago are deleted (swept hourly)'),
  POSITION_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30).describe('Mobile positions (GET /api/channels/:channelId/positions) older than this many days are deleted (swept hourly)'),
  POSITION_MIN_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(1000).describe('A channel\'s mobile positions closer together than this are answered but not stored (a device reporting 10 times a second keeps one a second)'),
  ALARM_SUBSCRIBE: z.enum(['platforms', 'all', 'off']).default('off').describe("Which registered devices the gateway SUBSCRIBEs to for alarms (Event: Alarm, every priority and method), as CATALOG_SUBSCRIBE. Off by default: most devices send alarms unasked (MESSAGE), which are always taken. A refusal is not retried until the device registers again"),
  MOBILE_POSITION_SUBSCRIBE: z.enum(['platforms', 'all', 'off']).default('off').describe('Which registered devices the gateway SUBSCRIBEs to for mobile positions (Event: MobilePosition, GB/T 28181 §9.10), as CATALOG_SUBSCRIBE; unasked MobilePosition MESSAGEs are always taken'),
  MOBILE_POSITION_INTERVAL_S: z.coerce.number().int().min(1).max(3600).default(5).describe('Interval asked for in a MobilePosition SUBSCRIBE (seconds between the device\'s notifies)'),
  EVENT_SUBSCRIBE_EXPIRES_S: z.coerce.number().int().min(10).max(86400).default(3600).describe('Expires asked for in an Alarm or MobilePosition SUBSCRIBE (seconds); refreshed at 2/3 of what the device grants'),
  SIP_MAX_MESSAGE_BYTES: positiveInt.default(262144).describe('Largest SIP message accepted (UDP datagram or TCP frame)'),
  SIP_TCP_FIRST_MESSAGE_TIMEOUT_MS: positiveInt.default(10000).describe('A SIP TCP connection must deliver its first complete message within this long of being accepted, else it is closed (covers connections that never send)'),
  SIP_TCP_MESSAGE_TIMEOUT_MS: positiveInt.default(30000).describe('Most time one SIP TCP message may take from its first byte to its last; a trickled message is closed at this bound (bytes do not restart it)'),
  SIP_TCP_IDLE_TIMEOUT_MS: positiveInt.default(300000).describe('A SIP TCP connection with no byte at all for this long is closed (keep it above KEEPALIVE_INTERVAL_S; a device reconnects to send)'),
  SIP_TCP_MAX_CONNECTIONS: positiveInt.default(10000).describe('Most simultaneous SIP TCP connections'),
  SIP_TCP_MAX_CONNECTIONS_PER_HOST: positiveInt.default(100).describe('Most simultaneous SIP TCP connections from one source address (an NVR or a NATed site counts once)'),
  SIP_TCP_ACCEPT_RATE_PER_HOST: positiveInt.default(20).describe('New SIP TCP connections one source address may open per second (burst: SIP_TCP_MAX_CONNECTIONS_PER_HOST); past it they are reset at once'),
  SIP_TCP_RESERVED_PERCENT: z.coerce.number().int().min(0).max(90).default(20).describe('Share of SIP_TCP_MAX_CONNECTIONS only addresses that already sent a valid SIP message may use; at the cap a newcomer replaces the oldest connection that never sent one'),
  LIVENESS_FLUSH_MS: positiveInt.default(2000).describe('How often in-memory keepalive times are written to the database in one batch'),
  MEDIA_IP: z.string().optional().describe('Address put in the SDP for devices to send media to; default: the local address on which that device\'s SIP traffic arrives'),
  MEDIA_BIND_HOST: z.string().default('0.0.0.0').describe('Address the RTP receivers bind to'),
  RTP_PORT_MIN: port.default(30000).describe('First RTP port of the pool'),
  RTP_PORT_MAX: port.default(30999).describe('Last RTP port of the pool'),
  RTP_SINGLE_PORT: port.default(0).describe('If set, UDP and TCP-passive media of every stream arrive on this one port and are told apart by SSRC (0 = a port per stream from the pool; TCP active always uses the pool)'),
  STREAM_NO_RTP_TIMEOUT_MS: positiveInt.default(10000).describe('A stream with no RTP this long after the INVITE is answered gets a BYE and a clear error'),
  STREAM_IDLE_TIMEOUT_MS: positiveInt.default(30000).describe('A stream with no viewer this long is torn down (BYE, ffmpeg stopped, port freed)'),
  INVITE_TIMEOUT_MS: positiveInt.default(8000).describe('How long to wait for a device to answer an INVITE'),
  FFMPEG_PATH: z.string().optional().describe('ffmpeg binary; default: ffmpeg on PATH, else the one bundled by @ffmpeg-installer/ffmpeg'),
  HLS_MUXER: z.enum(['internal', 'ffmpeg']).default('internal').describe('Live HLS writer: internal = in-process MPEG-TS segmenter for H.264 streams, audio included (no ffmpeg process per stream for the video); ffmpeg = one ffmpeg per stream for every stream. H.265 and downloads always use ffmpeg'),
  MEDIA_SILENT_AUDIO: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').describe('true: every live stream carries an AAC audio track from its first keyframe (silence until the camera sends audio), so audio that starts later without the camera announcing it in its PSM still plays. false: only streams whose PSM declares audio (or whose audio arrives before the first keyframe) get the track; G.711 and AAC are transcoded to AAC 16 kHz mono for FLV and HLS either way'),
  PLAY_KEYFRAME_REQUEST: z.enum(['true', 'false']).default('true').transform((v) => v === 'true').describe('Send DeviceControl IFameCmd to the channel as soon as a new live stream is answered, so a camera that is already encoding starts with a keyframe instead of waiting for its next GOP (a replay camera honouring it: play answer p50 461 -> 56 ms, docs/decisions/device-control.md). Cameras that ignore it cost one MESSAGE per play'),
  SUBSTREAM_SDP_STYLE: z.enum(SUBSTREAM_SDP_STYLES).default('gb2022').describe('How a play request for the substream ({stream:"sub"}) names it in the INVITE offer: gb2022 = a=streamnumber:1 and a=stream:1; streamprofile = a=streamprofile:1 (Hikvision-style); streamMode = a=streamMode:SUB (Dahua-style); all = every one. Main streams name none'),
  SUBSTREAM_SDP_STYLE_BY_DEVICE: z
    .string()
    .default('')
    .refine((v) => substreamStylesByDevice(v) !== null, { message: `want comma-separated deviceId=style (20-digit ID; style ${SUBSTREAM_SDP_STYLES.join(' | ')})` })
    .describe('Per-device SUBSTREAM_SDP_STYLE: comma-separated deviceId=style (e.g. 34020000001320000001=streamprofile); others use SUBSTREAM_SDP_STYLE'),
  TRANSCODE_MAX: z.coerce.number().int().min(0).max(1000).default(0).describe('Most H.265 -> H.264 transcodes (one ffmpeg with libx264 each, for browsers without HEVC) running at once; one more is refused with TRANSCODE_LIMIT (503). 0 = 2 per CPU core'),
  TRANSCODE_MAX_HEIGHT: z.coerce.number().int().min(0).max(4320).default(0).describe('H.264 renditions of H.265 streams are scaled down to at most this many lines (0 = the camera\'s size)'),
  WEBRTC_MAX_PEERS: z.coerce.number().int().min(0).default(64).describe('Most WebRTC (WHEP) viewers at once, all streams together; past it an offer gets 503 WEBRTC_LIMIT and players fall back to FLV. 0 = WebRTC playback off'),
  WEBRTC_PUBLIC_HOST: z.string().optional().describe('Address added to the host ICE candidates of every WebRTC answer (same port as each local one): the public address of a 1:1 NAT or port-forwarding router in front of the gateway. Unset: the interface addresses only'),
  WEBRTC_PORT_MIN: port.default(0).describe('First UDP port WebRTC peer connections bind (one per viewer); 0 with WEBRTC_PORT_MAX 0 = any free port. Open this range in the firewall when set'),
  WEBRTC_PORT_MAX: port.default(0).describe('Last UDP port WebRTC peer connections bind (greater than WEBRTC_PORT_MIN)'),
  RTMP_PORT: port.default(0).describe('RTMP port where encoders and drones push to stream proxies in push mode (publish URL rtmp://RTMP_PUBLIC_HOST:RTMP_PORT/live/<channelId>?key=<key>, the key checked per channel); 1935 is the usual one. 0 (default) = no RTMP listener: adding a push proxy answers FEATURE_DISABLED'),
  RTMP_HOST: z.string().default('0.0.0.0').describe('Address the RTMP listener binds to'),
  RTMP_PUBLIC_HOST: z.string().regex(/^[A-Za-z0-9.:[\]_-]{1,253}$/, 'a host name or address').optional().describe('Host put in the publish URLs of push proxies (what encoders reach: a public name or address). Unset: the host of PUBLIC_URL, else RTMP_HOST when it is not 0.0.0.0, else the first non-loopback IPv4 address of this machine'),
  RECORD_DIR: z.string().optional().describe('Where record plans write their MPEG-TS segments (<channel>/<yyyy-mm-dd>/<start ms>.ts); default DATA_DIR/recordings'),
  RECORD_SEGMENT_S: z.coerce.number().int().min(2).max(600).default(60).describe('Length of a recorded segment in seconds (cut at the first keyframe after it); events plans use at most 10 s so the pre-event seconds are kept and the rest dropped in small pieces'),
  RECORD_RETENTION_DAYS: z.coerce.number().int().min(0).default(30).describe('Recorded segments older than this many days are deleted (0 = kept until the quota needs the room)'),
  RECORD_QUOTA_BYTES: z.coerce.number().int().min(0).default(0).describe('Most bytes of recordings kept under RECORD_DIR; past it the oldest segments are deleted (0 = no quota)'),
  RECORD_MAX_CHANNELS: z.coerce.number().int().min(0).max(10000).default(64).describe('Most channels this node records at once; plans past it wait (0 = recording off)'),
  MEDIA_TOKEN_TTL_S: positiveInt.default(86400).describe('Lifetime of the signed tokens in media URLs (HLS/FLV/player)'),
  HTTP_HOST: z.string().default('0.0.0.0').describe('Address the HTTP API binds to'),
  HTTP_PORT: port.default(8080).describe('HTTP API, WebSocket and player port (0 = any free port)'),
  METRICS_ENABLED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true').describe('Serve Prometheus metrics at http://METRICS_HOST:METRICS_PORT/metrics (false = no metrics listener)'),
  METRICS_HOST: z.string().default('127.0.0.1').describe('Address the metrics listener binds to. Loopback by default: /metrics has no login, so binding it to a reachable address exposes it to that network (put a firewall or an authenticating proxy in front before you do)'),
  METRICS_PORT: port.default(9464).describe('Port of the metrics listener, separate from HTTP_PORT (0 = any free port)'),
  NODE_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ only (1-64)').optional().describe("This node's name in a cluster (nodes table, device owner, NATS subjects); default: host name + HTTP port (host name + process id when HTTP_PORT is 0). Keep it stable across restarts: a node that comes back under its name finds its devices"),
  PUBLIC_URL: z.string().url().optional().describe('Base URL browsers and other nodes use to reach this node (http://host:port); media URLs the API returns point at it. Unset: relative URLs (one node, or every node behind one address)'),
  NODE_HEARTBEAT_MS: positiveInt.default(5000).describe('How often this node writes its heartbeat and load to the nodes table, renews its watch leases and checks for dead nodes'),
  NODE_DEAD_AFTER_MS: positiveInt.default(20000).describe('A node whose heartbeat is older than this is dead: the other nodes adopt its devices (offline until they register again) and its watched channels'),
  CLUSTER_REQUEST_TIMEOUT_MS: positiveInt.default(20000).describe('How long a request forwarded to the node that owns a device may take (over NATS) before NODE_UNAVAILABLE; covers INVITE_TIMEOUT_MS and the first frame'),
  CLUSTER_NATS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('gb').describe('Subject prefix of the node-to-node NATS subjects (<prefix>.cluster.*); every node of one cluster uses the same'),
  DATABASE_URL: z.string().optional().describe('postgres://… URL; unset = embedded PostgreSQL (PGlite) under DATA_DIR'),
  DATA_DIR: z.string().default('./data').describe('Directory for the embedded database, recordings and secrets'),
  ADMIN_USER: z.string().min(1).default('admin').describe('The first admin account (more users: /api/users)'),
  ADMIN_PASSWORD: z.string().optional().describe('Password of ADMIN_USER; set = ADMIN_USER is made (or reset to) an admin with it at every start; unset = generated at the first start with no user, printed once, stored as a scrypt hash'),
  JWT_SECRET: z.string().optional().describe('Secret for API tokens; unset = generated once and kept under DATA_DIR'),
  JWT_TTL_S: positiveInt.default(43200).describe('API token lifetime in seconds'),
  AUTH_CACHE_TTL_MS: positiveInt.max(60000).default(5000).describe('How long a node caches a user or API key it read from the database: a deleted user, a changed role or a revoked key takes effect on every node within this bound (at once on the node that made the change)'),
  AUDIT_RETENTION_DAYS: positiveInt.default(90).describe('Audit log entries (GET /api/audit) older than this are deleted'),
  API_DOCS: z.enum(['off', 'auth', 'public']).default('auth').describe('OpenAPI UI and documents at /api/docs, /api/docs-json, /api/docs-yaml: auth = they need the API bearer token like every route (tools fetch /api/docs-json with it; a browser gets 401); public = served to anyone (trusted networks, development); off = not served'),
  LOGIN_MAX_FAILURES: positiveInt.default(10).describe('Failed logins one client address (IPv6: one /64) may make per LOGIN_WINDOW_S before it gets 429'),
  LOGIN_WINDOW_S: positiveInt.default(60).describe('Window of the login failure budgets, in seconds'),
  LOGIN_USER_MAX_FAILURES: positiveInt.default(100).describe('Failed logins for one user name per window (all addresses) past which addresses that already failed get 429 for it; addresses that have not failed still get their turn'),
  LOGIN_MAX_CONCURRENT: positiveInt.default(4).describe('Password checks (scrypt, ~32 MiB each) running at once; further logins wait their turn, addresses taking turns and those that have not failed first'),
  LOGIN_MAX_PENDING_PER_CLIENT: positiveInt.default(2).describe('Logins one client address may have waiting or running at once; more get 429 at once'),
  LOGIN_QUEUE_TIMEOUT_MS: positiveInt.default(10000).describe('Longest a login waits for a password-check slot before it gets 429'),
  VISION_EMBEDDED: z.enum(['true', 'false']).default('true').transform((v) => v === 'true').describe('Without NATS_URL: run the vision worker as a child process of the gateway (false = no congestion scoring)'),
  NATS_URL: z.string().optional().describe('nats://host:port: score channels on vision workers sharing a NATS queue group (distributed mode) instead of the embedded worker'),
  VISION_NATS_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('gb').describe('Subject prefix of the vision NATS subjects (<prefix>.vision.*); workers must use the same'),
  VISION_MODEL: z.string().optional().describe('ONNX detector (YOLOX-Nano); default: ../shared/models/yolox_nano.onnx if it exists, else DATA_DIR/models/yolox_nano.onnx'),
  VISION_FPS: z.coerce.number().positive().max(30).default(1).describe('Frames scored per second per watched channel'),
  VISION_TILES: z.enum(['auto', '1', '2', '3']).default('auto').describe('Detector passes per scored frame: auto = chosen per channel from its measured contrast and vehicle sizes (docs/congestion.md, "Hazy, dark and distant cameras"; the choice is in GET /api/congestion `scene.detector`); 1 = whole frame for every channel; 2 or 3 = also an n×n grid of overlapping tiles (~3× or ~4–5× the inference time of one pass: the grid runs as one larger input). Read by the vision workers'),
  VISION_THREADS: positiveInt.max(64).default(1).describe('onnxruntime intra-op threads per vision worker (one session serves all its channels). 1 = one core per worker, the most frames per CPU-second; 2 on a 2-core machine scored 1.3× the frames per second for 1.5× the CPU per frame (docs/decisions/vision.md, "Throughput"). Read by the vision workers'),
  VISION_SOURCE_BASE_URL: z.string().url().optional().describe("Base URL workers use to pull a channel's HTTP-FLV stream; default: http://127.0.0.1:<HTTP port> (set it for workers on other machines)"),
  VISION_HEARTBEAT_MS: positiveInt.default(2000).describe('Vision worker heartbeat period'),
  VISION_HEARTBEAT_MISSED: positiveInt.default(3).describe("Heartbeats a worker may miss before its channels move to another worker"),
  VISION_RETRY_MS: positiveInt.default(3000).describe('Pause before a worker reopens a failed channel source or retries the model; also how often the gateway restarts a watched stream that stopped'),
  ALERT_LEVEL: z.enum(['light', 'moderate', 'heavy', 'severe']).default('heavy').describe('Congestion level at or above which an alert is raised'),
  ALERT_HOLD_MS: z.coerce.number().int().min(0).default(30000).describe('How long the level must hold before the alert is raised'),
  ALERT_CLEAR_LEVEL: z.enum(['free', 'light', 'moderate', 'heavy']).default('light').describe('Level at or below which an alert clears (must be below ALERT_LEVEL: the band between is hysteresis)'),
  ALERT_CLEAR_HOLD_MS: z.coerce.number().int().min(0).default(30000).describe('How long the level must stay at or below ALERT_CLEAR_LEVEL before the alert clears'),
  ONSET_WINDOW_MS: positiveInt.default(ONSET_DEFAULTS.windowMs).describe('Onset warning (congestion.forming): trailing window over which the rise of the index and of the stationary share is measured'),
  ONSET_SLOPE_PER_MIN: z.coerce.number().min(0).default(ONSET_DEFAULTS.minSlopePerMin).describe('Onset warning: least-squares slope of the index over ONSET_WINDOW_MS, in index points per minute, at or above which the queue is forming'),
  ONSET_SHARE_RISE: z.coerce.number().min(0).max(1).default(ONSET_DEFAULTS.minShareRise).describe('Onset warning: rise of the stationary share (0-1) from the first to the last third of the window also needed'),
  ONSET_MIN_INDEX: z.coerce.number().min(0).max(100).default(ONSET_DEFAULTS.minIndex).describe('Onset warning: the index must be at least this (light) and still below heavy (60)'),
  ONSET_CLEAR_MS: z.coerce.number().int().min(0).default(ONSET_DEFAULTS.clearMs).describe('Onset warning: ends (eased) once the index stops rising or falls below ONSET_MIN_INDEX for this long; reaching heavy ends it at once'),
  CONGESTION_SAMPLE_MS: positiveInt.default(5000).describe('Period of the stored congestion samples (one row per channel and ROI per period)'),
  CONGESTION_RETENTION_DAYS: positiveInt.default(30).describe('Stored congestion samples older than this are deleted'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level'),
  LOG_FORMAT: z.enum(['pretty', 'json', 'auto']).default('auto').describe('Log lines: pretty = readable lines for a terminal; json = one JSON object per line (pino: level, time, context, msg, and deviceId/channelId/streamId where known); auto = pretty when stdout is a terminal, else json'),
});

/** NODE_ID is always set once loadConfig() has run (a default is derived from the host name). */
export type GatewayConfig = Omit<z.infer<typeof configSchema>, 'NODE_ID'> & { NODE_ID: string };

export const SECRET_KEYS: ReadonlySet<keyof GatewayConfig> = new Set(['SIP_PASSWORD', 'ADMIN_PASSWORD', 'JWT_SECRET', 'DATABASE_URL', 'NATS_URL']);

export class ConfigValidationError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
  }
}

/** Validate an environment into a typed config; the error names each offending variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigValidationError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return { ...parsed.data, NODE_ID: parsed.data.NODE_ID ?? defaultNodeId(parsed.data.HTTP_PORT) };
}

/** Host name + HTTP port, reduced to the NODE_ID alphabet; host name + process id when the port is chosen at bind time. */
export function defaultNodeId(httpPort: number, host = hostname(), pid = process.pid): string {
  const h = host.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'node';
  return `${h}-${httpPort > 0 ? httpPort : `p${pid}`}`;
}

/** Config with secrets masked, for logs. */
export function redactConfig(cfg: GatewayConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) out[k] = SECRET_KEYS.has(k as keyof GatewayConfig) && v ? '***' : v;
  return out;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
