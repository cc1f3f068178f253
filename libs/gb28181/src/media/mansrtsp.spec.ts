import { describe, expect, it } from 'vitest';
import { buildMansrtsp, type MansrtspCommand } from './mansrtsp';

describe('buildMansrtsp() (GB/T 28181-2016 Annex B)', () => {
  const cases: [string, MansrtspCommand, number, string][] = [
    ['pause', { action: 'pause' }, 1, 'PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n'],
    ['resume', { action: 'resume' }, 2, 'PLAY RTSP/1.0\r\nCSeq: 2\r\nRange: npt=now-\r\n\r\n'],
    ['seek to 100 s', { action: 'seek', position: 100 }, 3, 'PLAY RTSP/1.0\r\nCSeq: 3\r\nRange: npt=100-\r\n\r\n'],
    ['seek to 12.9 s (floored)', { action: 'seek', position: 12.9 }, 4, 'PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=12-\r\n\r\n'],
    ['seek before the start (clamped to 0)', { action: 'seek', position: -5 }, 5, 'PLAY RTSP/1.0\r\nCSeq: 5\r\nRange: npt=0-\r\n\r\n'],
    ['speed 2', { action: 'speed', scale: 2 }, 6, 'PLAY RTSP/1.0\r\nCSeq: 6\r\nScale: 2.0\r\n\r\n'],
    ['speed 0.25', { action: 'speed', scale: 0.25 }, 7, 'PLAY RTSP/1.0\r\nCSeq: 7\r\nScale: 0.25\r\n\r\n'],
    ['speed 0.5', { action: 'speed', scale: 0.5 }, 8, 'PLAY RTSP/1.0\r\nCSeq: 8\r\nScale: 0.50\r\n\r\n'],
    ['speed -1 (reverse)', { action: 'speed', scale: -1 }, 9, 'PLAY RTSP/1.0\r\nCSeq: 9\r\nScale: -1.0\r\n\r\n'],
    ['speed without a scale', { action: 'speed' }, 10, 'PLAY RTSP/1.0\r\nCSeq: 10\r\nScale: 1.0\r\n\r\n'],
  ];
  it.each(cases)('buildMansrtsp() for %s writes the Annex B body', (_name, command, cseq, body) => {
    expect(buildMansrtsp(command, cseq)).toBe(body);
  });
});
