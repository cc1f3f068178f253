import { spawn } from 'node:child_process';
import { GatewayError } from '../common/gateway-error';

/** Largest JPEG accepted back from ffmpeg. */
export const MAX_SNAPSHOT_JPEG_BYTES = 16 * 1024 * 1024;
/** How long one decode may take. */
export const SNAPSHOT_DECODE_TIMEOUT_MS = 5_000;

/** Decodes one video access unit (Annex B, with its parameter sets) to a JPEG. */
export interface JpegFrameEncoder {
  encode(codec: 'h264' | 'h265', keyframe: Buffer): Promise<Buffer>;
}

export const JPEG_FRAME_ENCODER = Symbol('JPEG_FRAME_ENCODER');

/**
 * The ffmpeg adapter: `-f h264|hevc -i pipe:0 -frames:v 1 -f image2 -c:v mjpeg pipe:1`.
 * Bounded in time and output size; the child is killed on either bound.
 */
export class FfmpegJpegFrameEncoder implements JpegFrameEncoder {
  constructor(private readonly ffmpegPath: string) {}

  encode(codec: 'h264' | 'h265', keyframe: Buffer): Promise<Buffer> {
    const args = [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-f', codec === 'h265' ? 'hevc' : 'h264', '-i', 'pipe:0',
      '-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg', '-q:v', '3', 'pipe:1',
    ];
    return new Promise((resolve, reject) => {
      const child = spawn(this.ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = '';
      let settled = false;
      const finish = (e: Error | null, v?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (e) {
          child.kill('SIGKILL');
          reject(e);
        } else resolve(v!);
      };
      const timer = setTimeout(() => finish(new GatewayError('INTERNAL', `decoding the keyframe to JPEG took longer than ${SNAPSHOT_DECODE_TIMEOUT_MS} ms`)), SNAPSHOT_DECODE_TIMEOUT_MS);
      child.on('error', (e) => finish(new GatewayError('INTERNAL', `could not run ffmpeg (${this.ffmpegPath}): ${e.message}`, undefined, { cause: e })));
      child.stdout.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_SNAPSHOT_JPEG_BYTES) return finish(new GatewayError('INTERNAL', `ffmpeg produced more than ${MAX_SNAPSHOT_JPEG_BYTES} bytes for one JPEG`));
        chunks.push(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        if (stderr.length < 4096) stderr += c.toString('utf8');
      });
      child.on('close', (code) => {
        const jpeg = Buffer.concat(chunks);
        if (code === 0 && jpeg.length > 2 && jpeg[0] === 0xff && jpeg[1] === 0xd8) return finish(null, jpeg);
        finish(new GatewayError('INTERNAL', `ffmpeg could not decode the keyframe (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' | ') || 'no JPEG produced'}`));
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(keyframe);
    });
  }
}
