import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceDto } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from './gateway-harness';
import { DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId, type DeviceMediaOptions } from '../../apps/device-sim/src';
import type { StreamDto } from '../../apps/gateway/src/streams/stream.types';

export type { StreamDto };

/** Fails (never skips) when a tool the media tests need is missing. */
export function requireTool(tool: 'ffmpeg' | 'ffprobe', install = 'apt-get install -y ffmpeg'): void {
  const r = spawnSync(tool, ['-version'], { encoding: 'utf8' });
  if (r.error || (r.status !== 0 && r.stdout.length === 0)) throw new Error(`this test needs ${tool} on PATH: install it (${install})`);
}

export const MEDIA_PASSWORD = '12345678';

/** One simulated camera (SIP over UDP, one channel) registered with the rig's gateway. */
export interface SimCamera {
  device: SimulatedDevice;
  media: DeviceMediaSimulator;
  deviceId: string;
  channelId: string;
  /** Device-side errors seen (media and SIP). */
  errors: string[];
  /** POST …/play and returns the DTO (throws with the body on a non-200). */
  play(body?: Record<string, unknown>): Promise<StreamDto>;
  playback(body: Record<string, unknown>): Promise<StreamDto>;
  stop(): Promise<void>;
}

export interface MediaRig extends SimCamera {
  gw: TestGateway;
  /** Another camera on the same gateway, with other media options. */
  addCamera(media: DeviceMediaOptions): Promise<SimCamera>;
  streams(): Promise<StreamDto[]>;
  url(relative: string): string;
  close(): Promise<void>;
}

let deviceSerial = Math.floor(Math.random() * 9000) + 500;

/**
 * A random RTP range in 20000-29999: below the kernel's ephemeral range (32768-60999 on Linux), as a deployment should
 * be (media/port-range.check.ts warns otherwise); a port another test holds is quarantined and another one tried.
 */
export function rtpRangeEnv(size = 16): Record<string, string> {
  const min = 20000 + 2 * Math.floor(Math.random() * (5000 - size));
  return { RTP_PORT_MIN: String(min), RTP_PORT_MAX: String(min + size - 1) };
}

async function startCamera(gw: TestGateway, media: DeviceMediaOptions): Promise<SimCamera> {
  const deviceId = `340200000013200${String(++deviceSerial).padStart(5, '0')}`;
  const sim = new DeviceMediaSimulator(media);
  const errors: string[] = [];
  sim.on('error', (e) => errors.push(`media: ${e.message}`));
  const device = new SimulatedDevice(
    {
      deviceId, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: MEDIA_PASSWORD,
      transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
      channels: buildChannels(deviceId, 0, 1), manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1', name: 'media-sim', retryDelayMs: 0,
    },
    { onInvite: sim.hook },
  );
  device.on('error', (e) => errors.push(`sip: ${e.message}`));
  const stop = async () => {
    sim.close();
    await device.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
  };
  try {
    const outcome = await device.start();
    if (outcome !== 'registered') throw new Error(`simulated device did not register: ${outcome}`);
    await waitFor('the device online at the gateway', async () => {
      const r = await gw.api<DeviceDto[]>('/api/devices');
      return r.body.some((d) => d.deviceId === deviceId && d.online);
    }, 10_000);
    // Ready = its channel stored too: the catalog is written after the device is online (in batches), and a page that
    // lists channels once (the wall's picker) would miss one still on its way.
    await waitFor('the camera\'s channel stored at the gateway', async () => {
      const r = await gw.api<{ channelId: string }[]>(`/api/devices/${deviceId}/channels`);
      return r.status === 200 && r.body.some((c) => c.channelId === channelId(deviceId, 1));
    }, 10_000);
  } catch (e) {
    await stop();
    throw e;
  }
  const ch = channelId(deviceId, 1);
  const post = async (what: string, body: Record<string, unknown>) => {
    const r = await gw.api<StreamDto>(`/api/devices/${deviceId}/channels/${ch}/${what}`, { method: 'POST', body: JSON.stringify(body) });
    if (r.status !== 200) throw new Error(`POST ${what} -> ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return { device, media: sim, deviceId, channelId: ch, errors, play: (body = {}) => post('play', body), playback: (body) => post('playback', body), stop };
}

/**
 * The real gateway in-process plus one simulated camera whose media side is a DeviceMediaSimulator;
 * resolves once the gateway lists the device online and its channel. More cameras: addCamera().
 */
export async function startMediaRig(media: DeviceMediaOptions = {}, gatewayEnv: Record<string, string> = {}): Promise<MediaRig> {
  const gw = await startTestGateway({ SIP_PASSWORD: MEDIA_PASSWORD, ...rtpRangeEnv(), ...gatewayEnv });
  const cameras: SimCamera[] = [];
  let first: SimCamera;
  try {
    first = await startCamera(gw, media);
    cameras.push(first);
  } catch (e) {
    await gw.stop().catch(() => undefined);
    throw e;
  }
  return {
    ...first,
    gw,
    addCamera: async (m) => {
      const c = await startCamera(gw, m);
      cameras.push(c);
      return c;
    },
    streams: async () => (await gw.api<StreamDto[]>('/api/streams')).body,
    url: (relative) => `${gw.httpUrl}${relative}`,
    close: async () => {
      await Promise.all(cameras.map((c) => c.stop()));
      await gw.stop().catch(() => undefined);
    },
  };
}

export interface HlsState {
  playlist: string;
  /** Absolute segment URLs (token included), oldest first. */
  segments: string[];
  /** Absolute URL of the fMP4 init segment (#EXT-X-MAP), if any. */
  init?: string;
}

export function parsePlaylist(base: string, text: string): HlsState {
  const abs = (u: string) => new URL(u, base).toString();
  const map = /#EXT-X-MAP:URI="([^"]+)"/.exec(text);
  return {
    playlist: text,
    segments: text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map(abs),
    ...(map ? { init: abs(map[1]!) } : {}),
  };
}

/** Polls the playlist until it lists at least `n` segments; a 401/403 (a token that will not heal) fails at once. */
export async function waitForSegments(hlsUrl: string, n = 1, timeoutMs = 15_000): Promise<HlsState> {
  let last = '';
  let refused = false;
  let st: HlsState | null = null;
  try {
    await waitFor(`an HLS playlist with ${n} segment(s)`, async () => {
      const r = await fetch(hlsUrl);
      const text = await r.text();
      last = `${r.status} ${text.slice(0, 300)}`;
      if (r.status === 401 || r.status === 403) return (refused = true);
      if (r.status !== 200) return null;
      st = parsePlaylist(hlsUrl, text);
      return st.segments.length >= n;
    }, timeoutMs, 200);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last answer: ${last}`);
  }
  if (refused || !st) throw new Error(`GET ${hlsUrl.replace(/token=[^&]+/, 'token=…')} refused: ${last}`);
  return st;
}

export async function fetchBytes(url: string): Promise<Buffer> {
  const r = await fetch(url);
  if (r.status !== 200) throw new Error(`GET ${url} -> ${r.status}: ${(await r.text()).slice(0, 200)}`);
  return Buffer.from(await r.arrayBuffer());
}

/** Writes the (init +) segment to a temp file for ffprobe; returns its path and a cleanup. */
export async function segmentFile(st: HlsState, index = -1): Promise<{ path: string; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'gbseg-'));
  const seg = st.segments.at(index)!;
  const parts = [...(st.init ? [await fetchBytes(st.init)] : []), await fetchBytes(seg)];
  const path = join(dir, st.init ? 'seg.mp4' : 'seg.ts');
  writeFileSync(path, Buffer.concat(parts));
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ProbeResult {
  codec: string;
  width: number;
  height: number;
  /** Decoded frames (ffprobe -count_frames). */
  frames: number;
  /** ffprobe -v error output: empty for a clean decode. */
  errors: string;
}

/** ffprobe the first video stream, decoding every frame; throws when ffprobe exits non-zero. */
export async function probeVideo(path: string): Promise<ProbeResult> {
  const args = ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', path];
  const { code, stdout, stderr } = await run('ffprobe', args);
  if (code !== 0) throw new Error(`ffprobe exited ${code}: ${stderr.trim().slice(0, 500)}`);
  const s = (JSON.parse(stdout) as { streams?: { codec_name: string; width: number; height: number; nb_read_frames?: string }[] }).streams?.[0];
  if (!s) throw new Error(`ffprobe found no video stream in ${path}: ${stderr.slice(0, 300)}`);
  return { codec: s.codec_name, width: s.width, height: s.height, frames: Number(s.nb_read_frames ?? 0), errors: stderr.trim() };
}

/** Runs a tool to its end and returns its exit code and output. */
export function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface FlvHead {
  bytes: Buffer;
  /** ms from the request to the first byte, and to the first video tag. */
  firstByteMs: number;
  firstVideoTagMs: number | null;
  /** Tag types seen (8 audio, 9 video, 18 script). */
  tagTypes: number[];
}

/**
 * Reads HTTP-FLV until a video tag arrived (or `timeoutMs`), then aborts: checks the 'FLV' header and walks
 * the tags (FLV spec: 9-byte header, then PreviousTagSize + 11-byte tag header + data).
 */
export async function readFlvHead(url: string, timeoutMs = 8000): Promise<FlvHead> {
  const ac = new AbortController();
  const t0 = Date.now();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const chunks: Buffer[] = [];
  let firstByteMs = -1;
  let firstVideoTagMs: number | null = null;
  let tagTypes: number[] = [];
  try {
    const r = await fetch(url, { signal: ac.signal });
    if (r.status !== 200) throw new Error(`GET ${url} -> ${r.status}: ${(await r.text()).slice(0, 200)}`);
    const reader = r.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (firstByteMs < 0) firstByteMs = Date.now() - t0;
      chunks.push(Buffer.from(value));
      tagTypes = flvTagTypes(Buffer.concat(chunks));
      if (tagTypes.includes(9)) {
        firstVideoTagMs = Date.now() - t0;
        break;
      }
    }
    await reader.cancel().catch(() => undefined);
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return { bytes: Buffer.concat(chunks), firstByteMs, firstVideoTagMs, tagTypes };
}

/** Types of the complete tags in an FLV byte prefix. */
export function flvTagTypes(b: Buffer): number[] {
  if (b.length < 13 || b.toString('latin1', 0, 3) !== 'FLV') return [];
  const out: number[] = [];
  let o = b.readUInt32BE(5) + 4; // header length, then PreviousTagSize0
  while (o + 11 <= b.length) {
    const type = b[o]! & 0x1f;
    const size = b.readUIntBE(o + 1, 3);
    if (o + 11 + size > b.length) break;
    out.push(type);
    o += 11 + size + 4;
  }
  return out;
}

export interface LiveFigures {
  playMs: number;
  firstSegmentMs: number;
  firstFlvVideoMs: number | null;
}

/**
 * The live-view contract on one transport: play -> HLS playlist with segments; a segment ffprobes as
 * `codec` at the source size; the FLV URL returns an FLV header and a video tag. Returns the timings.
 */
export async function expectLiveStream(
  rig: MediaRig,
  transport: 'udp' | 'tcp-passive' | 'tcp-active',
  want: { codec: 'h264' | 'hevc'; width: number; height: number; /** Check HTTP-FLV too (default true; FLV cannot carry H.265). */ flv?: boolean },
  check: (cond: boolean, message: string) => void,
): Promise<{ dto: StreamDto; hls: HlsState; figures: LiveFigures; probe: ProbeResult }> {
  const t0 = Date.now();
  const dto = await rig.play({ transport });
  const playMs = Date.now() - t0;
  check(dto.state === 'playing', `state after play is ${dto.state} (${dto.error})`);
  check(dto.transport === transport, `transport ${dto.transport}`);
  const hls = await waitForSegments(rig.url(dto.urls.hls), 1);
  const firstSegmentMs = Date.now() - t0;
  const seg = await segmentFile(hls);
  let probe: ProbeResult;
  try {
    probe = await probeVideo(seg.path);
  } finally {
    seg.cleanup();
  }
  check(probe.codec === want.codec, `ffprobe codec ${probe.codec}, want ${want.codec}`);
  check(probe.width === want.width && probe.height === want.height, `ffprobe size ${probe.width}x${probe.height}, want ${want.width}x${want.height}`);
  check(probe.frames > 0, `ffprobe decoded ${probe.frames} frames`);
  if (want.flv === false) return { dto, hls, probe, figures: { playMs, firstSegmentMs, firstFlvVideoMs: null } };
  const flv = await readFlvHead(rig.url(dto.urls.flv), 8000);
  check(flv.bytes.toString('latin1', 0, 3) === 'FLV', `FLV response starts with ${JSON.stringify(flv.bytes.subarray(0, 3).toString('latin1'))}`);
  check(flv.tagTypes.includes(9), `FLV tags seen: [${flv.tagTypes.join(',')}] (no video tag within 8 s)`);
  return { dto, hls, probe, figures: { playMs, firstSegmentMs, firstFlvVideoMs: flv.firstVideoTagMs } };
}

/** Decodes the first audio stream of FLV or MPEG-TS bytes with ffmpeg: RMS of 16-bit samples per 100 ms (16 kHz mono). */
export function audioRms(bytes: Buffer, format: 'flv' | 'mpegts'): number[] {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-f', format, '-i', 'pipe:0', '-map', '0:a:0', '-f', 's16le', '-ac', '1', '-ar', '16000', 'pipe:1'], { input: bytes, maxBuffer: 64 << 20 });
  // No audio decoded at all is worth its reason (no audio stream in the input, or ffmpeg failing) in the assertion's message.
  if (r.error || r.status !== 0) throw new Error(`ffmpeg decoding the ${format} audio (${bytes.length} B) failed: ${r.error?.message ?? `exit ${r.status}`}: ${String(r.stderr).trim().slice(-500)}`);
  const pcm = r.stdout;
  const out: number[] = [];
  for (let w = 0; (w + 1) * 3200 <= pcm.length; w++) {
    let sum = 0;
    for (let i = 0; i < 1600; i++) sum += pcm.readInt16LE(w * 3200 + i * 2) ** 2;
    out.push(Math.round(Math.sqrt(sum / 1600)));
  }
  return out;
}

/** Reads an HTTP(S) body for `ms`, then aborts: what a live FLV/TS URL sent in that time. */
export async function readFor(url: string, ms: number): Promise<Buffer> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const chunks: Buffer[] = [];
  try {
    const r = await fetch(url, { signal: ac.signal });
    if (r.status !== 200) throw new Error(`GET ${url} -> ${r.status}: ${(await r.text()).slice(0, 200)}`);
    const reader = r.body!.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks);
}
