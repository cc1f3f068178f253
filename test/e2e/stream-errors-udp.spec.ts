import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamDto } from '@gb/contracts';
import { parseSdp, serializeRtpPacket, ssrcToNumber } from '@gb/gb28181';
import type { InviteAnswer, InviteContext } from '../../apps/device-sim/src/media/invite-hook';
import { channelId, type SimulatedDevice } from '../../apps/device-sim/src';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { rtpRangeEnv } from '../support/media-probe';
import { StreamsService } from '../../apps/gateway/src/streams/streams.service';

/**
 * Every code of the stream error catalogue reached end to end over real UDP/TCP on loopback: a simulated device whose
 * INVITE answer the test chooses, raw RTP from a UDP socket, and the HTTP API. Each case asserts the HTTP status, the
 * code, and (for failures after the answer) the stream listed in GET /api/streams with the same code and its cause.
 */

const PASSWORD = '12345678';
const DEVICE = '34020000001320000901';
const CH = (n: number) => channelId(DEVICE, n);

let gw: TestGateway;
let device: SimulatedDevice;
let behave: (ctx: InviteContext) => Promise<InviteAnswer> | InviteAnswer = () => ({ status: 486 });
const senders: Socket[] = [];

/** An SDP answer for the offer in `ctx`: the device's address, a port and (optionally) its own y=. */
function answerSdp(ctx: InviteContext, o: { port?: number; ssrc?: string; body?: string } = {}): string {
  if (o.body !== undefined) return o.body;
  const offer = parseSdp(ctx.offer);
  return [
    'v=0', `o=${ctx.channelId} 0 0 IN IP4 127.0.0.1`, `s=${offer.sessionName}`, 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=video ${o.port ?? 15060} ${offer.media[0]!.protocol} 96`, 'a=rtpmap:96 PS/90000', 'a=sendonly', `y=${o.ssrc ?? offer.ssrc}`, '',
  ].join('\r\n');
}

/** Sends `count` RTP packets to the offered port with `ssrc` and junk payload (no PS, so no keyframe). */
function sendJunkRtp(ctx: InviteContext, ssrc: number, count = 30): void {
  const offer = parseSdp(ctx.offer);
  const port = offer.media[0]!.port;
  const sock = createSocket('udp4');
  senders.push(sock);
  let seq = 100;
  const t = setInterval(() => {
    if (seq >= 100 + count) return clearInterval(t);
    sock.send(serializeRtpPacket({ payloadType: 96, sequenceNumber: seq++, timestamp: seq * 3600, ssrc, payload: Buffer.alloc(200, 0x5a) }), port, '127.0.0.1');
  }, 20);
}

async function play(channel = CH(1), body: Record<string, unknown> = { transport: 'udp' }) {
  return gw.api<StreamDto & { code: string; message: string; sipStatus?: number }>(`/api/devices/${DEVICE}/channels/${channel}/play`, { method: 'POST', body: JSON.stringify(body) });
}

async function listed(code: string): Promise<StreamDto> {
  return waitFor(`a stream listed with ${code}`, async () => (await gw.api<StreamDto[]>('/api/streams')).body.find((s) => s.errorCode === code), 5000);
}

beforeAll(async () => {
  gw = await startTestGateway({
    SIP_PASSWORD: PASSWORD, INVITE_TIMEOUT_MS: '1500', STREAM_NO_RTP_TIMEOUT_MS: '1500', VISION_EMBEDDED: 'false', ...rtpRangeEnv(16),
  });
  device = await startSimDevice(gw, { deviceId: DEVICE, password: PASSWORD, channels: 2, hooks: { onInvite: (ctx) => behave(ctx) } });
}, 60_000);

afterAll(async () => {
  for (const s of senders) s.close();
  await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
  await gw?.stop();
});

describe('stream error catalogue, end to end', () => {
  it('a 486 answer is DEVICE_REFUSED (502) with sipStatus 486', async () => {
    behave = () => ({ status: 486, reason: 'Busy Here' });
    const r = await play();
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ code: 'DEVICE_REFUSED', sipStatus: 486 });
    const s = await listed('DEVICE_REFUSED');
    expect(s.sipStatus).toBe(486);
    expect(s.callId).toMatch(/@/); // the INVITE's Call-ID, so the failure can be found in a capture
    expect(s.state).toBe('failed');
  });

  it('no final answer within INVITE_TIMEOUT_MS is DEVICE_NO_ANSWER (504)', async () => {
    behave = () => new Promise(() => undefined); // 100 Trying, then nothing
    const r = await play();
    expect(r.status).toBe(504);
    expect(r.body.code).toBe('DEVICE_NO_ANSWER');
  });

  it('an unreadable SDP answer is DEVICE_BAD_SDP (502)', async () => {
    behave = (ctx) => ({ status: 200, sdp: answerSdp(ctx, { body: 'v=0\r\nthis is not SDP\r\n' }) });
    const r = await play();
    expect(r.status).toBe(502);
    expect(r.body.code).toBe('DEVICE_BAD_SDP');
  });

  it('TCP active toward a port nobody listens on is MEDIA_CONNECT_FAILED (502) with the connect error as cause', async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    behave = (ctx) => ({ status: 200, sdp: answerSdp(ctx, { port: closed }) });
    const r = await play(CH(1), { transport: 'tcp-active' });
    expect(r.status).toBe(502);
    expect(r.body.code).toBe('MEDIA_CONNECT_FAILED');
    expect((await listed('MEDIA_CONNECT_FAILED')).error).toMatch(/ECONNREFUSED|connect/i);
  });

  it('an answered INVITE with no RTP is MEDIA_NO_RTP (504) naming the offered address', async () => {
    behave = (ctx) => ({ status: 200, sdp: answerSdp(ctx) });
    const r = await play();
    expect(r.status).toBe(504);
    expect(r.body.code).toBe('MEDIA_NO_RTP');
    expect(r.body.message).toMatch(/no packet at all arrived at 127\.0\.0\.1:\d+/);
  });

  it('RTP with another SSRC only is MEDIA_WRONG_SSRC (502)', async () => {
    behave = (ctx) => ({ status: 200, sdp: answerSdp(ctx), onAck: () => sendJunkRtp(ctx, 0x0badf00d) });
    const r = await play();
    expect(r.status).toBe(502);
    expect(r.body.code).toBe('MEDIA_WRONG_SSRC');
  });

  it('RTP with the right SSRC but no decodable keyframe is MEDIA_NO_KEYFRAME (504)', async () => {
    behave = (ctx) => ({ status: 200, sdp: answerSdp(ctx), onAck: () => sendJunkRtp(ctx, ssrcToNumber(parseSdp(ctx.offer).ssrc!), 60) });
    const r = await play();
    expect(r.status).toBe(504);
    expect(r.body.code).toBe('MEDIA_NO_KEYFRAME');
  });

  it('every failed stream above left no dialog, port or SSRC behind', async () => {
    await waitFor('resources released', () => {
      const r = gw.app.get(StreamsService).resources();
      return r.sessions === 0 && r.dialogs === 0 && r.ports === 0 && r.ssrcs === 0 && r.invites === 0;
    }, 5000);
  });

  it('a channel missing from the catalog is CHANNEL_NOT_FOUND (404) for play, PTZ and records alike', async () => {
    const missing = CH(77);
    expect((await play(missing)).body.code).toBe('CHANNEL_NOT_FOUND');
    const ptz = await gw.api<{ code: string }>(`/api/devices/${DEVICE}/channels/${missing}/ptz`, { method: 'POST', body: JSON.stringify({ action: 'stop' }) });
    expect([ptz.status, ptz.body.code]).toEqual([404, 'CHANNEL_NOT_FOUND']);
    const rec = await gw.api<{ code: string }>(`/api/devices/${DEVICE}/channels/${missing}/records?start=1700000000&end=1700003600`);
    expect([rec.status, rec.body.code]).toEqual([404, 'CHANNEL_NOT_FOUND']);
  });

  it('an unknown device is DEVICE_NOT_FOUND (404), an unknown stream STREAM_NOT_FOUND (404)', async () => {
    const r = await gw.api<{ code: string }>(`/api/devices/34020000001320000999/channels/34020000001320000999/play`, { method: 'POST', body: '{}' });
    expect([r.status, r.body.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
    const s = await gw.api<{ code: string }>(`/api/streams/${DEVICE}_nope`, { method: 'DELETE' });
    expect([s.status, s.body.code]).toEqual([404, 'STREAM_NOT_FOUND']);
  });

  it('congestion scoring without a vision worker is FEATURE_DISABLED (501)', async () => {
    const r = await gw.api<{ code: string }>(`/api/channels/${CH(1)}/watch`, { method: 'POST', body: JSON.stringify({ deviceId: DEVICE }) });
    expect([r.status, r.body.code]).toEqual([501, 'FEATURE_DISABLED']);
  });

  it('all RTP ports held by another program is PORTS_EXHAUSTED (503) play after play, with the descriptor count at its baseline', async () => {
    const { RTP_PORT_MIN, RTP_PORT_MAX } = gw.config;
    const squatters: Socket[] = [];
    for (let p = RTP_PORT_MIN + (RTP_PORT_MIN % 2); p <= RTP_PORT_MAX; p += 2) {
      const s = createSocket('udp4');
      await new Promise<void>((resolve, reject) => (s.once('error', reject), s.bind(p, gw.config.MEDIA_BIND_HOST, () => resolve())));
      squatters.push(s);
    }
    try {
      behave = (ctx) => ({ status: 200, sdp: answerSdp(ctx) });
      const fds = () => readdirSync('/proc/self/fd').length;
      const baseline = fds();
      for (let i = 0; i < 5; i++) {
        const r = await play();
        expect([r.status, r.body.code]).toEqual([503, 'PORTS_EXHAUSTED']);
      }
      // Each failed bind closed its socket: the 8 ports tried leave no descriptor behind (2 of slack for the test's
      // own HTTP connections).
      expect(fds()).toBeLessThanOrEqual(baseline + 2);
      expect(gw.app.get(StreamsService).resources().ports).toBe(0);
    } finally {
      for (const s of squatters) s.close();
    }
  });

  it('a device that unregistered is DEVICE_OFFLINE (409)', async () => {
    await device.stop({ unregister: true, timeoutMs: 2000 });
    await waitFor('the device offline', async () => (await gw.api<{ online: boolean }>(`/api/devices/${DEVICE}`)).body.online === false, 5000);
    const r = await play();
    expect([r.status, r.body.code]).toEqual([409, 'DEVICE_OFFLINE']);
  });
});
