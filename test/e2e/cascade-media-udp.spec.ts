import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PsDemuxer, Rfc4571Framer, buildCancel, createRequest, findResolution, newBranch, newTag, parseRtpPacket, parseSdp, parseSipMessage, serializeSipMessage,
  type PsAccessUnit, type RtpPacket, type SipResponse,
} from '@gb/gb28181';
import { FakeSuperior } from '../support/fake-superior';
import { startMediaRig, type MediaRig, type StreamDto } from '../support/media-probe';
import { waitFor } from '../support/gateway-harness';

/**
 * Media to the superior platform (issue 11 item 4, docs/cascade.md): the gateway under test registers with a superior
 * played by raw sockets (test/support/fake-superior.ts), a simulated camera (apps/device-sim) registers with the
 * gateway, and the superior INVITEs the camera's channel: PS over RTP must reach the address in its offer with its
 * y= SSRC, over UDP and over TCP (the superior listening: "TCP passive" from the receiver's side), sharing ONE camera
 * INVITE with a browser viewer; its BYE stops the RTP; the camera's BYE sends BYE upward.
 */
const SERVER_ID = '34020000002000000002';
const DOMAIN = '3402000000';
const PASSWORD = 'cascade-media-1';
const WIDTH = 320;
const HEIGHT = 180;
const IDLE_MS = 2_500;

interface UpwardDto {
  callId: string;
  state: string;
  transport: string;
  packetsSent: number;
  bytesSent: number;
  streamId: string | null;
  closeReason: string | null;
}

/** A superior's SDP offer for `port` (GB/T 28181-2016 Annex F). */
function offer(port: number, ssrc: string, transport: 'udp' | 'tcp-passive' | 'tcp-active', sessionName = 'Play', extra: string[] = []): string {
  const tcp = transport !== 'udp';
  return [
    'v=0', `o=${SERVER_ID} 0 0 IN IP4 127.0.0.1`, `s=${sessionName}`, 'c=IN IP4 127.0.0.1', ...extra.filter((l) => l.startsWith('u=')),
    sessionName === 'Play' ? 't=0 0' : (extra.find((l) => l.startsWith('t=')) ?? 't=0 0'),
    `m=video ${port} ${tcp ? 'TCP/RTP/AVP' : 'RTP/AVP'} 96 98 97`, 'a=recvonly', 'a=rtpmap:96 PS/90000', 'a=rtpmap:98 H264/90000', 'a=rtpmap:97 MPEG4/90000',
    ...(tcp ? [`a=setup:${transport === 'tcp-active' ? 'active' : 'passive'}`, 'a=connection:new'] : []),
    `y=${ssrc}`, '',
  ].join('\r\n');
}

/** The superior's media receiver: RTP packets in arrival order, demuxed as they come. */
class Receiver {
  readonly packets: RtpPacket[] = [];
  readonly units: PsAccessUnit[] = [];
  private readonly demuxer = new PsDemuxer();
  take(p: RtpPacket): void {
    this.packets.push(p);
    try {
      this.units.push(...this.demuxer.push(p.payload, { marker: p.marker }));
    } catch {
      /* counted by the assertions below */
    }
  }
  get video(): PsAccessUnit[] {
    return this.units.filter((u) => u.kind === 'video');
  }
}

describe('cascade: media to the superior (UDP signalling; RTP over UDP and TCP)', () => {
  let rig: MediaRig;
  let sup: FakeSuperior;
  let platformId: string;
  const closers: (() => void | Promise<void>)[] = [];

  beforeAll(async () => {
    const t0 = Date.now();
    // A short idle bound: a stream nobody fetches over HTTP ends IDLE_MS after its last view unless a superior holds it.
    rig = await startMediaRig({ codec: 'h264', width: WIDTH, height: HEIGHT, gop: 25 }, { STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) });
    sup = new FakeSuperior({ transport: 'udp', password: PASSWORD, serverId: SERVER_ID, domain: DOMAIN });
    const port = await sup.start();
    const created = await rig.gw.api<{ id: string }>('/api/platforms', {
      method: 'POST',
      body: JSON.stringify({ name: 'superior', serverId: SERVER_ID, domain: DOMAIN, host: '127.0.0.1', port, transport: 'udp', password: PASSWORD, channels: [rig.channelId] }),
    });
    expect(created.status).toBe(201);
    platformId = created.body.id;
    await waitFor('the gateway registered with the superior', async () => (await rig.gw.api<{ state: string }>(`/api/platforms/${platformId}`)).body.state === 'online', 5_000);
    console.info(`[cascade-media] gateway, camera and superior up in ${Date.now() - t0} ms`);
  }, 30_000);

  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    await sup?.close();
    await rig?.close();
  });

  const sessions = async () => (await rig.gw.api<UpwardDto[]>(`/api/platforms/${platformId}/sessions`)).body;
  const streams = async () => (await rig.gw.api<StreamDto[]>('/api/streams')).body;

  async function udpReceiver(): Promise<{ rx: Receiver; port: number }> {
    const sock = dgram.createSocket('udp4');
    const rx = new Receiver();
    sock.on('message', (b) => rx.take(parseRtpPacket(b)));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => sock.close(() => r())));
    return { rx, port: sock.address().port };
  }

  it('refuses what it cannot serve: a malformed offer 400 with the reason in Warning, an unshared channel 404', async () => {
    const bad = await sup.invite(rig.channelId, offer(30000, '0200000001', 'udp').replace('c=IN IP4 127.0.0.1', 'c=IN IP4 superior.example')).catch((e: { status: number; response: SipResponse }) => e);
    expect('status' in bad && bad.status).toBe(400);
    expect((bad as { response: SipResponse }).response.headers.get('Warning')).toMatch(/GB_OFFER_BAD_ADDRESS/);
    const unshared = await sup.invite('34020000001310009999', offer(30000, '0200000001', 'udp')).catch((e: { status: number }) => e);
    expect('status' in unshared && unshared.status).toBe(404);
  });

  it('a browser viewer and the superior share ONE camera INVITE; RTP arrives at the superior\'s UDP port with its y= SSRC and demuxes to the camera\'s H.264; its BYE stops the RTP, not the viewer\'s stream', async () => {
    const viewer = await rig.play({ transport: 'udp' });
    expect(viewer.state).toBe('playing');
    const { rx, port } = await udpReceiver();
    const held = await sup.invite(rig.channelId, offer(port, '0200000123', 'udp'));
    const answer = parseSdp(held.answerSdp);
    expect(answer.ssrc).toBe('0200000123');
    expect(answer.media[0]).toMatchObject({ protocol: 'RTP/AVP', formats: [96], direction: 'sendonly' });

    await waitFor('a keyframe and 10 frames at the superior', () => rx.video.length >= 10, 10_000);
    expect(rx.packets.every((p) => p.ssrc === 123 + 200000000 && p.payloadType === 96)).toBe(true);
    const first = rx.video[0]!;
    expect(first.keyframe).toBe(true);
    expect(first.codec).toBe('h264');
    expect(findResolution(first.data, 'h264')).toMatchObject({ width: WIDTH, height: HEIGHT });
    // one camera INVITE for both (the simulator counts them; the gateway lists one stream)
    expect(rig.media.stats.sessions.Play).toBe(1);
    expect((await streams()).filter((s) => s.state === 'playing')).toHaveLength(1);
    const [up] = await sessions();
    expect(up).toMatchObject({ state: 'sending', transport: 'udp', streamId: viewer.streamId });
    expect(up!.packetsSent).toBeGreaterThan(0);

    // The browser viewer fetches nothing: past the idle bound only the superior's hold keeps the stream (and its RTP) up.
    const before = rx.packets.length;
    await new Promise((r) => setTimeout(r, IDLE_MS + 500));
    expect((await streams()).find((s) => s.streamId === viewer.streamId)?.state).toBe('playing');
    expect(rx.packets.length).toBeGreaterThan(before + 20);

    // a live leg shares the camera's stream: it is not paused for one superior
    expect((await held.info('PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n')).status).toBe(488);

    // the viewer is back before the superior leaves (a playlist fetch is a view): otherwise the idle sweep may end the
    // stream in the moment between the hold's release and the fetch (seen on a loaded CI machine)
    expect((await fetch(rig.url(viewer.urls.hls))).status).toBe(200);
    const bye = await held.bye();
    expect(bye.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100)); // packets sent before the 200 may still be in the socket
    const atBye = rx.packets.length;
    await new Promise((r) => setTimeout(r, 1_000));
    expect(rx.packets.length).toBe(atBye);
    expect((await sessions()).find((s) => s.callId === up!.callId)).toMatchObject({ state: 'closed', closeReason: 'the superior sent BYE' });
    // the browser viewer's stream plays on
    expect((await streams()).find((s) => s.streamId === viewer.streamId)?.state).toBe('playing');
  }, 20_000);

  it('Playback: a session of its own at the camera with the t= range; MANSRTSP INFO reaches the camera and its answer comes back; INFO on a live leg 488; BYE ends the camera\'s playback', async () => {
    const { rx, port } = await udpReceiver();
    const start = Math.floor(Date.now() / 1000) - 3600;
    const before = { playback: rig.media.stats.sessions.Playback, byes: rig.media.stats.byes, infos: rig.media.stats.infos.length };
    const held = await sup.invite(rig.channelId, offer(port, '1200000125', 'udp', 'Playback', [`u=${rig.channelId}:0`, `t=${start} ${start + 600}`]));
    expect(parseSdp(held.answerSdp)).toMatchObject({ sessionName: 'Playback', ssrc: '1200000125' });
    expect(rig.media.stats.sessions.Playback).toBe(before.playback + 1);
    await waitFor('playback frames at the superior', () => rx.video.length >= 3, 10_000);
    expect(rx.packets.every((p) => p.ssrc === 1200000125)).toBe(true);

    const pause = await held.info('PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n');
    expect(pause.status).toBe(200);
    const relayed = rig.media.stats.infos.slice(before.infos);
    expect(relayed.map((i) => i.request?.method)).toEqual(['PAUSE']);
    const junk = await held.request('INFO', 'not rtsp at all', 'Application/MANSRTSP');
    expect(junk.status).toBe(400);

    expect((await held.bye()).status).toBe(200);
    await waitFor('the camera\'s playback ended with BYE', () => rig.media.stats.byes === before.byes + 1, 3_000);
  }, 20_000);

  it('TCP active (the superior connects): we answer setup:passive with a port of the RTP pool and send on the connection it opens', async () => {
    const held = await sup.invite(rig.channelId, offer(9, '0200000128', 'tcp-active'));
    const answer = parseSdp(held.answerSdp);
    expect(answer.media[0]).toMatchObject({ protocol: 'TCP/RTP/AVP', setup: 'passive' });
    const ourPort = answer.media[0]!.port;
    expect(ourPort).toBeGreaterThanOrEqual(Number(rig.gw.env.RTP_PORT_MIN));
    expect(ourPort).toBeLessThanOrEqual(Number(rig.gw.env.RTP_PORT_MAX));
    const rx = new Receiver();
    const sock = net.connect({ host: answer.connection!.address, port: ourPort });
    closers.push(() => void sock.destroy());
    const framer = new Rfc4571Framer();
    sock.on('data', (b) => {
      for (const f of framer.push(b)) rx.take(parseRtpPacket(Buffer.from(f)));
    });
    await waitFor('frames on the connection we accepted', () => rx.video.length >= 3, 10_000);
    expect(rx.packets.every((p) => p.ssrc === 200000128)).toBe(true);
    expect((await held.bye()).status).toBe(200);
  }, 15_000);

  it('TCP passive (the superior listens, we connect, RFC 4571): the stream arrives; the camera\'s BYE sends BYE upward', async () => {
    const rx = new Receiver();
    const server = net.createServer((sock) => {
      const framer = new Rfc4571Framer();
      sock.on('data', (b) => {
        for (const f of framer.push(b)) rx.take(parseRtpPacket(Buffer.from(f)));
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const held = await sup.invite(rig.channelId, offer((server.address() as net.AddressInfo).port, '0200000124', 'tcp-passive'));
    expect(parseSdp(held.answerSdp).media[0]).toMatchObject({ protocol: 'TCP/RTP/AVP', setup: 'active' });
    await waitFor('frames over TCP', () => rx.video.length >= 5, 10_000);
    expect(rx.packets.every((p) => p.ssrc === 200000124)).toBe(true);
    expect(rx.video[0]!.keyframe).toBe(true);
    expect(findResolution(rx.video[0]!.data, 'h264')).toMatchObject({ width: WIDTH, height: HEIGHT });
    expect((await streams()).filter((s) => s.state === 'playing' && s.channelId === rig.channelId)).toHaveLength(1); // one camera stream for all

    // The camera hangs up: a BYE in the camera's dialog (the gateway matches it by Call-ID) reaches the gateway.
    const live = (await streams()).find((s) => s.state === 'playing')!;
    const cam = dgram.createSocket('udp4');
    closers.push(() => new Promise<void>((r) => cam.close(() => r())));
    await new Promise<void>((r) => cam.bind(0, '127.0.0.1', r));
    const camBye = createRequest({
      method: 'BYE', uri: `sip:${rig.gw.config.SIP_ID}@127.0.0.1:${rig.gw.sipPort}`,
      via: { transport: 'UDP', host: '127.0.0.1', port: cam.address().port, branch: newBranch(), rport: true },
      from: { uri: `sip:${rig.channelId}@${DOMAIN}`, tag: newTag() }, to: { uri: `sip:${rig.gw.config.SIP_ID}@${DOMAIN}`, tag: newTag() },
      callId: live.callId!, cseq: 20,
    });
    const camAnswer = new Promise<number>((r) => cam.once('message', (b) => r((parseSipMessage(b) as SipResponse).status)));
    const upwardBye = sup.waitForRequest((req) => req.method === 'BYE' && req.headers.get('Call-ID') === held.dialog.callId, 5_000);
    cam.send(serializeSipMessage(camBye), rig.gw.sipPort, '127.0.0.1');
    expect(await camAnswer).toBe(200);
    const byeUp = await upwardBye;
    expect(byeUp.headers.get('To')).toContain(`tag=${held.dialog.localTag}`);
    await waitFor('the upward session closed', async () => (await sessions()).find((s) => s.callId === held.dialog.callId)?.state === 'closed', 3_000);
  }, 20_000);

  it('CANCEL before our 200 (the camera is still being invited): 200 to the CANCEL, 487 to the INVITE, the leg ends unanswered', async () => {
    expect((await streams()).filter((s) => s.state === 'playing')).toHaveLength(0); // the camera hung up above: a new camera INVITE is needed
    const { port } = await udpReceiver();
    const invite = sup.buildRequest('INVITE', offer(port, '0200000126', 'udp'), 'APPLICATION/SDP', [['Subject', `${rig.channelId}:0200000126,${SERVER_ID}:0`]]);
    invite.uri = `sip:${rig.channelId}@${DOMAIN}`;
    invite.headers.set('To', `<sip:${rig.channelId}@${DOMAIN}>`);
    const final = sup.send(invite);
    await new Promise((r) => setTimeout(r, 50));
    const cancel = await sup.send(buildCancel(invite));
    expect(cancel.status).toBe(200);
    expect((await final).status).toBe(487);
    const callId = invite.headers.get('Call-ID');
    await waitFor('the cancelled leg listed as ended', async () => (await sessions()).find((s) => s.callId === callId)?.closeReason === 'the superior CANCELled its INVITE', 5_000);
  }, 15_000);

  it('shutting the gateway down sends BYE upward for a running leg', async () => {
    const { rx, port } = await udpReceiver();
    const held = await sup.invite(rig.channelId, offer(port, '0200000127', 'udp'));
    await waitFor('frames at the superior', () => rx.video.length >= 1, 10_000);
    const upwardBye = sup.waitForRequest((req) => req.method === 'BYE' && req.headers.get('Call-ID') === held.dialog.callId, 10_000);
    const closing = rig.close();
    await upwardBye;
    await closing;
    rig = undefined as unknown as MediaRig; // closed here: afterAll has nothing left to stop
  }, 20_000);
});
