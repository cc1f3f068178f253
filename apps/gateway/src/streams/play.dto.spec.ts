import { describe, it, expect } from 'vitest';
import { playBodySchema } from './play.dto';

describe('playBodySchema (POST …/play)', () => {
  it.each([
    [undefined, {}],
    [{}, {}],
    [{ codec: 'h264' }, { codec: 'h264' }],
    [{ codec: 'auto', transport: 'tcp-passive' }, { codec: 'auto', transport: 'tcp-passive' }],
  ])('accepts %j as %j', (body, out) => {
    expect(playBodySchema.parse(body)).toEqual(out);
  });

  it.each([[{ codec: 'hevc' }], [{ codec: 'H264' }], [{ codec: 'h265' }], [{ codec: 264 }], [{ codec: 'h264', bitrate: 1 }], [{ transport: 'rtsp' }]])('refuses %j', (body) => {
    expect(playBodySchema.safeParse(body).success).toBe(false);
  });
});
