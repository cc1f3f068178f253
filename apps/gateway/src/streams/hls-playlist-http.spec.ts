import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnexBAuSplitter, isH264Keyframe, type PsAccessUnit, type SplitAccessUnit } from '@gb/gb28181';
import { HlsStore } from '../media/hls-store';
import { InternalHlsRemuxer } from '../media/internal-hls-remuxer';
import { MediaHttpController, PLAYLIST_WAIT_MS } from './media-http.controller';
import { MediaTokens } from './media-tokens';
import { StreamsService } from './streams.service';

const STREAM = '34020000001320000001_34020000001310000001';
const TOKEN = '9999999999.0123456789abcdef0123456789abcdef';

/** The one stream the controller sees: its media is an HlsStore (filled by a real InternalHlsRemuxer) and a directory. */
const media = { hls: new HlsStore(), hlsDir: '' };
let app: INestApplication;
let base: string;
let root: string;
let units: PsAccessUnit[] = [];

beforeAll(async () => {
  const es = execFileSync(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-t', '3', '-c:v', 'libx264', '-g', '25', '-bf', '0', '-f', 'h264', 'pipe:1'], { maxBuffer: 64 << 20 });
  const split = new AnnexBAuSplitter('h264', 8 << 20);
  const out: SplitAccessUnit[] = [];
  split.push(es, undefined, undefined, out);
  split.push(Buffer.from([0, 0, 0, 1, 0x09, 0xf0]), undefined, undefined, out);
  units = out.map((u, i) => ({ kind: 'video', codec: 'h264', pts: i * 3600, keyframe: isH264Keyframe(u.data), data: u.data }) as PsAccessUnit);
  const streams = { get: (id: string) => (id === STREAM ? { media, state: 'playing', error: undefined } : undefined), touch: () => undefined };
  const mod = await Test.createTestingModule({
    controllers: [MediaHttpController],
    providers: [
      { provide: StreamsService, useValue: streams },
      { provide: MediaTokens, useValue: { verify: (id: string, t: string | undefined) => id === STREAM && t === TOKEN } },
    ],
  }).compile();
  app = mod.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
}, 30_000);
afterAll(async () => {
  await app?.close();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const url = (file: string) => `${base}/live/${STREAM}/${file}?token=${TOKEN}`;

describe('GET /live/:streamId/index.m3u8 and segments (HLS from memory)', () => {
  it('a playlist request made before any segment exists waits and returns the playlist the muxer announces, URIs with the token', async () => {
    root = mkdtempSync(join(tmpdir(), 'hls-http-'));
    media.hls = new HlsStore();
    media.hlsDir = join(root, 'stream');
    const remuxer = new InternalHlsRemuxer({ hlsDir: media.hlsDir, hlsTime: 1, store: media.hls });
    const pending = fetch(url('index.m3u8'));
    await new Promise((r) => setTimeout(r, 200)); // the request is now waiting on the store
    for (const u of units.slice(0, 51)) remuxer.write(u);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/vnd\.apple\.mpegurl/);
    expect(await r.text()).toMatch(/^#EXTM3U\n[\s\S]*#EXTINF:1\.000,\nseg_00000\.ts\?token=9999999999\.0123456789abcdef0123456789abcdef\n$/);
    await remuxer.idle();
    await remuxer.close();
  });

  it('a listed segment is served from memory (the same bytes even once its file is gone); one not in memory is read from disk', async () => {
    root = mkdtempSync(join(tmpdir(), 'hls-http-'));
    media.hls = new HlsStore();
    media.hlsDir = join(root, 'stream');
    const remuxer = new InternalHlsRemuxer({ hlsDir: media.hlsDir, hlsTime: 1, store: media.hls });
    for (const u of units.slice(0, 51)) remuxer.write(u);
    await remuxer.idle();
    const onDisk = readFileSync(join(media.hlsDir, 'seg_00001.ts'));
    rmSync(join(media.hlsDir, 'seg_00001.ts'));
    const fromMemory = await fetch(url('seg_00001.ts'));
    expect([fromMemory.status, fromMemory.headers.get('content-type')]).toEqual([200, 'video/mp2t']);
    expect(Buffer.from(await fromMemory.arrayBuffer()).equals(onDisk)).toBe(true);
    media.hls.dropSegment('seg_00000.ts');
    const fromDisk = await fetch(url('seg_00000.ts'));
    expect(fromDisk.status).toBe(200);
    expect(Buffer.from(await fromDisk.arrayBuffer()).equals(readFileSync(join(media.hlsDir, 'seg_00000.ts')))).toBe(true);
    expect((await fetch(url('seg_00007.ts'))).status).toBe(404);
    await remuxer.close();
  });

  it('a stream whose media closed before a playlist was announced answers 404 NOT_READY at once, not after PLAYLIST_WAIT_MS', async () => {
    root = mkdtempSync(join(tmpdir(), 'hls-http-'));
    media.hls = new HlsStore();
    const t0 = Date.now();
    const pending = fetch(url('index.m3u8'));
    await new Promise((r) => setTimeout(r, 100));
    media.hls.close();
    const r = await pending;
    expect([r.status, ((await r.json()) as { code: string }).code]).toEqual([404, 'NOT_READY']);
    expect(Date.now() - t0).toBeLessThan(PLAYLIST_WAIT_MS / 2);
  });

  it('the controller does no synchronous file I/O (no *Sync call in its source)', () => {
    root = mkdtempSync(join(tmpdir(), 'hls-http-'));
    expect(readFileSync(join(__dirname, 'media-http.controller.ts'), 'utf8')).not.toMatch(/\w+Sync\(/);
  });
});
