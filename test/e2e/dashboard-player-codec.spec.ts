import { describe, it, expect } from 'vitest';
import { HEVC_MSE_TYPES, browserDecodesHevc, playBody, preferredTransport } from '../../web/src/player-codec';

describe('browserDecodesHevc()', () => {
  it('true when MSE takes either the hvc1 or the hev1 form', () => {
    expect(browserDecodesHevc((t) => t === HEVC_MSE_TYPES[0])).toBe(true);
    expect(browserDecodesHevc((t) => t === HEVC_MSE_TYPES[1])).toBe(true);
  });
  it('false when MSE takes neither, throws, or is absent', () => {
    expect(browserDecodesHevc((t) => t.includes('avc1'))).toBe(false);
    expect(browserDecodesHevc(() => {
      throw new Error('bad type');
    })).toBe(false);
    expect(browserDecodesHevc(undefined)).toBe(false);
  });
});

describe('playBody()', () => {
  it('a browser without HEVC asks for H.264; one with it asks for the camera\'s own video', () => {
    expect(playBody({ transport: 'udp' }, false)).toEqual({ transport: 'udp', codec: 'h264' });
    expect(playBody({}, true)).toEqual({});
  });
});

describe('preferredTransport()', () => {
  it('WebRTC first unless ?transport= or the stored preference says flv or hls; the URL wins; unknown values are ignored', () => {
    expect(preferredTransport('', null)).toBe('webrtc');
    expect(preferredTransport('?transport=flv', null)).toBe('flv');
    expect(preferredTransport('', 'hls')).toBe('hls');
    expect(preferredTransport('?transport=webrtc', 'flv')).toBe('webrtc');
    expect(preferredTransport('?transport=rtmp', 'nonsense')).toBe('webrtc');
  });
});
