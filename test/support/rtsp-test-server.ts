import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small real RTSP server for tests (RFC 2326 over TCP, interleaved RTP): OPTIONS, DESCRIBE, SETUP (TCP interleaved
 * only), PLAY, TEARDOWN, with HTTP Basic authentication when credentials are given (wrong ones get 401). The video is
 * ffmpeg's: a 640x360 H.264 test pattern sent as RTP (-f rtp) to a UDP port of ours, whose packets are relayed to
 * every playing client; the SDP is ffmpeg's (sprop-parameter-sets included). With `audio: 'pcma'` a second track carries
 * a 440 Hz tone as G.711 A-law 8 kHz (a second ffmpeg, interleaved channels 2-3). Debian has no RTSP server package that
 * is installed here (no GStreamer RTSP server, no mediamtx), and ffmpeg cannot serve RTSP to a puller.
 */
export class RtspTestServer {
  private server?: net.Server;
  private udp?: dgram.Socket;
  private ffmpeg?: ChildProcess;
  private audioUdp?: dgram.Socket;
  private audioFfmpeg?: ChildProcess;
  private readonly clients = new Set<{ sock: net.Socket; playing: boolean }>();
  private sdp = '';
  private dir = mkdtempSync(join(tmpdir(), 'rtsp-src-'));
  port = 0;

  constructor(private readonly o: { username?: string; password?: string; path?: string; audio?: 'pcma' } = {}) {}

  async start(port = 0): Promise<number> {
    const relay = async (channel: number): Promise<dgram.Socket> => {
      const udp = dgram.createSocket('udp4');
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
      udp.on('message', (pkt) => {
        const head = Buffer.from([0x24, channel, pkt.length >> 8, pkt.length & 0xff]);
        for (const c of this.clients) if (c.playing && !c.sock.destroyed) c.sock.write(Buffer.concat([head, pkt]));
      });
      return udp;
    };
    const udp = (this.udp = await relay(0));
    const sdpPath = join(this.dir, 'a.sdp');
    this.ffmpeg = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p',
      '-f', 'rtp', '-sdp_file', sdpPath, `rtp://127.0.0.1:${udp.address().port}?pkt_size=1400`,
    ], { stdio: 'ignore' });
    const until = Date.now() + 10_000;
    while (!existsSync(sdpPath) || !readFileSync(sdpPath, 'utf8').includes('m=video')) {
      if (Date.now() > until) throw new Error('ffmpeg wrote no SDP');
      await new Promise((r) => setTimeout(r, 50));
    }
    const lines = readFileSync(sdpPath, 'utf8').split(/\r?\n/).filter((l) => l && !l.startsWith('c=') && !l.startsWith('m=') && !l.startsWith('a=rtpmap') && !l.startsWith('a=fmtp') && !l.startsWith('SDP:'));
    const media = readFileSync(sdpPath, 'utf8').split(/\r?\n/).filter((l) => l.startsWith('a=rtpmap') || l.startsWith('a=fmtp'));
    const tracks = ['m=video 0 RTP/AVP 96', ...media, 'a=control:trackID=0'];
    if (this.o.audio === 'pcma') {
      const audioUdp = (this.audioUdp = await relay(2));
      this.audioFfmpeg = spawn('ffmpeg', [
        '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000',
        '-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1', '-f', 'rtp', `rtp://127.0.0.1:${audioUdp.address().port}?pkt_size=1400`,
      ], { stdio: 'ignore' });
      tracks.push('m=audio 0 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'a=control:trackID=1');
    }
    this.sdp = [...lines, 'c=IN IP4 0.0.0.0', ...tracks, ''].join('\r\n');
    const server = net.createServer((sock) => this.onClient(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  get url(): string {
    return `rtsp://127.0.0.1:${this.port}/${this.o.path ?? 'live'}`;
  }

  private onClient(sock: net.Socket): void {
    const c = { sock, playing: false };
    this.clients.add(c);
    sock.on('error', () => undefined);
    sock.on('close', () => this.clients.delete(c));
    let buf = '';
    sock.on('data', (d: Buffer) => {
      if (d[0] === 0x24) return; // interleaved RTCP from the client
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const req = buf.slice(0, end);
        buf = buf.slice(end + 4);
        this.answer(c, req);
      }
    });
  }

  private answer(c: { sock: net.Socket; playing: boolean }, req: string): void {
    const [line, ...rest] = req.split('\r\n');
    const [method, uri] = (line ?? '').split(' ');
    const h = new Map(rest.map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const cseq = h.get('cseq') ?? '0';
    const reply = (status: string, headers: string[] = [], body = ''): void =>
      void c.sock.write(`RTSP/1.0 ${status}\r\nCSeq: ${cseq}\r\n${headers.map((x) => `${x}\r\n`).join('')}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`);
    if (method === 'OPTIONS') return reply('200 OK', ['Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN']);
    if (this.o.username !== undefined) {
      const want = `Basic ${Buffer.from(`${this.o.username}:${this.o.password ?? ''}`).toString('base64')}`;
      if (h.get('authorization') !== want) return reply('401 Unauthorized', ['WWW-Authenticate: Basic realm="rtsp-test"']);
    }
    if (!uri?.includes(`/${this.o.path ?? 'live'}`)) return reply('404 Not Found');
    if (method === 'DESCRIBE') return reply('200 OK', [`Content-Base: ${uri}/`, 'Content-Type: application/sdp'], this.sdp);
    if (method === 'SETUP') {
      if (!/interleaved/.test(h.get('transport') ?? '')) return reply('461 Unsupported Transport');
      const ch = /interleaved=(\d+-\d+)/.exec(h.get('transport') ?? '')?.[1] ?? (uri.includes('trackID=1') ? '2-3' : '0-1');
      return reply('200 OK', [`Transport: RTP/AVP/TCP;unicast;interleaved=${ch}`, 'Session: 12345678']);
    }
    if (method === 'PLAY') {
      reply('200 OK', ['Session: 12345678', 'Range: npt=0.000-']);
      c.playing = true;
      return;
    }
    if (method === 'TEARDOWN') {
      reply('200 OK', ['Session: 12345678']);
      c.sock.end();
      return;
    }
    reply('405 Method Not Allowed');
  }

  /** Idempotent: a second call (a test's finally after its own stop) returns at once. */
  async stop(): Promise<void> {
    for (const c of this.clients) c.sock.destroy();
    this.clients.clear();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
    this.udp?.close();
    this.udp = undefined;
    this.audioUdp?.close();
    this.audioUdp = undefined;
    const children = [this.ffmpeg, this.audioFfmpeg];
    this.ffmpeg = this.audioFfmpeg = undefined;
    for (const f of children) {
      if (f && f.exitCode === null && f.signalCode === null) {
        const closed = new Promise((r) => f.once('close', r));
        f.kill('SIGKILL');
        await closed;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
