import { afterAll, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import type { Stream } from '../streams/streams.service';
import { ChannelRecorder, RECORD_RETRY_MIN_MS } from './channel-recorder';
import type { RecordedSegment } from './ts-segment-recorder';

const root = mkdtempSync(join(tmpdir(), 'gb-chrec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What the recorder uses of a stream session: hold(), media (accessUnit, aacFrame, info()), 'closed', isOpen. */
class FakeStream extends EventEmitter {
  holds = 0;
  isOpen = true;
  readonly media = Object.assign(new EventEmitter(), { info: () => ({ audioTrack: false }) });
  hold(): () => void {
    this.holds++;
    return () => void this.holds--;
  }
}

const flush = () => new Promise((r) => setImmediate(r));
/**
 * Turns of the event loop (setImmediate is not faked) until `ok` or 10 s of real time (performance.now is not faked):
 * file I/O, an fsync included, completes in the thread pool and takes longer than any fixed number of turns on a busy disk.
 */
async function until(ok: () => boolean): Promise<void> {
  const end = performance.now() + 10_000;
  while (!ok() && performance.now() < end) await flush();
}

describe('ChannelRecorder', () => {
  it('an open that fails retries after a back-off with the cause; the stream is held while recording; its end finishes the segment and retries', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const stream = new FakeStream();
      const opens: string[] = [];
      const finished: RecordedSegment[] = [];
      let fail = true;
      const rec = new ChannelRecorder('34020000001110000001', '34020000001320000001', {
        root, segmentMs: 60_000,
        openStream: async (d, c) => {
          opens.push(`${d}/${c}`);
          if (fail) throw new Error('DEVICE_OFFLINE: device 34020000001110000001 is offline');
          return stream as unknown as Stream;
        },
        onOpened: () => undefined,
        onFinished: (_d, s) => finished.push(s),
        log: () => undefined,
      });
      await flush();
      expect(rec.status()).toMatchObject({ state: 'retrying', cause: 'DEVICE_OFFLINE: device 34020000001110000001 is offline', failures: 1 });
      fail = false;
      await vi.advanceTimersByTimeAsync(RECORD_RETRY_MIN_MS);
      expect(opens).toHaveLength(2);
      expect(stream.holds).toBe(1);
      for (const [i, f] of fixtureFrames('h264-176x144-30f').entries()) stream.media.emit('accessUnit', { kind: 'video', codec: 'h264', streamId: 0xe0, pts: i * 3600, dts: i * 3600, keyframe: f.key, data: f.data });
      expect(rec.status()).toMatchObject({ state: 'recording', cause: null });
      stream.emit('closed', { kind: 'failed', code: 'MEDIA_NO_RTP', message: 'no RTP for 10 s' });
      await until(() => rec.status().state === 'retrying');
      expect(stream.holds).toBe(0);
      expect(finished).toHaveLength(1);
      expect(rec.status()).toMatchObject({ state: 'retrying', cause: 'MEDIA_NO_RTP: no RTP for 10 s', failures: 1 });
      await rec.stop();
      expect(rec.status().state).toBe('stopped');
      await vi.advanceTimersByTimeAsync(10 * RECORD_RETRY_MIN_MS);
      expect(opens).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
