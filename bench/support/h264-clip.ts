import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveFfmpeg } from '@gb/runtime';

export interface ClipOptions {
  width: number;
  height: number;
  fps: number;
  /** Target video bitrate, bits/s (CBR-like: maxrate = bitrate). */
  bitrate: number;
  /** Keyframe interval in frames (cameras at default settings: one per second). */
  gop: number;
  seconds: number;
}

export interface ClipFrame {
  /** One access unit, Annex B. */
  data: Buffer;
  keyframe: boolean;
}

export interface H264Clip {
  options: ClipOptions;
  frames: ClipFrame[];
  /** Measured elementary-stream bitrate, bits/s. */
  bitrate: number;
  /** Frames from one keyframe to the next, as encoded (checked, not assumed). */
  gopFrames: number;
}

/** 720p, 25 fps, 2 Mb/s, one keyframe a second, 10 s: what a camera at default settings sends. */
export const CAMERA_CLIP: ClipOptions = { width: 1280, height: 720, fps: 25, bitrate: 2_000_000, gop: 25, seconds: 10 };

/**
 * Encodes an ffmpeg test pattern once (x264, no B-frames, like most cameras) and cuts it into access units
 * with ffprobe's packet table. The .h264 file is cached in the temp dir, keyed by the options.
 */
export function loadH264Clip(o: ClipOptions = CAMERA_CLIP): H264Clip {
  const ffmpeg = resolveFfmpeg();
  const dir = join(tmpdir(), 'gb-bench-clips');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `testsrc2-${o.width}x${o.height}-${o.fps}fps-${o.bitrate}bps-g${o.gop}-${o.seconds}s.h264`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    const kbps = Math.round(o.bitrate / 1000);
    execFileSync(ffmpeg, [
      '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`, '-t', String(o.seconds),
      '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-bf', '0',
      '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`, '-g', String(o.gop), '-keyint_min', String(o.gop), '-sc_threshold', '0',
      '-f', 'h264', tmp,
    ]);
    renameSync(tmp, file);
  }
  const ffprobe = ffmpeg.replace(/ffmpeg$/, 'ffprobe');
  const probe = existsSync(ffprobe) ? ffprobe : 'ffprobe';
  const packets = (JSON.parse(execFileSync(probe, ['-v', 'error', '-show_packets', '-show_entries', 'packet=pos,size,flags', '-of', 'json', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as {
    packets: { pos: string; size: string; flags: string }[];
  }).packets;
  const data = readFileSync(file);
  const frames = packets.map((p) => ({ data: data.subarray(+p.pos, +p.pos + +p.size), keyframe: p.flags.startsWith('K') }));
  if (frames.length < o.fps || !frames[0]?.keyframe) throw new Error(`clip ${file} is unusable: ${frames.length} frames, first keyframe ${frames[0]?.keyframe}`);
  const keys = frames.flatMap((f, i) => (f.keyframe ? [i] : []));
  const gopFrames = keys.length > 1 ? (keys[keys.length - 1]! - keys[0]!) / (keys.length - 1) : frames.length;
  return { options: o, frames, bitrate: (data.length * 8 * o.fps) / frames.length, gopFrames };
}
