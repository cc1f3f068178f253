// werift (the gateway's WhepPeer) vs node-datachannel as the WHEP sender, side by side in one process: Chromium's time
// to 'connected' and to the first decoded frame, and this process's CPU per viewer with 8 viewers of a 720p 2 Mb/s
// H.264 stream (the bench clip, packetised once, GOP burst on join as in the gateway). node-datachannel is not a
// dependency of the project: install it outside the repository and point at it:
//   npm install --prefix /some/dir node-datachannel@0.33.4
//   NODE_DATACHANNEL_DIR=/some/dir npx tsx bench/webrtc-engines.measure.ts
// Figures: docs/decisions/webrtc.md ("werift vs node-datachannel, measured").
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { H264RtpPacketizer } from '../libs/gb28181/src';
import { CAMERA_CLIP, loadH264Clip } from '../bench/support/h264-clip';
import { launchChromium } from '../test/support/chromium';
import { WhepPeer } from '../apps/gateway/src/webrtc/whep-peer';
import { GopCache } from '../apps/gateway/src/webrtc/gop-cache';

type Ndc = {
  PeerConnection: new (name: string, config: { iceServers: string[] }) => {
    addTrack(media: unknown): { sendMessageBinary(b: Buffer): boolean; onOpen(cb: () => void): void };
    onGatheringStateChange(cb: (state: string) => void): void;
    setRemoteDescription(sdp: string, type: string): void;
    localDescription(): { sdp: string } | null;
    close(): void;
  };
  Video: new (mid: string, dir: string) => { addH264Codec(pt: number): void; addSSRC(ssrc: number, name?: string, msid?: string, trackId?: string): void };
};
const NDC_DIR = process.env.NODE_DATACHANNEL_DIR;
if (!NDC_DIR) throw new Error('set NODE_DATACHANNEL_DIR to a directory where `npm install --prefix <dir> node-datachannel@0.33.4` ran');
const ndc = createRequire(`${NDC_DIR.replace(/\/+$/, '')}/`)('node-datachannel') as Ndc;
const VIEWERS = 8;

interface Sender {
  connected: boolean;
  sent: boolean;
  send(packets: Buffer[]): void;
  close(): void;
}

const clip = loadH264Clip(CAMERA_CLIP);
const packetizer = new H264RtpPacketizer();
const gop = new GopCache();
const senders = new Set<Sender>();
let idx = 0;
let pts = 0;
const tick = setInterval(() => {
  const f = clip.frames[idx++ % clip.frames.length]!;
  pts += 3600;
  const frame = packetizer.push({ data: f.data, pts });
  if (!frame) return;
  for (const s of senders) {
    if (!s.connected) continue;
    if (!s.sent) {
      if (!frame.keyframe) s.send(gop.burst(frame.timestamp));
      s.sent = true;
    }
    s.send(frame.packets);
  }
  gop.push(frame);
}, 40);

function weriftSender(offer: string): Promise<{ answer: string; sender: Sender }> {
  const s: Sender = { connected: false, sent: false, send: () => undefined, close: () => undefined };
  const peer = new WhepPeer({ onConnected: () => (s.connected = true), onClosed: () => senders.delete(s) });
  s.send = (p) => {
    if (!peer.sending) peer.sendBurst(p);
    else for (const x of p) peer.sendFrame(true, [x]);
  };
  s.close = () => void peer.close();
  return peer.answer(offer).then((answer) => ({ answer, sender: s }));
}

function ndcSender(offer: string): Promise<{ answer: string; sender: Sender }> {
  const pt = Number(/a=rtpmap:(\d+) H264\/90000[\s\S]*?a=fmtp:\1 [^\r\n]*packetization-mode=1[^\r\n]*profile-level-id=42e01f/.exec(offer)?.[1] ?? /a=fmtp:(\d+) [^\r\n]*packetization-mode=1;profile-level-id=42e01f/.exec(offer)?.[1]);
  const mid = /m=video[\s\S]*?a=mid:(\S+)/.exec(offer)![1]!;
  const pc = new ndc.PeerConnection('whep', { iceServers: [] });
  const video = new ndc.Video(mid, 'SendOnly');
  video.addH264Codec(pt);
  const ssrc = 1234 + Math.floor(Math.random() * 1e6);
  video.addSSRC(ssrc, 'gw', 'stream', 'video');
  const track = pc.addTrack(video);
  const s: Sender = { connected: false, sent: false, send: () => undefined, close: () => pc.close() };
  let seq = 0;
  s.send = (packets) => {
    for (const p of packets) {
      const c = Buffer.from(p);
      c[1] = (c[1]! & 0x80) | pt;
      c.writeUInt16BE(seq++ & 0xffff, 2);
      c.writeUInt32BE(ssrc, 8);
      track.sendMessageBinary(c);
    }
  };
  track.onOpen(() => (s.connected = true));
  return new Promise((resolve) => {
    pc.onGatheringStateChange((st) => {
      if (st === 'complete') resolve({ answer: pc.localDescription()!.sdp, sender: s });
    });
    pc.setRemoteDescription(offer, 'offer');
  });
}

const CLIENT = `(async (url) => {
  const t0 = performance.now(); const T = {};
  const pc = new RTCPeerConnection(); window.__pcs = (window.__pcs || []); window.__pcs.push(pc);
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.onconnectionstatechange = () => { if (pc.connectionState === 'connected') T.connected = Math.round(performance.now() - t0); };
  await pc.setLocalDescription(await pc.createOffer());
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
  if (r.status !== 201) throw new Error('refused ' + r.status + ' ' + await r.text());
  await pc.setRemoteDescription({ type: 'answer', sdp: await r.text() });
  while (performance.now() - t0 < 10000) {
    for (const s of (await pc.getStats()).values()) if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0) { T.decoded = Math.round(performance.now() - t0); return T; }
    await new Promise((r) => setTimeout(r, 5));
  }
  T.timeout = true; T.state = pc.connectionState; return T;
})`;

async function cpuOver(ms: number): Promise<number> {
  const a = process.cpuUsage();
  await new Promise((r) => setTimeout(r, ms));
  const b = process.cpuUsage(a);
  return ((b.user + b.system) / 1000 / ms) * 100;
}

async function main(): Promise<void> {
  const server = createServer((req, res) => {
    if (req.method === 'GET') return void res.end('<!doctype html><title>x</title>');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const offer = Buffer.concat(chunks).toString();
      const make = req.url!.includes('ndc') ? ndcSender : weriftSender;
      make(offer).then(({ answer, sender }) => {
        senders.add(sender);
        res.writeHead(201, { 'content-type': 'application/sdp' });
        res.end(answer);
      }, (e: Error) => (res.writeHead(500), res.end(e.message)));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium();
  try {
    for (const lib of ['werift', 'ndc', 'werift', 'ndc']) {
      const idle = await cpuOver(5000);
      const pages = [];
      const firsts = [];
      for (let i = 0; i < VIEWERS; i++) {
        const p = await browser.context.newPage();
        await p.goto(base + '/');
        pages.push(p);
        firsts.push(await p.evaluate(`${CLIENT}(${JSON.stringify(base + '/whep/' + lib)})`));
      }
      const loaded = await cpuOver(10_000);
      console.log(`${lib}: first frames ${JSON.stringify(firsts)}; CPU idle ${idle.toFixed(1)} %, with ${VIEWERS} viewers ${loaded.toFixed(1)} % -> ${((loaded - idle) / VIEWERS).toFixed(2)} % of a core per viewer`);
      for (const p of pages) await p.close();
      for (const s of senders) s.close();
      senders.clear();
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    clearInterval(tick);
    await browser.close();
    server.close();
    process.exit(0);
  }
}
void main();
