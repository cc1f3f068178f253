import { describe, it, expect } from 'vitest';
import { parseMansrtsp } from './mansrtsp.parser';

describe('parseMansrtsp()', () => {
  it.each([
    ['PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n', { method: 'PAUSE', cseq: 1, pauseTime: 'now' }],
    ['PLAY RTSP/1.0\r\nCSeq: 2\r\nRange: npt=now-\r\n\r\n', { method: 'PLAY', cseq: 2, rangeFrom: 'now' }],
    ['PLAY RTSP/1.0\r\nCSeq: 3\r\nRange: npt=100-\r\n\r\n', { method: 'PLAY', cseq: 3, rangeFrom: 100 }],
    ['PLAY MANSRTSP/1.0\nCSeq: 4\nScale: 2.0\n', { method: 'PLAY', cseq: 4, scale: 2 }],
    ['PLAY RTSP/1.0\r\nCSeq: 5\r\nScale: -0.5\r\n\r\n', { method: 'PLAY', cseq: 5, scale: -0.5 }],
    ['TEARDOWN RTSP/1.0\r\nCSeq: 6\r\n\r\n', { method: 'TEARDOWN', cseq: 6 }],
  ])('reads %j', (body, want) => {
    expect(parseMansrtsp(body)).toMatchObject({ ...want, raw: body });
  });

  it('rejects a body without an RTSP request line and one over MAX_MANSRTSP_BYTES', () => {
    expect(() => parseMansrtsp('<Control><CmdType>x</CmdType></Control>')).toThrow(/request line/);
    expect(() => parseMansrtsp('PLAY RTSP/1.0\r\n' + 'X: y\r\n'.repeat(1000))).toThrow(/exceeds/);
  });
});
