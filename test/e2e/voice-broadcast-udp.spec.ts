import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { pcmRms, pcmTone } from '@gb/gb28181';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, type SimulatedDevice } from '../../apps/device-sim/src';

const PASSWORD = '12345678';

interface VoiceStart {
  session: { id: string; state: string; payload?: string; transport?: string; closeReason?: string };
  wsUrl: string;
  code?: string;
  message?: string;
}

/** A WebSocket to the session with its messages (binary PCM, text JSON) and its close code. */
async function openVoiceSocket(gw: TestGateway, wsUrl: string) {
  const ws = new WebSocket(gw.httpUrl.replace(/^http/, 'ws') + wsUrl);
  const texts: { type: string; reason?: string }[] = [];
  const pcm: Int16Array[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (d: Buffer, isBinary) => {
    if (isBinary) pcm.push(new Int16Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)));
    else texts.push(JSON.parse(d.toString()) as { type: string });
  });
  await new Promise<void>((ok, ko) => {
    ws.once('open', () => ok());
    ws.once('error', ko);
  });
  await waitFor('the ready message', () => texts.some((t) => t.type === 'ready'), 3000, 20);
  return { ws, texts, pcm, closed };
}

/** `ms` of a 440 Hz tone as 20 ms frames of 8 kHz s16le, paced in real time. */
async function sendTone(ws: WebSocket, ms: number): Promise<void> {
  for (let n = 0; n < ms / 20 && ws.readyState === WebSocket.OPEN; n++) {
    const f = pcmTone(440, 10000, n * 160, 160);
    ws.send(Buffer.from(f.buffer));
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Voice end to end (GB/T 28181-2016 §9.12) with simulated cameras: broadcast (Broadcast MESSAGE, the camera's INVITE,
 * G.711 raw over UDP and PS over TCP), one session per device (VOICE_BUSY), the camera's BYE closing the page's
 * socket, talk both ways, and a hostile frame on the socket.
 */
describe('voice broadcast and talk (simulated cameras over UDP)', () => {
  let gw: TestGateway;
  let udpCam: SimulatedDevice;
  let tcpCam: SimulatedDevice;
  let refusing: SimulatedDevice;
  const udpId = '34020000001320000961';
  const tcpId = '34020000001320000962';
  const refusingId = '34020000001320000963';

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD, RTP_PORT_MIN: '36100', RTP_PORT_MAX: '36199' });
    udpCam = await startSimDevice(gw, { deviceId: udpId, password: PASSWORD, channels: 1, extra: { voice: { payload: 'PCMA', transport: 'udp' } } });
    tcpCam = await startSimDevice(gw, { deviceId: tcpId, password: PASSWORD, channels: 1, extra: { voice: { payload: 'PS', transport: 'tcp-active' } } });
    refusing = await startSimDevice(gw, { deviceId: refusingId, password: PASSWORD, channels: 1, extra: { voice: { mode: 'busy' } } });
  }, 40_000);

  let stopped = false;
  afterAll(async () => {
    await udpCam?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await tcpCam?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await refusing?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    if (!stopped) await gw?.stop();
  });

  const start = (body: unknown) => gw.api<VoiceStart>('/api/voice', { method: 'POST', body: JSON.stringify(body) });

  it('broadcast PCMA over UDP: the tone sent into the WebSocket reaches the camera decoded and not silent; a second session gets 409 VOICE_BUSY; the camera\'s BYE closes the socket', async () => {
    const r = await start({ deviceId: udpId, channelId: channelId(udpId, 1), mode: 'broadcast' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.session).toMatchObject({ state: 'open', payload: 'PCMA', transport: 'udp' });
    const page = await openVoiceSocket(gw, r.body.wsUrl);
    await sendTone(page.ws, 600);
    await waitFor('the tone at the camera', () => udpCam.voice.stats.samples >= 2400, 5000);
    expect(udpCam.voice.stats.rms).toBeGreaterThan(5000); // 10000/√2 ≈ 7071 sent
    expect(udpCam.voice.stats).toMatchObject({ broadcasts: 1, payload: 'PCMA', transport: 'udp', active: true });

    const busy = await start({ deviceId: udpId, mode: 'talk' });
    expect([busy.status, busy.body.code]).toEqual([409, 'VOICE_BUSY']);
    expect(busy.body.message).toContain(r.body.session.id);

    expect(await udpCam.voice.byeAll()).toEqual([200]);
    const closed = await page.closed;
    expect(closed.code).toBe(1000);
    expect(closed.reason).toMatch(/BYE/);
    const list = await gw.api<{ id: string; state: string; closeReason?: string }[]>('/api/voice');
    expect(list.body.find((s) => s.id === r.body.session.id)).toMatchObject({ state: 'closed', closeReason: expect.stringMatching(/BYE/) });
  });

  it('broadcast PS over TCP (the camera connects): the tone arrives, DELETE sends BYE and the camera stops', async () => {
    const r = await start({ deviceId: tcpId, mode: 'broadcast' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.session).toMatchObject({ payload: 'PS', transport: 'tcp-active' });
    const page = await openVoiceSocket(gw, r.body.wsUrl);
    await sendTone(page.ws, 600);
    await waitFor('the tone at the camera', () => tcpCam.voice.stats.samples >= 2400, 5000);
    expect(tcpCam.voice.stats.rms).toBeGreaterThan(5000);
    const del = await gw.api(`/api/voice/${r.body.session.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    await waitFor('the camera got the BYE', () => !tcpCam.voice.stats.active, 3000);
    expect((await page.closed).code).toBe(1000);
  });

  it('talk: the page\'s tone reaches the camera and the camera\'s 440 Hz tone comes back as PCM', async () => {
    const before = udpCam.voice.stats.samples;
    const r = await start({ deviceId: udpId, channelId: channelId(udpId, 1), mode: 'talk' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const page = await openVoiceSocket(gw, r.body.wsUrl);
    await sendTone(page.ws, 600);
    await waitFor('the camera\'s tone at the page', () => page.pcm.reduce((n, f) => n + f.length, 0) >= 2400, 5000);
    const back = Int16Array.from(page.pcm.flatMap((f) => [...f]));
    expect(pcmRms(back)).toBeGreaterThan(4000); // the camera sends amplitude 8000: ≈ 5657
    await waitFor('the page\'s tone at the camera', () => udpCam.voice.stats.samples - before >= 2400, 5000);
    page.ws.close();
    await waitFor('the session ended with the socket', async () => !(await gw.api<{ id: string; state: string }[]>('/api/voice')).body.some((s) => s.id === r.body.session.id && s.state !== 'closed'), 3000);
    await waitFor('the camera got the BYE', () => !udpCam.voice.stats.active, 3000);
  });

  it('talk over TCP with a camera that prefers PS: both tones cross in PS over one RFC 4571 connection', async () => {
    const before = tcpCam.voice.stats.samples;
    const r = await start({ deviceId: tcpId, mode: 'talk', transport: 'tcp' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.session).toMatchObject({ payload: 'PS', transport: 'tcp-active' });
    const page = await openVoiceSocket(gw, r.body.wsUrl);
    await sendTone(page.ws, 600);
    await waitFor('the camera\'s tone at the page', () => page.pcm.reduce((n, f) => n + f.length, 0) >= 2400, 5000);
    expect(pcmRms(Int16Array.from(page.pcm.flatMap((f) => [...f])))).toBeGreaterThan(4000);
    await waitFor('the page\'s tone at the camera', () => tcpCam.voice.stats.samples - before >= 2400, 5000);
    expect(tcpCam.voice.stats.payload).toBe('PS');
    const del = await gw.api(`/api/voice/${r.body.session.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    await waitFor('the camera got the BYE', () => !tcpCam.voice.stats.active, 3000);
  });

  it('a frame of an odd length closes the socket with 4400 and ends the session; a wrong token gets 4401', async () => {
    const r = await start({ deviceId: udpId, mode: 'broadcast' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const page = await openVoiceSocket(gw, r.body.wsUrl);
    page.ws.send(Buffer.alloc(321));
    expect((await page.closed).code).toBe(4400);
    await waitFor('the camera got the BYE', () => !udpCam.voice.stats.active, 3000);
    const bad = new WebSocket(gw.httpUrl.replace(/^http/, 'ws') + r.body.wsUrl.replace(/token=[^&]+/, 'token=1.00'));
    const code = await new Promise<number>((resolve) => bad.on('close', (c) => resolve(c)));
    expect(code).toBe(4401);
  });

  it('a camera that refuses: broadcast (Result ERROR) and talk (486) are 502 DEVICE_REFUSED at once, and the device is free again', async () => {
    const t0 = Date.now();
    const b = await start({ deviceId: refusingId, mode: 'broadcast' });
    expect([b.status, b.body.code]).toEqual([502, 'DEVICE_REFUSED']);
    expect(b.body.message).toMatch(/refused the voice broadcast/);
    expect(Date.now() - t0).toBeLessThan(3000); // not the 8 s wait for an INVITE
    const t = await start({ deviceId: refusingId, mode: 'talk' });
    expect([t.status, t.body.code]).toEqual([502, 'DEVICE_REFUSED']);
    expect(t.body.message).toMatch(/486/);
    expect((await gw.api<{ deviceId: string; state: string }[]>('/api/voice')).body.filter((s) => s.deviceId === refusingId && s.state !== 'closed')).toEqual([]);
  });

  it('shutdown: an open session gets BYE to the camera and the page\'s socket closes with 1001 (last: the gateway stops)', async () => {
    const r = await start({ deviceId: udpId, mode: 'broadcast' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const page = await openVoiceSocket(gw, r.body.wsUrl);
    await waitFor('the camera in a session', () => udpCam.voice.stats.active, 3000);
    const stopping = gw.stop();
    expect((await page.closed).code).toBe(1001);
    await waitFor('the camera got the BYE', () => !udpCam.voice.stats.active, 3000);
    await stopping;
    stopped = true;
  });
});
