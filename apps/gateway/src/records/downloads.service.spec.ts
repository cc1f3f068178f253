import { describe, it, expect, afterEach, beforeEach, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GatewayEvent } from '@gb/contracts';
import { EventBus } from '../events/event-bus';
import type { DevicesService } from '../devices/devices.service';
import type { OpenStreamOptions } from '../streams/streams.service';
import { DOWNLOAD_SAMPLE_MS, DownloadsService, MAX_ACTIVE_DOWNLOADS, type DownloadStreamHandle, type DownloadStreams } from './downloads.service';
import { DOWNLOAD_STALL_MS } from './download-job';

const DEVICE = '34020000001110000001';
const CHANNEL = '34020000001320000001';

/** A stream double: the test sets media seconds, writes the MP4 path, and closes it as StreamsService would. */
class FakeStreams implements DownloadStreams {
  opened: { deviceId: string; channelId: string; o: OpenStreamOptions; stream: DownloadStreamHandle & { media: { mediaSeconds: number } } }[] = [];
  stopped: string[] = [];
  failNext: Error | null = null;
  /** Opens that never settle (a stream whose set-up hangs). */
  hang = false;

  async open(deviceId: string, channelId: string, o: OpenStreamOptions): Promise<DownloadStreamHandle> {
    if (this.failNext) throw this.failNext;
    if (this.hang) return new Promise(() => undefined);
    const stream = { streamId: `${deviceId}_${channelId}_d${this.opened.length}`, state: 'playing', error: null as string | null, ended: false, onClosed: undefined as (() => void) | undefined, media: { mediaSeconds: 0 } };
    this.opened.push({ deviceId, channelId, o, stream });
    return stream;
  }

  async stop(streamId: string): Promise<void> {
    this.stopped.push(streamId);
    const s = this.opened.find((x) => x.stream.streamId === streamId)?.stream;
    if (s && s.state !== 'closed') this.close(s);
  }

  close(s: DownloadStreamHandle, ended = false): void {
    s.state = 'closed';
    s.ended = ended;
    s.onClosed?.();
  }
}

describe('DownloadsService', () => {
  let dir: string;
  let streams: FakeStreams;
  let svc: DownloadsService;
  let events: GatewayEvent[];

  beforeEach(() => {
    vi.useFakeTimers();
    dir = mkdtempSync(join(tmpdir(), 'gbgw-dl-'));
    streams = new FakeStreams();
    const bus = new EventBus();
    events = [];
    bus.subscribe((e) => events.push(e));
    const devices = { requireOnline: (id: string) => ({ deviceId: id }) } as unknown as DevicesService;
    svc = new DownloadsService({ DATA_DIR: dir, INVITE_TIMEOUT_MS: 8000, STREAM_NO_RTP_TIMEOUT_MS: 10_000 }, streams, devices, bus);
    svc.onModuleInit();
  });

  afterEach(async () => {
    await svc.onApplicationShutdown();
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('start() returns starting at once, opens an s=Download stream writing DATA_DIR/downloads/<id>.mp4, then reports downloading', async () => {
    const d = svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100, speed: 4 });
    expect(d).toMatchObject({ state: 'starting', progress: 0, deviceId: DEVICE, channelId: CHANNEL, speed: 4 });
    expect(d.id).toMatch(/^[0-9a-f]{16}$/);
    await vi.advanceTimersByTimeAsync(0);
    expect(streams.opened[0]!.o).toEqual({ kind: 'download', startTime: 1000, endTime: 1100, downloadSpeed: 4, remux: { mp4Path: join(dir, 'downloads', `${d.id}.mp4`) } });
    expect(svc.get(d.id).state).toBe('downloading');
  });

  it('a download pushes download.progress as media arrives and ends done with progress 1 on MediaStatus 121', async () => {
    const d = svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100 });
    await vi.advanceTimersByTimeAsync(0);
    const { stream, o } = streams.opened[0]!;
    const path = (o.remux as { mp4Path: string }).mp4Path;
    writeFileSync(path, Buffer.alloc(2048));
    stream.media.mediaSeconds = 50;
    await vi.advanceTimersByTimeAsync(DOWNLOAD_SAMPLE_MS);
    expect(svc.get(d.id)).toMatchObject({ state: 'downloading', progress: 0.5, bytes: 2048 });
    stream.media.mediaSeconds = 80;
    streams.close(stream, true);
    expect(svc.get(d.id)).toMatchObject({ state: 'done', progress: 1, error: null });
    const progress = events.filter((e) => e.type === 'download.progress').map((e) => (e.data as { state: string; progress: number }));
    expect(progress.map((p) => p.state)).toEqual(['starting', 'downloading', 'downloading', 'done']);
    expect(progress.at(-1)!.progress).toBe(1);
    expect(svc.file(d.id)).toMatchObject({ path, size: 2048, filename: `${CHANNEL}_19700101T001640Z_19700101T001820Z.mp4` });
  });

  it('file() before the download is done fails with CONFLICT (409)', async () => {
    const d = svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100 });
    await vi.advanceTimersByTimeAsync(0);
    expect(() => svc.file(d.id)).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it(`a download with no new media for ${DOWNLOAD_STALL_MS / 1000} s fails with a clear error and its stream is stopped (BYE)`, async () => {
    const d = svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100 });
    await vi.advanceTimersByTimeAsync(0);
    const { stream } = streams.opened[0]!;
    stream.media.mediaSeconds = 12;
    await vi.advanceTimersByTimeAsync(DOWNLOAD_STALL_MS + 2 * DOWNLOAD_SAMPLE_MS);
    const got = svc.get(d.id);
    expect(got.state).toBe('failed');
    expect(got.error).toMatch(/no media from the device for 30 s after 12 %/);
    expect(streams.stopped).toEqual([stream.streamId]);
  });

  it('a stream that cannot be opened fails the download with the cause', async () => {
    streams.failNext = new Error('device 34020000001110000001 refused the INVITE: 488 Not Acceptable Here');
    const d = svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100 });
    await vi.advanceTimersByTimeAsync(0);
    expect(svc.get(d.id)).toMatchObject({ state: 'failed', error: expect.stringContaining('488 Not Acceptable Here') });
  });

  it('a download whose stream set-up never settles fails once the INVITE and first-media bounds (plus margin) have passed', async () => {
    streams.hang = true;
    const d = svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100 });
    await vi.advanceTimersByTimeAsync(svc.startTimeoutMs - DOWNLOAD_SAMPLE_MS);
    expect(svc.get(d.id).state).toBe('starting');
    await vi.advanceTimersByTimeAsync(2 * DOWNLOAD_SAMPLE_MS);
    expect(svc.get(d.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/^no media within 20000 ms of asking the device/) });
  });

  it('cancel() of a running download stops its stream, deletes its file and forgets it', async () => {
    const d = svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100 });
    await vi.advanceTimersByTimeAsync(0);
    const { stream, o } = streams.opened[0]!;
    const path = (o.remux as { mp4Path: string }).mp4Path;
    writeFileSync(path, 'partial');
    await svc.cancel(d.id);
    expect(streams.stopped).toEqual([stream.streamId]);
    expect(existsSync(path)).toBe(false);
    expect(() => svc.get(d.id)).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(svc.list()).toEqual([]);
  });

  it(`start() beyond ${MAX_ACTIVE_DOWNLOADS} running downloads, or with a bad speed or range, is refused`, async () => {
    for (let i = 0; i < MAX_ACTIVE_DOWNLOADS; i++) svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100 });
    expect(() => svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100 })).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
    expect(() => svc.start(DEVICE, CHANNEL, { start: 1000, end: 1100, speed: 3 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => svc.start(DEVICE, CHANNEL, { start: 1100, end: 1100 })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
