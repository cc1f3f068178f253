import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  Rfc4571Framer, VOICE_PAYLOAD_TYPES, VOICE_SAMPLES_PER_PACKET, VoiceRtpDecoder, VoiceRtpEncoder, buildVoiceAnswer, buildVoiceOffer,
  createRequest, encodeManscdpMessage, frameRfc4571, getTag, newBranch, newCallId, newTag, parseBroadcastNotify, pcmRms, pcmTone, readVoiceSdp,
  type SipRequest, type SipResponse, type VoiceMedia, type VoicePayload,
} from '@gb/gb28181';

/** How the simulated device does voice (GB/T 28181-2016 §9.12). */
export interface SimVoiceOptions {
  /** What the device offers in its broadcast INVITE, and prefers in a talk answer (default PCMA). */
  payload?: VoicePayload;
  /** Broadcast INVITE transport: udp, tcp-active (we connect to the platform), tcp-passive (it connects to us). Default udp. */
  transport?: 'udp' | 'tcp-active' | 'tcp-passive';
  /** ok (default); refuse: Broadcast Result ERROR and talk 488; busy: Broadcast Result ERROR and talk 486. */
  mode?: 'ok' | 'refuse' | 'busy';
  /** Talk: the tone the device sends back (Hz, default 440). */
  toneHz?: number;
}

/** What the device's voice side reports: the audio it received, decoded (a test checks it is not silence). */
export interface SimVoiceStats {
  sessions: number;
  packets: number;
  samples: number;
  /** RMS of all samples received so far (0..32768). */
  rms: number;
  /** Highest RMS of one 20 ms frame. */
  peakFrameRms: number;
  /** Packets of tone sent (talk). */
  packetsSent: number;
  broadcasts: number;
  active: boolean;
  /** The payload and transport of the last session. */
  payload?: string;
  transport?: string;
}

export interface SimVoicePort {
  deviceId: string;
  domain: string;
  localHost: string;
  charset: 'GB2312' | 'UTF-8';
  via(): { transport: string; host: string; port: number; branch: string; rport: boolean };
  contact(): string;
  request(req: SipRequest): Promise<SipResponse>;
  send(m: SipRequest | SipResponse): void;
  newMessage(body: Buffer): SipRequest;
  server(): { host: string; port: number };
}

/** Answers the claimed request (the responder caches the answer for retransmissions). */
export type SimVoiceRespond = (status: number, opts?: { headers?: [string, string][]; body?: { data: Buffer; type: string }; toTag?: string }) => void;

interface VoiceDialog {
  callId: string;
  localTag: string;
  remoteTag: string;
  remoteUri: string;
  localUri: string;
  /** We sent the INVITE (broadcast) or answered it (talk). */
  uac: boolean;
  cseq: number;
  media: SimVoiceMedia;
}

/**
 * The voice side of a simulated camera: a Broadcast MESSAGE gets 200, a Response with Result, then (when OK) the
 * device's INVITE to the SourceID with an audio SDP of `payload` over `transport`; what the platform sends is decoded
 * and its energy recorded. An INVITE with s=Talk is answered sendrecv and a tone goes back. BYE either way.
 */
export class SimVoice {
  readonly stats: SimVoiceStats = { sessions: 0, packets: 0, samples: 0, rms: 0, peakFrameRms: 0, packetsSent: 0, broadcasts: 0, active: false };
  private sumSquares = 0;
  private readonly dialogs = new Map<string, VoiceDialog>();
  private cseq = 1;

  constructor(
    private readonly o: SimVoiceOptions,
    private readonly port: SimVoicePort,
  ) {}

  /** Claims voice requests before the responder: Broadcast MESSAGE, s=Talk INVITE, ACK and BYE of voice dialogs. */
  intercept(req: SipRequest, respond: SimVoiceRespond): boolean {
    const callId = req.headers.get('Call-ID') ?? '';
    if (req.method === 'MESSAGE' && req.body.includes('Broadcast')) {
      let n;
      try {
        n = parseBroadcastNotify(req.body);
      } catch {
        respond(400);
        return true;
      }
      if (!n) return false;
      respond(200);
      this.stats.broadcasts++;
      void this.onBroadcast(n.sn, n.sourceId, n.targetId).catch(() => undefined);
      return true;
    }
    if (req.method === 'INVITE' && /^s=Talk\s*$/m.test(req.body.toString('utf8'))) {
      this.onTalk(req, respond);
      return true;
    }
    const d = this.dialogs.get(callId);
    if (!d) return false;
    if (req.method === 'ACK') {
      d.media.start();
      return true;
    }
    if (req.method === 'BYE') {
      respond(200);
      this.end(d);
      return true;
    }
    return false;
  }

  /** The device ends its voice sessions with BYE (as a camera whose speaker is taken over). */
  async byeAll(): Promise<number[]> {
    return Promise.all([...this.dialogs.values()].map(async (d) => {
      this.end(d);
      const req = createRequest({
        method: 'BYE', uri: d.remoteUri, via: this.port.via(),
        from: { uri: d.localUri, tag: d.localTag }, to: { uri: d.remoteUri, tag: d.remoteTag },
        callId: d.callId, cseq: d.uac ? ++d.cseq : ++this.cseq, contact: this.port.contact(),
      });
      return (await this.port.request(req)).status;
    }));
  }

  close(): void {
    for (const d of [...this.dialogs.values()]) this.end(d);
  }

  private end(d: VoiceDialog): void {
    this.dialogs.delete(d.callId);
    d.media.close();
    this.stats.active = this.dialogs.size > 0;
  }

  private record(pcm: Int16Array): void {
    this.stats.samples += pcm.length;
    for (let i = 0; i < pcm.length; i++) this.sumSquares += pcm[i]! * pcm[i]!;
    this.stats.rms = Math.sqrt(this.sumSquares / Math.max(1, this.stats.samples));
    this.stats.peakFrameRms = Math.max(this.stats.peakFrameRms, pcmRms(pcm));
  }

  private async onBroadcast(sn: number, sourceId: string, targetId: string): Promise<void> {
    const mode = this.o.mode ?? 'ok';
    const result = mode === 'ok' ? 'OK' : 'ERROR';
    await this.port.request(this.port.newMessage(encodeManscdpMessage('Response', 'Broadcast', sn, targetId, { Result: result }, this.port.charset)));
    if (result !== 'OK') return;
    const payload = this.o.payload ?? 'PCMA';
    const transport = this.o.transport ?? 'udp';
    const media = await SimVoiceMedia.open(transport === 'udp' ? 'udp' : 'tcp', this.port.localHost, (pcm) => this.record(pcm), this.stats);
    const ssrc = String(Math.floor(Math.random() * 1e9)).padStart(10, '0');
    const sdp = buildVoiceOffer({ sessionName: 'Play', localId: targetId, ip: this.port.localHost, port: media.localPort, transport, payloads: [payload], ssrc, direction: 'recvonly' });
    const srv = this.port.server();
    const localTag = newTag();
    const localUri = `sip:${targetId}@${this.port.domain}`;
    const remoteUri = `sip:${sourceId}@${srv.host}:${srv.port}`;
    const callId = newCallId(this.port.localHost);
    const cseq = ++this.cseq;
    const invite = createRequest({
      method: 'INVITE', uri: remoteUri, via: this.port.via(), from: { uri: localUri, tag: localTag }, to: { uri: `sip:${sourceId}@${this.port.domain}` },
      callId, cseq, contact: this.port.contact(), headers: [['Subject', `${sourceId}:0,${targetId}:0`]], body: Buffer.from(sdp), contentType: 'application/sdp',
    });
    const res = await this.port.request(invite);
    if (res.status >= 300) {
      media.close();
      return;
    }
    const remoteTag = getTag(res.headers.get('To') ?? '') ?? '';
    // ACK for the 2xx: a new transaction-less request in the dialog (RFC 3261 §13.2.2.4)
    this.port.send(createRequest({
      method: 'ACK', uri: remoteUri, via: { ...this.port.via(), branch: newBranch() }, from: { uri: localUri, tag: localTag },
      to: { uri: `sip:${sourceId}@${this.port.domain}`, tag: remoteTag }, callId, cseq, contact: this.port.contact(),
    }));
    const peer = readVoiceSdp(res.body.toString('utf8'));
    media.connect(peer, readVoiceSdp(sdp), undefined);
    this.dialogs.set(callId, { callId, localTag, remoteTag, localUri, remoteUri: `sip:${sourceId}@${this.port.domain}`, uac: true, cseq, media });
    this.stats.sessions++;
    this.stats.active = true;
    this.stats.payload = payload;
    this.stats.transport = transport;
  }

  private onTalk(req: SipRequest, respond: SimVoiceRespond): void {
    const mode = this.o.mode ?? 'ok';
    if (mode !== 'ok') return respond(mode === 'busy' ? 486 : 488);
    let peer: VoiceMedia;
    try {
      peer = readVoiceSdp(req.body.toString('utf8'));
    } catch {
      return respond(488);
    }
    if (this.o.payload === 'PS' && /^m=audio .* 96( |$)/m.test(req.body.toString('utf8'))) peer = { ...peer, payload: 'PS', payloadType: VOICE_PAYLOAD_TYPES.PS };
    const callId = req.headers.get('Call-ID') ?? '';
    void SimVoiceMedia.open(peer.transport === 'udp' ? 'udp' : 'tcp', this.port.localHost, (pcm) => this.record(pcm), this.stats).then((media) => {
      const localTag = newTag();
      const sdp = buildVoiceAnswer({ peer, localId: this.port.deviceId, ip: this.port.localHost, port: media.localPort, direction: 'sendrecv', ...(peer.ssrc ? { ssrc: peer.ssrc } : {}) });
      const ours = readVoiceSdp(sdp);
      media.connect(peer, ours, this.o.toneHz ?? 440);
      const from = req.headers.get('From') ?? '';
      this.dialogs.set(callId, {
        callId, localTag, remoteTag: getTag(from) ?? '', localUri: /<([^>]+)>/.exec(req.headers.get('To') ?? '')?.[1] ?? `sip:${this.port.deviceId}@${this.port.domain}`,
        remoteUri: /<([^>]+)>/.exec(from)?.[1] ?? '', uac: false, cseq: 0, media,
      });
      this.stats.sessions++;
      this.stats.active = true;
      this.stats.payload = peer.payload;
      this.stats.transport = peer.transport;
      respond(200, { headers: [['Contact', this.port.contact()]], body: { data: Buffer.from(sdp), type: 'application/sdp' }, toTag: localTag });
    });
  }
}

/** The device's media for one voice session: UDP or TCP (RFC 4571), a decoder for what arrives, a tone sender for talk. */
class SimVoiceMedia {
  private udp?: UdpSocket;
  private server?: Server;
  private tcp?: Socket;
  private peer?: VoiceMedia;
  private decoder?: VoiceRtpDecoder;
  private tone?: { enc: VoiceRtpEncoder; hz: number; n: number; timer?: NodeJS.Timeout };
  private closed = false;

  private constructor(
    readonly localPort: number,
    private readonly onPcm: (pcm: Int16Array) => void,
    private readonly stats: SimVoiceStats,
  ) {}

  static async open(kind: 'udp' | 'tcp', host: string, onPcm: (pcm: Int16Array) => void, stats: SimVoiceStats): Promise<SimVoiceMedia> {
    if (kind === 'udp') {
      const s = createSocket('udp4');
      await new Promise<void>((ok) => s.bind(0, host, ok));
      const m = new SimVoiceMedia(s.address().port, onPcm, stats);
      m.udp = s;
      s.on('message', (b) => m.receive(b));
      return m;
    }
    const srv = createServer();
    await new Promise<void>((ok) => srv.listen(0, host, ok));
    const addr = srv.address();
    const m = new SimVoiceMedia(typeof addr === 'object' && addr ? addr.port : 0, onPcm, stats);
    m.server = srv;
    srv.on('connection', (c) => m.adopt(c));
    return m;
  }

  /** `peer`: where the platform receives; `ours`: our section (its TCP role); `toneHz`: send a tone (talk). */
  connect(peer: VoiceMedia, ours: VoiceMedia, toneHz: number | undefined): void {
    this.peer = peer;
    this.decoder = new VoiceRtpDecoder(ours.payload, ours.law, ours.payloadType);
    if (toneHz !== undefined) this.tone = { enc: new VoiceRtpEncoder(ours.payload, ours.law, Number(ours.ssrc ?? 1) % 2 ** 32, ours.payloadType), hz: toneHz, n: 0 };
    // our role is the opposite of the peer's: the peer listens (tcp-passive) -> we connect
    if (peer.transport === 'tcp-passive') {
      const c = createConnection({ host: peer.host, port: peer.port });
      c.on('error', () => undefined);
      c.once('connect', () => this.adopt(c));
    }
    if (this.udp && this.tone) this.start();
  }

  start(): void {
    if (!this.tone || this.tone.timer || this.closed) return;
    const t = this.tone;
    t.timer = setInterval(() => {
      for (const p of t.enc.push(pcmTone(t.hz, 8000, t.n, VOICE_SAMPLES_PER_PACKET))) {
        this.send(p);
        this.stats.packetsSent++;
      }
      t.n += VOICE_SAMPLES_PER_PACKET;
    }, 20);
  }

  private adopt(c: Socket): void {
    if (this.closed || this.tcp) return void c.destroy();
    this.tcp = c;
    const framer = new Rfc4571Framer();
    c.on('data', (d) => {
      try {
        for (const p of framer.push(d)) this.receive(p);
      } catch {
        c.destroy();
      }
    });
    c.on('error', () => undefined);
  }

  private receive(b: Buffer): void {
    if (!this.decoder) return;
    this.stats.packets++;
    for (const pcm of this.decoder.push(b)) this.onPcm(pcm);
  }

  private send(p: Buffer): void {
    if (this.closed || !this.peer) return;
    if (this.udp) this.udp.send(p, this.peer.port, this.peer.host);
    else if (this.tcp && !this.tcp.destroyed) this.tcp.write(frameRfc4571(p));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tone?.timer);
    this.udp?.close();
    this.server?.close();
    this.tcp?.destroy();
  }
}

