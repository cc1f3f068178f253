import { parseArgs } from 'node:util';
import { TIMESTAMP_WRAP_90K, normaliseCharsetLabel, type ManscdpCharset } from '@gb/gb28181';
import type { DeviceFleetOptions } from './device-fleet';
import type { DeviceMediaOptions } from './media/device-media.simulator';
import { SIM_AUDIO_CODECS, type SimAudioCodec } from './media/media-source';
import { DEFAULT_CIVIL_CODE, DEFAULT_FIRST_DEVICE_ID, DEFAULT_SERVER_ID, offsetGbId } from './sim-options';

export interface CliOptions {
  fleet: DeviceFleetOptions;
  /** Exit after this many seconds; undefined = run until SIGINT. */
  durationSeconds?: number;
  unregisterOnExit: boolean;
  /** Answer INVITE with a test pattern or file (needs ffmpeg); set by --media or any media option. */
  media: boolean;
  /** What the simulated cameras send (codec, audio, file, impairments). */
  mediaOptions: DeviceMediaOptions;
  quiet: boolean;
  help: boolean;
}

export class CliUsageError extends Error {}

export const HELP = `gb-device-sim: simulates GB/T 28181 devices that register with a platform.

Usage: npm run device-sim -- [options]

  --server host:port         platform SIP address                  (127.0.0.1:5060)
  --fallback-server host:port
                             backup platform address; repeat for more (none). A device whose server stops
                             answering (3 keepalives or a REGISTER unanswered; over TCP, a lost connection)
                             registers with the next of --server, --fallback-server... in turn
  --server-timeout MS        how long a REGISTER or keepalive waits for an answer  (Timer F = 64 x T1)
  --server-id ID             platform 20-digit ID                  (${DEFAULT_SERVER_ID})
  --domain D                 SIP domain / digest realm             (first 10 digits of --server-id)
  --password P               digest password                       (12345678)
  --transport udp|tcp        SIP transport                         (udp)
  --count N                  number of devices                     (1)
  --first-id ID              first device ID; the serial increments (${DEFAULT_FIRST_DEVICE_ID})
  --channels K               channels per device                   (4)
  --civil-code C             channels' CivilCode                   (${DEFAULT_CIVIL_CODE})
  --keepalive S              keepalive interval, seconds           (60)
  --expires S                REGISTER Expires, seconds             (3600)
  --charset C                GB2312 | GBK | GB18030 | UTF-8        (GB2312)
  --catalog-per-message M    catalog items per MESSAGE             (2)
  --local-host IP            address to bind and advertise         (127.0.0.1)
  --rate R                   registrations started per second      (50)
  --duration S               exit after S seconds                  (run until Ctrl-C)
  --unregister-on-exit       send REGISTER Expires: 0 when leaving (on Ctrl-C it always does)
  --media                    answer INVITEs (live, playback, download) with an ffmpeg test pattern as PS over RTP
                             (UDP, TCP passive or TCP active); each option below implies --media
  --codec h264|h265          video codec                           (h264)
  --audio g711a|g711u|aac    add a 440 Hz tone: G.711 A-law / µ-law, or AAC-LC 8 kHz (none)
  --audio-delay S            audio starts S seconds after the video (declared in the PSM from the start) (0)
  --media-file PATH          send this file (re-encoded, fixed GOP, looped) instead of the pattern
  --size WxH                 pattern size / file scaled to         (640x360)
  --fps N                    frames per second, GOP = fps          (25)
  --loss F                   drop this fraction of RTP packets     (0)
  --reorder F                swap this fraction of RTP packets     (0)
  --seed N                   seed for --loss / --reorder           (1)
  --wrong-ssrc               send RTP with another SSRC than the answered y=
  --no-rtp                   answer 200 but never send RTP
  --audio-undeclared         send the audio without naming it in the PSM (only AAC can then be recognised)
  --start-pts N|wrap-S       camera PTS of the first frame, 90 kHz ticks, or S seconds before the 33-bit wrap
                             (wrap-5: PTS passes 2^33 five seconds in)  (0)
  --positions S              send a MobilePosition notify for the first channel every S seconds, walking a
                             ~200 m square at 36 km/h (a vehicle or body camera)  (off)
  --control-result R         OK | ERROR | none: how AlarmCmd / GuardCmd / RecordCmd / HomePosition / DeviceConfig
                             are answered after the 200, and PresetQuery / ConfigDownload (ERROR: Result ERROR,
                             none: no answer; TeleBoot restarts only with OK)  (OK)
  --quiet                    print only the summary
  -h, --help                 this text
`;

function int(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new CliUsageError(`--${name} must be an integer in ${min}..${max}, got "${v}"`);
  return Number(v);
}

/** `host:port` or `[v6]:port`; the error names the option. */
function hostPort(name: string, v: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new CliUsageError(`--${name} must be host:port, got "${v}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Parses argv (without node and script) into fleet options; throws CliUsageError naming the bad option. */
export function parseCliArgs(argv: string[]): CliOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        server: { type: 'string' }, 'fallback-server': { type: 'string', multiple: true }, 'server-timeout': { type: 'string' }, 'server-id': { type: 'string' }, domain: { type: 'string' }, password: { type: 'string' },
        transport: { type: 'string' }, count: { type: 'string' }, 'first-id': { type: 'string' }, channels: { type: 'string' },
        'civil-code': { type: 'string' }, keepalive: { type: 'string' }, expires: { type: 'string' }, charset: { type: 'string' },
        'catalog-per-message': { type: 'string' }, 'local-host': { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' },
        'unregister-on-exit': { type: 'boolean' }, media: { type: 'boolean' },
        codec: { type: 'string' }, audio: { type: 'string' }, 'media-file': { type: 'string' }, size: { type: 'string' }, fps: { type: 'string' },
        loss: { type: 'string' }, reorder: { type: 'string' }, seed: { type: 'string' }, 'wrong-ssrc': { type: 'boolean' }, 'no-rtp': { type: 'boolean' }, 'audio-undeclared': { type: 'boolean' }, 'start-pts': { type: 'string' }, 'audio-delay': { type: 'string' }, positions: { type: 'string' }, 'control-result': { type: 'string' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new CliUsageError((e as Error).message);
  }
  const s = (k: string) => values[k] as string | undefined;
  const primary = hostPort('server', s('server') ?? '127.0.0.1:5060');
  const fallbackServers = ((values['fallback-server'] as string[] | undefined) ?? []).map((v) => hostPort('fallback-server', v));
  const serverTimeoutText = s('server-timeout');
  const serverId = s('server-id') ?? DEFAULT_SERVER_ID;
  if (!/^\d{20}$/.test(serverId)) throw new CliUsageError(`--server-id must be 20 digits, got "${serverId}"`);
  const firstId = s('first-id') ?? DEFAULT_FIRST_DEVICE_ID;
  if (!/^\d{20}$/.test(firstId)) throw new CliUsageError(`--first-id must be 20 digits, got "${firstId}"`);
  const transport = (s('transport') ?? 'udp').toLowerCase();
  if (transport !== 'udp' && transport !== 'tcp') throw new CliUsageError(`--transport must be udp or tcp, got "${transport}"`);
  const charsetLabel = s('charset') ?? 'GB2312';
  const charset: ManscdpCharset | null = normaliseCharsetLabel(charsetLabel);
  if (!charset) throw new CliUsageError(`--charset must be GB2312, GBK, GB18030 or UTF-8, got "${charsetLabel}"`);
  const count = int('count', s('count'), 1, 1, 100_000);
  try {
    offsetGbId(firstId, count - 1);
  } catch {
    throw new CliUsageError(`--count ${count} overflows the 6-digit serial of --first-id ${firstId}`);
  }
  const rateText = s('rate');
  const rate = rateText === undefined ? 50 : Number(rateText);
  if (!Number.isFinite(rate) || rate < 0) throw new CliUsageError(`--rate must be a non-negative number, got "${rateText}"`);
  const durationText = s('duration');
  const duration = durationText === undefined ? undefined : Number(durationText);
  if (duration !== undefined && (!Number.isFinite(duration) || duration <= 0)) throw new CliUsageError(`--duration must be a positive number of seconds, got "${durationText}"`);
  const mediaOptions = parseMediaOptions(s, values);
  const controlResult = s('control-result');
  if (controlResult !== undefined && controlResult !== 'OK' && controlResult !== 'ERROR' && controlResult !== 'none') throw new CliUsageError(`--control-result must be OK, ERROR or none, got "${controlResult}"`);
  const positionsText = s('positions');
  return {
    fleet: {
      count,
      ratePerSecond: rate,
      firstDeviceId: firstId,
      channelsPerDevice: int('channels', s('channels'), 4, 0, 10_000),
      civilCode: s('civil-code') ?? DEFAULT_CIVIL_CODE,
      serverHost: primary.host,
      serverPort: primary.port,
      ...(fallbackServers.length > 0 ? { fallbackServers } : {}),
      ...(serverTimeoutText !== undefined ? { serverTimeoutMs: int('server-timeout', serverTimeoutText, 0, 1, 600_000) } : {}),
      serverId,
      domain: s('domain') ?? serverId.slice(0, 10),
      password: s('password') ?? '12345678',
      transport,
      localHost: s('local-host') ?? '127.0.0.1',
      expires: int('expires', s('expires'), 3600, 10, 86_400 * 7),
      keepaliveSeconds: int('keepalive', s('keepalive'), 60, 1, 86_400),
      charset,
      catalogPerMessage: int('catalog-per-message', s('catalog-per-message'), 2, 1, 10_000),
      manufacturer: 'GBSIM',
      model: 'SIM-NVR',
      firmware: '1.0.0',
      ...(positionsText !== undefined ? { positionIntervalS: int('positions', positionsText, 1, 1, 3600) } : {}),
      ...(controlResult !== undefined ? { controlResult } : {}),
    },
    durationSeconds: duration,
    unregisterOnExit: values['unregister-on-exit'] === true,
    media: values['media'] === true || Object.keys(mediaOptions).length > 0,
    mediaOptions,
    quiet: values['quiet'] === true,
    help: values['help'] === true,
  };
}

function fraction(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v) || n > 1) throw new CliUsageError(`--${name} must be a fraction in 0..1, got "${v}"`);
  return n;
}

/** `--start-pts`: 90 kHz ticks below 2^33, or `wrap-S` = S seconds (up to a day) before the wrap. */
function parseStartPts(v: string): number {
  const wrap = /^wrap-(\d+(?:\.\d+)?)$/.exec(v);
  const n = wrap ? TIMESTAMP_WRAP_90K - Math.round(Number(wrap[1]) * 90_000) : /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n < TIMESTAMP_WRAP_90K) || (wrap && Number(wrap[1]) > 86_400)) throw new CliUsageError(`--start-pts must be 90 kHz ticks in 0..${TIMESTAMP_WRAP_90K - 1} or wrap-S (S seconds before the 33-bit wrap, S ≤ 86400), got "${v}"`);
  return n;
}

function parseMediaOptions(s: (k: string) => string | undefined, values: Record<string, string | boolean | string[] | undefined>): DeviceMediaOptions {
  const o: DeviceMediaOptions = {};
  const codec = s('codec');
  if (codec !== undefined) {
    if (codec !== 'h264' && codec !== 'h265') throw new CliUsageError(`--codec must be h264 or h265, got "${codec}"`);
    o.codec = codec;
  }
  const audio = s('audio');
  if (audio !== undefined) {
    if (!(SIM_AUDIO_CODECS as readonly string[]).includes(audio)) throw new CliUsageError(`--audio must be g711a, g711u or aac, got "${audio}"`);
    o.audio = audio as SimAudioCodec;
  }
  if (s('audio-delay') !== undefined) o.audioDelayS = int('audio-delay', s('audio-delay'), 0, 0, 3600);
  if (s('media-file') !== undefined) o.file = s('media-file');
  const size = s('size');
  if (size !== undefined) {
    const m = /^(\d{2,4})x(\d{2,4})$/.exec(size);
    if (!m || Number(m[1]) % 2 || Number(m[2]) % 2) throw new CliUsageError(`--size must be WxH with even numbers, got "${size}"`);
    o.width = Number(m[1]);
    o.height = Number(m[2]);
  }
  if (s('fps') !== undefined) o.fps = int('fps', s('fps'), 25, 1, 60);
  const loss = fraction('loss', s('loss'));
  const reorder = fraction('reorder', s('reorder'));
  if (loss !== undefined) o.loss = loss;
  if (reorder !== undefined) o.reorder = reorder;
  if (s('seed') !== undefined) o.seed = int('seed', s('seed'), 1, 0, 2 ** 31 - 1);
  if (values['wrong-ssrc'] === true) o.wrongSsrc = true;
  if (values['no-rtp'] === true) o.noRtp = true;
  if (values['audio-undeclared'] === true) o.audioUndeclared = true;
  const startPts = s('start-pts');
  if (startPts !== undefined) o.startPts90k = parseStartPts(startPts);
  return o;
}
