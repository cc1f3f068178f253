import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RTMP_HANDSHAKE_BYTES } from '@gb/gb28181';
import { RtmpPushServer, type PushAuthorizer } from './rtmp-push.server';

let server: RtmpPushServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Sends `bytes` on a raw socket and resolves with what came back once the server closed the connection. */
function sendUntilClosed(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const got: Buffer[] = [];
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('the server kept the connection open'));
    }, 5_000);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(got));
    });
    s.write(bytes);
  });
}

const handshake = Buffer.concat([Buffer.from([3]), Buffer.alloc(RTMP_HANDSHAKE_BYTES, 1), Buffer.alloc(RTMP_HANDSHAKE_BYTES, 2)]);
const noAuth: PushAuthorizer = { publish: async () => ({ ok: false, code: 'PUSH_UNKNOWN_CHANNEL', message: 'none' }) };

describe('RtmpPushServer with hostile peers (raw sockets)', () => {
  it('a wrong C0, an oversized message, and an oversized chunk size each close that connection only; the server takes the next one', async () => {
    const logs: string[] = [];
    server = new RtmpPushServer(noAuth, (_l, m) => logs.push(m));
    const port = await server.listen(0, '127.0.0.1');
    await sendUntilClosed(port, Buffer.concat([Buffer.from([6]), Buffer.alloc(RTMP_HANDSHAKE_BYTES)]));
    const s1 = await sendUntilClosed(port, Buffer.concat([handshake, Buffer.from([6, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0])]));
    expect(s1.length).toBe(1 + 2 * RTMP_HANDSHAKE_BYTES); // S0 S1 S2, then closed
    await sendUntilClosed(port, Buffer.concat([handshake, Buffer.from([2, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff])]));
    expect(logs.join('\n')).toMatch(/RTMP_BAD_HANDSHAKE[\s\S]*RTMP_MESSAGE_TOO_LARGE[\s\S]*RTMP_CHUNK_SIZE_TOO_LARGE/);
    // The server still answers a handshake.
    const again = await new Promise<number>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      let n = 0;
      s.on('data', (d: Buffer) => {
        n += d.length;
        if (n >= 1 + 2 * RTMP_HANDSHAKE_BYTES) {
          s.destroy();
          resolve(n);
        }
      });
      s.write(handshake.subarray(0, 1 + RTMP_HANDSHAKE_BYTES));
    });
    expect(again).toBe(1 + 2 * RTMP_HANDSHAKE_BYTES);
  });
});
