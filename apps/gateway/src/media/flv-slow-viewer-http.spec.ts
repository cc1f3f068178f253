import { describe, expect, it, afterEach } from 'vitest';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { FLV_MAX_SINK_BACKLOG, FlvFanout, writableFlvSink, type FlvSink } from './flv-fanout';

/** FLV file header (video only) + PreviousTagSize0 (Adobe FLV spec v10 §E.2). */
function flvHeader(): Buffer {
  return Buffer.from([0x46, 0x4c, 0x56, 1, 0x01, 0, 0, 0, 9, 0, 0, 0, 0]);
}

/** One AVC keyframe tag (§E.4.3): FrameType 1 | CodecID 7, AVCPacketType 1 (NALU), `bytes` of payload. */
function videoTag(bytes: number, ts: number): Buffer {
  const size = 5 + bytes;
  const tag = Buffer.alloc(11 + size + 4);
  tag[0] = 9;
  tag.writeUIntBE(size, 1, 3);
  tag.writeUIntBE(ts & 0xffffff, 4, 3);
  tag[7] = (ts >>> 24) & 0xff;
  tag[11] = 0x17;
  tag[12] = 1;
  tag.writeUInt32BE(11 + size, 11 + size);
  return tag;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real HTTP server that attaches every GET as an FLV viewer of `fanout`, as the media controller does. */
async function flvServer(fanout: FlvFanout): Promise<{ port: number; responses: http.ServerResponse[] }> {
  const responses: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/x-flv', 'cache-control': 'no-cache' });
    res.flushHeaders();
    const unsubscribe = fanout.subscribe(writableFlvSink(res));
    res.on('close', unsubscribe);
    responses.push(res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((done) => server.close(() => done()));
  });
  return { port: (server.address() as AddressInfo).port, responses };
}

describe('FlvFanout with a viewer that stops reading (HTTP)', () => {
  it('a viewer whose socket never reads is dropped once its backlog passes FLV_MAX_SINK_BACKLOG: its connection reset and destroyed, the queued bytes freed', async () => {
    const fanout = new FlvFanout();
    cleanups.push(() => fanout.close());
    fanout.pushHeader(flvHeader());
    const { port, responses } = await flvServer(fanout);

    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => void client.destroy());
    let received = 0;
    const clientClosed = new Promise<string>((done) => {
      client.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
      client.on('close', () => done('close'));
    });
    client.on('data', (d: Buffer) => (received += d.length));
    client.write('GET /flv/s.flv HTTP/1.1\r\nhost: x\r\n\r\n');
    client.once('data', () => client.pause()); // the response head arrived; from now on nothing is read
    await waitUntil(() => fanout.subscribers === 1 && responses.length === 1, 2000);
    const res = responses[0]!;

    // Push 64 KiB tags until the fan-out drops the viewer (kernel buffers on loopback take a few MB first).
    let maxQueued = 0;
    let pushed = 0;
    for (let i = 0; fanout.subscribers > 0; i++) {
      if (pushed > 512 * 1024 * 1024) throw new Error('the slow viewer was never dropped');
      const tag = videoTag(64 * 1024, i * 40);
      fanout.pushTag(tag);
      pushed += tag.length;
      maxQueued = Math.max(maxQueued, fanout.queuedBytes);
      if (i % 16 === 0) await new Promise((r) => setImmediate(r));
    }

    expect(fanout.dropped).toBe(1);
    expect(maxQueued).toBeGreaterThan(FLV_MAX_SINK_BACKLOG);
    expect(maxQueued).toBeLessThan(FLV_MAX_SINK_BACKLOG + 2 * 64 * 1024 + 64);
    expect(fanout.queuedBytes).toBe(0);
    expect(res.destroyed).toBe(true);
    expect(res.socket === null || res.socket.destroyed).toBe(true);
    // The connection was reset, not ended: when the client reads again it learns at once (close or ECONNRESET)
    // instead of draining megabytes of queued video first: the queue (ours and the kernel's) was thrown away.
    const receivedWhilePaused = received;
    client.resume();
    expect(['close', 'ECONNRESET']).toContain(await withTimeout(clientClosed, 2000));
    expect(received - receivedWhilePaused).toBeLessThan(FLV_MAX_SINK_BACKLOG / 4);
    expect(received).toBeLessThan(pushed - FLV_MAX_SINK_BACKLOG);
  });

  it('a viewer that keeps reading stays subscribed while the same bytes flow', async () => {
    const fanout = new FlvFanout();
    cleanups.push(() => fanout.close());
    fanout.pushHeader(flvHeader());
    const { port } = await flvServer(fanout);
    let received = 0;
    const client = net.connect(port, '127.0.0.1');
    cleanups.push(() => void client.destroy());
    client.on('data', (d: Buffer) => (received += d.length));
    client.write('GET /flv/s.flv HTTP/1.1\r\nhost: x\r\n\r\n');
    await waitUntil(() => fanout.subscribers === 1, 2000);
    let pushed = 0;
    for (let i = 0; pushed < 4 * FLV_MAX_SINK_BACKLOG; i++) {
      const tag = videoTag(64 * 1024, i * 40);
      fanout.pushTag(tag);
      pushed += tag.length;
      // Pace like a camera would (a burst per frame), giving the reader its turn.
      await waitUntil(() => fanout.queuedBytes < FLV_MAX_SINK_BACKLOG / 2, 2000);
    }
    await waitUntil(() => received >= pushed, 5000);
    expect(fanout.subscribers).toBe(1);
    expect(fanout.dropped).toBe(0);
  });

  it('close() of the fan-out (the stream ended) ends each viewer gracefully, not destroyed; twice is harmless', () => {
    const fanout = new FlvFanout();
    const calls: string[] = [];
    const sink: FlvSink = { write: () => calls.push('write'), backlog: 0, close: () => calls.push('close'), destroy: () => calls.push('destroy') };
    fanout.subscribe(sink);
    fanout.close();
    fanout.close();
    expect(calls).toEqual(['close']);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))]);
}
