import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_AAC_CONFIG, aacSilentFrame, adtsFrame } from '@gb/gb28181';
import { fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { TsSegmentRecorder, segmentPath, type RecordedSegment } from './ts-segment-recorder';

const root = mkdtempSync(join(tmpdir(), 'gb-ts-rec-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function probe(file: string): string[] {
  const j = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', file], { timeout: 20_000 }).toString()) as { streams: { codec_name: string; nb_read_frames: string }[] };
  return j.streams.map((s) => `${s.codec_name}:${s.nb_read_frames}`);
}

/** [codec_type, pts in 90 kHz] of every packet, in file order. */
function packets(file: string): [string, number][] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=codec_type,pts', '-of', 'csv=p=0', file], { timeout: 20_000 }).toString();
  return out.trim().split('\n').map((l) => l.split(',')).map(([type, pts]) => [type!, Number(pts)]);
}

/** `audioAheadMs`: each AAC frame arrives this long before the video frame of its time (the camera's audio path is faster). */
async function record(codec: 'h264' | 'h265', channelId: string, audio = false, audioAheadMs = 0): Promise<RecordedSegment[]> {
  const frames = fixtureFrames(codec === 'h264' ? 'h264-176x144-30f' : 'h265-200x120-30f');
  const finished: RecordedSegment[] = [];
  let clock = Date.UTC(2026, 11, 3, 8);
  const r = new TsSegmentRecorder({ root, channelId, segmentMs: 400, audio, now: () => clock, onFinished: (s) => finished.push({ ...s }) });
  const silent = adtsFrame(GATEWAY_AAC_CONFIG, aacSilentFrame(GATEWAY_AAC_CONFIG.channels));
  frames.forEach((f, i) => {
    const t = 90_000 + i * 3600; // 25 fps
    r.push({ kind: 'video', codec, streamId: 0xe0, pts: t, dts: t, keyframe: f.key, data: f.data });
    if (audio) for (let k = 0; k < 2; k++) r.pushAac(silent, t + k * 1800 + audioAheadMs * 90);
    clock += 40;
  });
  await r.close();
  return finished;
}

describe('TsSegmentRecorder', () => {
  it('H.264 at 25 fps with a keyframe every 10 frames and 400 ms segments: three adjacent segments of 10 frames, each decoding on its own', async () => {
    const segs = await record('h264', '34020000001320000001');
    expect(segs.map((s) => s.path)).toEqual(segs.map((s) => segmentPath('34020000001320000001', s.startAt)));
    expect(segs.map((s) => [s.endAt! - s.startAt, s.codec])).toEqual([[400, 'h264'], [400, 'h264'], [400, 'h264']]);
    expect(segs[1]!.startAt).toBe(segs[0]!.endAt);
    expect(segs[2]!.startAt).toBe(segs[1]!.endAt);
    for (const s of segs) {
      expect(probe(join(root, s.path))).toEqual(['h264:10']);
      expect(readFileSync(join(root, s.path)).length).toBe(s.bytes);
    }
  });

  it('H.265: the segments are HEVC in MPEG-TS (stream type 0x24)', async () => {
    const segs = await record('h265', '34020000001320000002');
    expect(segs.map((s) => s.codec)).toEqual(['h265', 'h265', 'h265']);
    for (const s of segs) expect(probe(join(root, s.path))).toEqual(['hevc:10']);
  });

  it('with audio: the AAC track is muxed beside the video in every segment', async () => {
    const segs = await record('h264', '34020000001320000003', true);
    for (const s of segs) expect(probe(join(root, s.path)).sort()).toEqual(['aac:20', 'h264:10']);
  });

  it('audio arriving 300 ms ahead of the video is written with the video of its time: every segment has audio from its first frame', async () => {
    const segs = await record('h264', '34020000001320000004', true, 300);
    expect(segs).toHaveLength(3);
    let audioFrames = 0;
    for (const [i, s] of segs.entries()) {
      const p = packets(join(root, s.path));
      const video = p.filter(([t]) => t === 'video').map(([, pts]) => pts);
      const audio = p.filter(([t]) => t === 'audio').map(([, pts]) => pts);
      audioFrames += audio.length * 4; // four ADTS frames per PES
      // (the first segment: the audio of its first 300 ms came before the recorder's first keyframe, so there is none)
      if (i === 0) continue;
      // A later segment's first audio is at its first video frame (not 300 ms later, as when audio went where it arrived).
      expect(Math.min(...audio) - Math.min(...video)).toBeLessThanOrEqual(0);
      expect(Math.min(...audio) - Math.min(...video)).toBeGreaterThan(-3600);
    }
    expect(audioFrames).toBeGreaterThanOrEqual(56); // 60 pushed; the last PES may hold fewer than four
  });
});
