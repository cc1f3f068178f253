import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PsDemuxer, Rfc4571Framer, StreamFailure, parseRtpPacket, type PsAccessUnit, type RtpPacket } from '@gb/gb28181';
import { fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { PsRtpSender } from './ps-rtp-sender';

const h264 = fixtureFrames('h264-176x144-30f'); // IDR at 0, 10, 20
const FRAME = 3600;
const SSRC = 200000001;

const units = (n = 30, from = 0, pad = 0): PsAccessUnit[] =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const f = h264[i % 30]!;
    // pad: a filler-data NAL (type 12) after the picture, to make frames big for the slow-receiver case
    const data = pad > 0 ? Buffer.concat([f.data, Buffer.from([0, 0, 0, 1, 0x0c]), Buffer.alloc(pad, 0xff), Buffer.from([0x80])]) : f.data;
    return { kind: 'video', codec: 'h264', streamId: 0xe0, pts: 90_000 + i * FRAME, keyframe: f.key, data };
  });

function demux(pkts: RtpPacket[]): PsAccessUnit[] {
  const d = new PsDemuxer();
  return [...pkts.flatMap((p) => d.push(p.payload, { marker: p.marker })), ...d.flush()].filter((u) => u.kind === 'video');
}

const waitFor = async (what: string, ok: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP receiver: collects RFC 4571 frames as RTP packets. */
function collect(sock: net.Socket, into: RtpPacket[]): void {
  const framer = new Rfc4571Framer();
  sock.on('data', (b) => {
    for (const f of framer.push(b)) into.push(parseRtpPacket(Buffer.from(f)));
  });
}

describe('PsRtpSender', () => {
  it('udp: datagrams from the bound port to the receiver carry the SSRC, PT 96, marker per frame and demux to 176x144 H.264', async () => {
    const rx = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => rx.close(() => r())));
    const got: { pkt: RtpPacket; port: number }[] = [];
    rx.on('message', (b, rinfo) => got.push({ pkt: parseRtpPacket(b), port: rinfo.port }));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    const tx = new PsRtpSender({ mode: 'udp', remoteHost: '127.0.0.1', remotePort: rx.address().port, ssrc: SSRC, bindHost: '127.0.0.1' });
    cleanups.push(() => tx.close());
    const port = await tx.open();
    expect(port).toBeGreaterThan(0);
    for (const u of units()) tx.push(u);
    await waitFor('every packet', () => got.length === tx.stats.packetsSent);
    expect(got.every((g) => g.port === port && g.pkt.ssrc === SSRC && g.pkt.payloadType === 96)).toBe(true);
    expect(got.filter((g) => g.pkt.marker)).toHaveLength(30);
    const v = demux(got.map((g) => g.pkt));
    expect(v.map((u) => u.pts)).toEqual(units().map((u) => u.pts));
    expect(tx.stats).toMatchObject({ connected: true, peer: `127.0.0.1:${rx.address().port}`, framesDropped: 0 });
    expect(tx.stats.bytesSent).toBe(got.reduce((n, g) => n + 12 + g.pkt.payload.length, 0));
  });

  it('tcp-connect (the receiver offered setup:passive and listens): RFC 4571 frames on the connection we open demux to the frames sent', async () => {
    const got: RtpPacket[] = [];
    const server = net.createServer((s) => collect(s, got));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const tx = new PsRtpSender({ mode: 'tcp-connect', remoteHost: '127.0.0.1', remotePort: (server.address() as net.AddressInfo).port, ssrc: SSRC, bindHost: '127.0.0.1' });
    cleanups.push(() => tx.close());
    expect(await tx.open()).toBe(0);
    const connected = new Promise<string>((r) => tx.once('connected', r));
    tx.start();
    tx.push(units(1)[0]!); // before the connection: dropped, not queued
    await connected;
    for (const u of units(20, 3)) tx.push(u); // starts at the keyframe of frame 10
    await waitFor('every packet', () => got.length === tx.stats.packetsSent);
    expect(got.every((p) => p.ssrc === SSRC)).toBe(true);
    expect(demux(got).map((u) => u.pts)).toEqual(units(13, 10).map((u) => u.pts));
    expect(tx.stats.framesDropped).toBe(1 + 7);
  });

  it('tcp-listen (the receiver offered setup:active): the receiver connects to our port and gets the stream; a second connection is refused', async () => {
    const tx = new PsRtpSender({ mode: 'tcp-listen', remoteHost: '127.0.0.1', remotePort: 9, ssrc: SSRC, bindHost: '127.0.0.1' });
    cleanups.push(() => tx.close());
    const port = await tx.open();
    tx.start();
    const got: RtpPacket[] = [];
    const c = net.connect({ host: '127.0.0.1', port });
    cleanups.push(() => void c.destroy());
    collect(c, got);
    await new Promise((r) => tx.once('connected', r));
    const second = net.connect({ host: '127.0.0.1', port });
    cleanups.push(() => void second.destroy());
    const secondEnd = await new Promise<string>((r) => {
      second.once('error', (e) => r((e as NodeJS.ErrnoException).code ?? 'error'));
      second.once('close', () => r('closed'));
    });
    expect(['ECONNREFUSED', 'ECONNRESET', 'closed']).toContain(secondEnd);
    for (const u of units()) tx.push(u);
    await waitFor('every packet', () => got.length === tx.stats.packetsSent);
    expect(demux(got)).toHaveLength(30);
  });

  it('tcp-connect to a port nobody listens on fails with MEDIA_CONNECT_FAILED after its retries; tcp-listen nobody connects to, after its timeout', async () => {
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const deadPort = (free.address() as net.AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const a = new PsRtpSender({ mode: 'tcp-connect', remoteHost: '127.0.0.1', remotePort: deadPort, ssrc: 1, bindHost: '127.0.0.1', connectTimeoutMs: 400, connectRetryMs: 100 });
    const b = new PsRtpSender({ mode: 'tcp-listen', remoteHost: '127.0.0.1', remotePort: 9, ssrc: 1, bindHost: '127.0.0.1', connectTimeoutMs: 300 });
    cleanups.push(() => a.close(), () => b.close());
    await b.open();
    const t0 = Date.now();
    const failures = Promise.all([new Promise<StreamFailure>((r) => a.once('failed', r)), new Promise<StreamFailure>((r) => b.once('failed', r))]);
    a.start();
    b.start();
    const [fa, fb] = await failures;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(fa.code).toBe('MEDIA_CONNECT_FAILED');
    expect(fa.message).toContain(`127.0.0.1:${deadPort}`);
    expect(fb.code).toBe('MEDIA_CONNECT_FAILED');
    expect(fb.message).toMatch(/did not connect/);
  });

  it('the receiver closing the TCP connection is a failure (once); close() is idempotent and ends the listener', async () => {
    const tx = new PsRtpSender({ mode: 'tcp-listen', remoteHost: '127.0.0.1', remotePort: 9, ssrc: 1, bindHost: '127.0.0.1' });
    const port = await tx.open();
    tx.start();
    const c = net.connect({ host: '127.0.0.1', port });
    await new Promise((r) => tx.once('connected', r));
    const failures: StreamFailure[] = [];
    tx.on('failed', (f) => failures.push(f));
    c.destroy();
    await waitFor('the failure', () => failures.length === 1);
    expect(failures[0]!.message).toMatch(/closed the TCP media connection/);
    tx.close();
    tx.close();
    const refused = await new Promise<boolean>((r) => {
      const again = net.connect({ host: '127.0.0.1', port });
      again.once('error', () => r(true));
      again.once('connect', () => {
        again.destroy();
        r(false);
      });
    });
    expect(refused).toBe(true);
    expect(failures).toHaveLength(1);
  });

  it('a TCP receiver that stops reading: frames are dropped to the next keyframe once maxQueuedBytes wait (counted, memory bounded); when it reads again the stream resumes at a keyframe and decodes', async () => {
    let rxSock!: net.Socket;
    const got: RtpPacket[] = [];
    const server = net.createServer((s) => {
      rxSock = s;
      s.pause();
    });
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const MAX = 256 * 1024;
    const tx = new PsRtpSender({ mode: 'tcp-connect', remoteHost: '127.0.0.1', remotePort: (server.address() as net.AddressInfo).port, ssrc: SSRC, bindHost: '127.0.0.1', maxQueuedBytes: MAX });
    cleanups.push(() => tx.close());
    await tx.open();
    const connected = new Promise((r) => tx.once('connected', r));
    tx.start();
    await connected;
    await waitFor('the accepted socket', () => rxSock !== undefined);
    // 600 frames of ~60 KB (36 MB): far more than the kernel's socket buffers and MAX hold while nobody reads
    const big = units(600, 0, 60_000);
    for (let k = 0; k < big.length; k++) {
      tx.push(big[k]!);
      if (k % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    const st = tx.stats;
    expect(st.overflows).toBeGreaterThanOrEqual(1);
    expect(st.framesDropped).toBeGreaterThan(100);
    // what was accepted for sending is bounded by the kernel buffers plus MAX and a frame, not the 36 MB pushed
    expect(st.bytesSent).toBeLessThan(36_000_000 / 2);
    // the receiver reads again: everything queued arrives, and after the drain the next keyframe resumes the stream
    collect(rxSock, got);
    rxSock.resume();
    await waitFor('the queue to drain', () => got.length === tx.stats.packetsSent, 10_000);
    const more = units(30, 600, 1000);
    for (const u of more) {
      tx.push(u);
      await new Promise((r) => setImmediate(r));
    }
    await waitFor('the resumed frames', () => got.length === tx.stats.packetsSent, 10_000);
    const v = demux(got);
    // every run of consecutive frames starts at a keyframe: a decoder never gets a frame whose references were dropped
    for (let i = 0; i < v.length; i++) {
      const gap = i === 0 || v[i]!.pts! - v[i - 1]!.pts! !== FRAME;
      if (gap) expect([i, v[i]!.keyframe]).toEqual([i, true]);
    }
    expect(v.at(-1)!.pts).toBe(more.at(-1)!.pts);
  });
});
