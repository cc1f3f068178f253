import { describe, it, expect } from 'vitest';
import { DOWNLOAD_STALL_MS, DownloadJob } from './download-job';

const SPEC = { id: '0123456789abcdef', deviceId: '34020000001110000001', channelId: '34020000001320000001', start: 1_700_000_000, end: 1_700_000_100, speed: 4 };

function running(now = 0): DownloadJob {
  const j = new DownloadJob(SPEC, now);
  j.attached('s1', now);
  return j;
}

describe('DownloadJob', () => {
  it('a new job is starting with progress 0 and its file URL', () => {
    const d = new DownloadJob(SPEC, 0).toDto();
    expect(d).toMatchObject({ id: SPEC.id, state: 'starting', progress: 0, bytes: 0, error: null, speed: 4, url: `/api/downloads/${SPEC.id}/file`, finishedAt: null });
  });

  it('sample() while downloading reports media seconds over the range, kept below 1 until done', () => {
    const j = running();
    j.sample(25, 1000, 1000);
    expect(j.toDto()).toMatchObject({ state: 'downloading', progress: 0.25, bytes: 1000 });
    j.sample(100, 4000, 2000);
    expect(j.progress).toBeLessThan(1);
    expect(j.state).toBe('downloading');
  });

  it('closed() after the device reported the end (MediaStatus 121) is done with progress 1, whatever share arrived', () => {
    const j = running();
    j.sample(40, 5000, 1000);
    j.closed({ ended: true, error: null, mediaSeconds: 41, bytes: 6000 }, 2000);
    expect(j.toDto()).toMatchObject({ state: 'done', progress: 1, bytes: 6000, error: null });
    expect(j.toDto().finishedAt).toBe(new Date(2000).toISOString());
  });

  it('closed() without MediaStatus after at least 95 % is done; below 95 % it fails saying how much arrived', () => {
    const ok = running();
    ok.closed({ ended: false, error: null, mediaSeconds: 95, bytes: 1 }, 1);
    expect(ok.state).toBe('done');
    const short = running();
    short.closed({ ended: false, error: null, mediaSeconds: 94, bytes: 1 }, 1);
    expect(short.state).toBe('failed');
    expect(short.error).toMatch(/after 94 % of the range \(94\.0 of 100 s\)/);
    expect(short.progress).toBeCloseTo(0.94);
  });

  it('closed() with no media or no file bytes fails, and a stream error is reported as the cause', () => {
    const none = running();
    none.closed({ ended: true, error: null, mediaSeconds: 0, bytes: 0 }, 1);
    expect(none.toDto()).toMatchObject({ state: 'failed', error: 'the stream closed before any media arrived' });
    const broken = running();
    broken.closed({ ended: false, error: 'ffmpeg exited (1)', mediaSeconds: 3, bytes: 10 }, 1);
    expect(broken.error).toBe('ffmpeg exited (1)');
  });

  it(`sample() with no new media for ${DOWNLOAD_STALL_MS} ms fails the job as stalled, once`, () => {
    const j = running(0);
    expect(j.sample(10, 100, 1000)).toBe('ok');
    expect(j.sample(10, 100, 1000 + DOWNLOAD_STALL_MS - 1)).toBe('ok');
    expect(j.sample(10, 100, 1000 + DOWNLOAD_STALL_MS)).toBe('stalled');
    expect(j.state).toBe('failed');
    expect(j.error).toMatch(/no media from the device for 30 s after 10 %/);
    expect(j.sample(10, 100, 1000 + 2 * DOWNLOAD_STALL_MS)).toBe('ok');
  });

  it('a finished job ignores later events: closed() after fail() and fail() after done change nothing', () => {
    const j = running();
    j.fail('cancelled', 5);
    j.closed({ ended: true, error: null, mediaSeconds: 100, bytes: 100 }, 6);
    expect(j.toDto()).toMatchObject({ state: 'failed', error: 'cancelled' });
    const d = running();
    d.closed({ ended: true, error: null, mediaSeconds: 100, bytes: 100 }, 6);
    d.fail('late', 7);
    expect(d.toDto()).toMatchObject({ state: 'done', error: null, progress: 1 });
  });
});
