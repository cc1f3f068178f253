import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVerified, formatProgress, type DownloadProgress } from './download-model';

describe('downloadVerified', () => {
  const body = randomBytes(300_000);
  const sha = createHash('sha256').update(body).digest('hex');
  let server: Server;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vision-dl-'));
    server = createServer((req, res) => {
      if (req.url === '/model.onnx') {
        res.writeHead(200, { 'content-length': body.length });
        // Several chunks so progress is reported more than once.
        let off = 0;
        const push = (): void => {
          if (off >= body.length) return void res.end();
          res.write(body.subarray(off, off + 65536));
          off += 65536;
          setImmediate(push);
        };
        push();
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: '/model.onnx' }).end();
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('downloadVerified() follows a redirect, writes the file, verifies sha256 and reports progress up to 100 %', async () => {
    const dest = join(dir, 'ok', 'yolox_nano.onnx');
    const seen: DownloadProgress[] = [];
    const r = await downloadVerified({ url: `${base}/redirect`, dest, sha256: sha, onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
    expect(r.bytes).toBe(body.length);
    expect((await readFile(dest)).equals(body)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toMatchObject({ bytes: body.length, total: body.length });
    expect(formatProgress(seen.at(-1)!)).toMatch(/^0\.3 MiB \/ 0\.3 MiB \(100 %\) [\d.]+ MiB\/s$/);
  });

  it('downloadVerified() with a wrong pinned sha256 fails VISION_CHECKSUM_MISMATCH and leaves neither file', async () => {
    const dest = join(dir, 'bad', 'yolox_nano.onnx');
    await expect(downloadVerified({ url: `${base}/model.onnx`, dest, sha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'VISION_CHECKSUM_MISMATCH' });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('downloadVerified() of a 404 fails VISION_DOWNLOAD_FAILED naming the status', async () => {
    const dest = join(dir, 'missing', 'yolox_nano.onnx');
    await expect(downloadVerified({ url: `${base}/nope`, dest, sha256: sha })).rejects.toMatchObject({ code: 'VISION_DOWNLOAD_FAILED', message: expect.stringContaining('404') });
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('formatProgress() without a known total prints bytes and rate only', () => {
    expect(formatProgress({ bytes: 1048576, total: null, rate: 2097152 })).toBe('1.0 MiB 2.0 MiB/s');
  });
});
