import { afterEach, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { StreamFailure } from '@gb/gb28181';
import { MediaSession, type MediaSessionOptions } from './media-session';
import { RtpPortMux } from './rtp-port-mux';

const sessions: MediaSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

function session(o: Partial<MediaSessionOptions>): MediaSession {
  const s = new MediaSession({ streamId: 'a_b', transport: 'udp', bindHost: '127.0.0.1', port: 0, ssrc: null, hlsRoot: tmpdir(), ffmpegPath: 'ffmpeg', ...o });
  sessions.push(s);
  return s;
}

function nextFailure(s: MediaSession): Promise<Error> {
  return new Promise((resolve) => s.once('failed', resolve));
}

describe('MediaSession failed', () => {
  it('TCP active to a port nobody listens on: emits failed with StreamFailure MEDIA_CONNECT_FAILED (the cause is the socket error)', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const s = session({ transport: 'tcp-active' });
    await s.open();
    const failed = nextFailure(s);
    s.receiver.connect('127.0.0.1', port);
    const e = await failed;
    expect(e).toBeInstanceOf(StreamFailure);
    expect(e).toMatchObject({ code: 'MEDIA_CONNECT_FAILED', message: expect.stringContaining(`127.0.0.1:${port}`) });
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('single shared port: a device answering with an SSRC another stream holds emits failed with StreamFailure MEDIA_WRONG_SSRC', async () => {
    const mux = new RtpPortMux('127.0.0.1', 0); // routing only: no socket needed
    const a = session({ streamId: 'a_1', ssrc: 100, mux });
    const b = session({ streamId: 'a_2', ssrc: 200, mux });
    await a.open();
    await b.open();
    const failed = nextFailure(b);
    b.receiver.setSsrc(100);
    expect(await failed).toMatchObject({ name: 'Gb28181Error', code: 'MEDIA_WRONG_SSRC' });
  });
});
