import { afterEach, describe, expect, it } from 'vitest';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '@gb/runtime';
import { SimMediaSession } from '../../../device-sim/src/media/sim-media.session';
import type { SimAudioCodec } from '../../../device-sim/src/media/media-source';
import { MediaSession } from './media-session';
import { audioRms } from '../../../../test/support/media-probe';
import type { FlvSink } from './flv-fanout';

const ffmpeg = resolveFfmpeg();
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  media: MediaSession;
  flv: Buffer[];
  dir: string;
}

/** A MediaSession on a free UDP port fed by the simulator's camera (real ffmpeg source, PS over RTP, paced in real time). */
async function rig(
  camera: { audio?: SimAudioCodec; audioDelayS?: number; audioUndeclared?: boolean },
  o: { hlsMuxer?: 'internal' | 'ffmpeg'; silentAudio?: boolean; onUndeclaredAudio?: (codec: string) => void } = {},
): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'media-audio-'));
  const media = new MediaSession({ streamId: 's_1', transport: 'udp', bindHost: '127.0.0.1', port: await freeUdpPort(), ssrc: null, hlsRoot: dir, ffmpegPath: ffmpeg, hlsMuxer: o.hlsMuxer ?? 'internal', silentAudio: o.silentAudio, onUndeclaredAudio: o.onUndeclaredAudio });
  await media.open();
  const flv: Buffer[] = [];
  const sink: FlvSink = { write: (b) => void flv.push(b), backlog: 0, close: () => undefined };
  media.flv.subscribe(sink);
  const sim = new SimMediaSession({
    kind: 'Play',
    source: { codec: 'h264', width: 320, height: 180, audio: camera.audio, audioDelayS: camera.audioDelayS },
    sender: { transport: 'udp', remoteHost: '127.0.0.1', remotePort: media.receiver.port, localHost: '127.0.0.1', ssrc: 1234, video: 'h264', audio: camera.audio, declareAudio: !camera.audioUndeclared },
  });
  await sim.bind();
  void sim.start();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => media.close(), () => sim.stop());
  return { media, flv, dir };
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * The RMS windows of the HLS segments listed so far, polled until more than `n` hold the tone or `ms` pass. A decode
 * that fails meanwhile (a segment still being written) is retried; the last failure is kept for the message.
 */
async function hlsToneRms(r: Rig, n: number, ms: number): Promise<{ rms: number[]; error: string }> {
  let rms: number[] = [];
  let error = '';
  const decoded = () => {
    try {
      rms = audioRms(hlsBytes(r), 'mpegts');
    } catch (e) {
      error = (e as Error).message;
    }
    return rms.filter((x) => x > 1000).length > n;
  };
  await until('the tone in the HLS segments', decoded, ms).catch(() => undefined);
  return { rms, error };
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Media time (ms) of the last FLV audio frame tag, and the number of HLS segments listed. */
const lastAudioMs = (r: Rig) => flvTags(Buffer.concat(r.flv)).filter((t) => t.type === 8).at(-1)?.ms ?? 0;
const segments = (r: Rig) => (r.media.hls.playlist ?? '').split('\n').filter((l) => l.endsWith('.ts')).length;

/** FLV tags (type, time ms, AACPacketType / AVCPacketType, data size) of a byte stream. */
function flvTags(b: Buffer): { type: number; ms: number; packetType: number; size: number }[] {
  const out = [];
  if (b.length < 13) return [];
  for (let o = b.readUInt32BE(5) + 4; o + 11 <= b.length; ) {
    const size = b.readUIntBE(o + 1, 3);
    if (o + 11 + size + 4 > b.length) break;
    out.push({ type: b[o]!, ms: b.readUIntBE(o + 4, 3) + b[o + 7]! * 0x1000000, packetType: b[o + 12]!, size });
    o += 11 + size + 4;
  }
  return out;
}

/** The HLS segments written so far (internal muxer: from the store; ffmpeg: from its directory), concatenated. */
function hlsBytes(r: Rig): Buffer {
  const names = r.media.hls.playlist!.split('\n').filter((l) => l.endsWith('.ts'));
  return Buffer.concat(names.map((n) => r.media.hls.segment(n) ?? readFileSync(join(r.media.hlsDir, n))));
}

describe('MediaSession audio track (camera → AAC in FLV and HLS)', () => {
  it('G.711 A-law that starts 1.5 s after the video (declared in the PSM): FLV and in-process HLS carry AAC from the first keyframe, silent, then the tone', async () => {
    const r = await rig({ audio: 'g711a', audioDelayS: 1.5 });
    await until('FLV audio past 3.5 s and 3 HLS segments', () => lastAudioMs(r) > 3500 && segments(r) >= 3);
    const bytes = Buffer.concat(r.flv);
    expect(bytes[4]).toBe(0x05); // FLV header: audio and video
    const tags = flvTags(bytes);
    const firstVideo = tags.findIndex((t) => t.type === 9);
    const seqHeader = tags.findIndex((t) => t.type === 8 && t.packetType === 0);
    expect(seqHeader).toBeGreaterThan(firstVideo);
    expect(seqHeader - firstVideo).toBeLessThanOrEqual(2); // right after the first keyframe (config + frame)
    expect(tags.filter((t) => t.type === 8 && t.packetType === 0)).toHaveLength(1);
    const audioMs = tags.filter((t) => t.type === 8 && t.packetType === 1).map((t) => t.ms);
    expect(audioMs[0]).toBeLessThanOrEqual(64);
    expect(audioMs.at(-1)!).toBeGreaterThan(3500);
    const flvRms = audioRms(bytes, 'flv');
    // silent before 1.5 s (the simulator's PTS 0 is the first keyframe), the 440 Hz tone (RMS ≈ 2900) from 2 s on
    expect(flvRms.slice(0, 14).every((x) => x < 50), `FLV RMS per 100 ms: ${flvRms.join(' ')}`).toBe(true);
    expect(flvRms.slice(20, 34).every((x) => x > 1000), `FLV RMS per 100 ms: ${flvRms.join(' ')}`).toBe(true);
    // HLS segments take the audio delivered while they are open: when the transcode trails the silence already sent
    // (a loaded machine), the track waits for the camera's audio to catch up and the tone reaches a later segment
    // (seen: three segments holding 1.7 s of silence and nothing else). The tone is awaited, as in the ffmpeg case.
    const { rms: hlsRms, error } = await hlsToneRms(r, 8, 25_000);
    expect(hlsRms.filter((x) => x > 1000).length, `HLS RMS per 100 ms: ${hlsRms.join(' ')} ${error}`).toBeGreaterThan(8);
    expect(hlsRms[0]).toBeLessThan(50);
  }, 60_000);

  it('HLS_MUXER=ffmpeg with µ-law audio: ffmpeg finds the AAC stream (a silent frame leads the first keyframe) and copies it; the tone is in the segments', async () => {
    const r = await rig({ audio: 'g711u', audioDelayS: 1 }, { hlsMuxer: 'ffmpeg' });
    await until('3 HLS segments from ffmpeg', () => segments(r) >= 3, 30_000);
    // On a loaded machine the transcode's first frames can trail the silence already sent by a second or more; the
    // track then waits for the camera's audio to catch up (AacSilenceFiller) and the tone reaches a later segment
    // (seen: three segments holding 1.4 s of silence and nothing else). So the tone is awaited, not assumed by the third.
    const { rms, error } = await hlsToneRms(r, 5, 25_000);
    expect(rms.filter((x) => x > 1000).length, `HLS (ffmpeg) RMS per 100 ms: ${rms.join(' ')} ${error}`).toBeGreaterThan(5);
  }, 60_000);

  it('a camera without audio gets no audio track by default (video-only FLV); with silentAudio it gets a silent one', async () => {
    const [plain, silent] = await Promise.all([rig({}), rig({}, { silentAudio: true })]);
    await until('2 s of FLV audio', () => lastAudioMs(silent) > 2000 && plain.flv.length > 20);
    expect(Buffer.concat(plain.flv)[4]).toBe(0x01);
    expect(flvTags(Buffer.concat(plain.flv)).some((t) => t.type === 8)).toBe(false);
    const s = Buffer.concat(silent.flv);
    expect(s[4]).toBe(0x05);
    const audio = flvTags(s).filter((t) => t.type === 8);
    expect(audio.length).toBeGreaterThan(15);
    expect(audio.slice(1).every((t) => t.size === 2 + 6)).toBe(true); // the 6-byte silent frame
    expect(audioRms(s, 'flv').every((x) => x === 0)).toBe(true);
  }, 30_000);

  it('AAC the PSM does not name, starting after the first keyframe: left out (video-only FLV), counted, and reported once', async () => {
    const told: string[] = [];
    const r = await rig({ audio: 'aac', audioDelayS: 1, audioUndeclared: true }, { onUndeclaredAudio: (c) => told.push(c) });
    await until('undeclared audio units', () => r.media.audioUnitsUndeclared > 20);
    expect(told).toEqual(['aac']);
    expect(Buffer.concat(r.flv)[4]).toBe(0x01);
    expect(flvTags(Buffer.concat(r.flv)).some((t) => t.type === 8)).toBe(false);
  }, 30_000);
});
