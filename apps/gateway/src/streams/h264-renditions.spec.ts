import { describe, it, expect } from 'vitest';
import { H264_RENDITION_SUFFIX, TRANSCODES_PER_CORE, renditionFor, sourceOfRendition, transcodeLimit } from './h264-renditions.service';
import { STREAM_ID_RE } from '../api/devices.dto';

describe('renditionFor() (which video a play answers)', () => {
  it.each([
    ['h264', 'h265', 'h264'],
    ['h264', 'h264', 'source'],
    ['h264', null, 'source'],
    ['auto', 'h265', 'source'],
    ['auto', 'h264', 'source'],
  ] as const)('asked %s of a %s stream: %s', (want, codec, out) => {
    expect(renditionFor(want, codec)).toBe(out);
  });
});

describe('transcodeLimit() (TRANSCODE_MAX)', () => {
  it('a configured bound is taken as is', () => {
    expect(transcodeLimit(1, 16)).toBe(1);
    expect(transcodeLimit(7, 2)).toBe(7);
  });
  it(`0 means ${TRANSCODES_PER_CORE} per CPU core, at least one core counted`, () => {
    expect(transcodeLimit(0, 4)).toBe(4 * TRANSCODES_PER_CORE);
    expect(transcodeLimit(0, 0)).toBe(TRANSCODES_PER_CORE);
  });
});

describe('rendition stream IDs', () => {
  const source = '34020000001320000001_34020000001310000001';
  it(`<source>${H264_RENDITION_SUFFIX} is a valid stream ID (media URLs, tokens) that names its source`, () => {
    expect(STREAM_ID_RE.test(source + H264_RENDITION_SUFFIX)).toBe(true);
    expect(sourceOfRendition(source + H264_RENDITION_SUFFIX)).toBe(source);
  });
  it('a camera stream or a playback stream names no rendition', () => {
    expect(sourceOfRendition(source)).toBeNull();
    expect(sourceOfRendition(`${source}_p1`)).toBeNull();
  });
});
