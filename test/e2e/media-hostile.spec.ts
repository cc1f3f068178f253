import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { serializeRtpPacket } from '@gb/gb28181';
import { waitFor } from '../support/gateway-harness';
import { requireTool, startMediaRig, waitForSegments, type MediaRig, type StreamDto } from '../support/media-probe';
import { StreamsService } from '../../apps/gateway/src/streams/streams.service';
import { wrongSsrcFor } from '../../apps/device-sim/src';

const NO_RTP_MS = 3000;
let rig: MediaRig;

beforeAll(async () => {
  requireTool('ffmpeg');
  requireTool('ffprobe');
  rig = await startMediaRig({ codec: 'h264', width: 320, height: 180 }, { STREAM_NO_RTP_TIMEOUT_MS: String(NO_RTP_MS) });
});
afterAll(async () => {
  await rig?.close();
});

/**
 * A play that must fail: POST …/play (aborted after `answerWithinMs` so a hanging request cannot hang the suite),
 * and the failed stream as GET /api/streams lists it (failed streams stay listed with their error for a while).
 */
function failingPlay(deviceId: string, channelId: string, answerWithinMs: number): { http: Promise<string>; listed: Promise<StreamDto> } {
  const streamId = `${deviceId}_${channelId}`;
  const http = (async () => {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), answerWithinMs);
    try {
      const r = await fetch(rig.url(`/api/devices/${deviceId}/channels/${channelId}/play`), {
        method: 'POST', headers: { ...(await rig.gw.auth()), 'content-type': 'application/json' }, body: JSON.stringify({ transport: 'udp' }), signal: ac.signal,
      });
      return `${r.status} ${await r.text()}`;
    } catch (e) {
      return (e as Error).name === 'AbortError' ? `no answer within ${answerWithinMs} ms` : (e as Error).message;
    } finally {
      clearTimeout(t);
    }
  })();
  const listed = waitFor(`${streamId} listed as failed`, async () => (await rig.streams()).find((s) => s.streamId === streamId && s.state === 'failed'), NO_RTP_MS + 4000);
  return { http, listed };
}

describe('hostile media peers', () => {
  it('a device sending RTP with another SSRC than its answered y=: packets are counted in wrongSsrc and dropped, the stream never plays and fails naming the SSRC', async () => {
    const cam = await rig.addCamera({ codec: 'h264', width: 320, height: 180, wrongSsrc: true });
    const t0 = Date.now();
    const play = failingPlay(cam.deviceId, cam.channelId, NO_RTP_MS + 5000);
    const listed = await play.listed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(NO_RTP_MS - 200);
    expect(listed.wrongSsrc).toBeGreaterThan(0);
    expect(listed.packets).toBe(0);
    expect(listed.codec).toBeNull();
    expect(listed.error).toContain(listed.ssrc);
    expect(listed.error).toMatch(/another SSRC/);
    expect(cam.media.stats.packetsSent).toBeGreaterThan(0);
    await waitFor('the BYE at the device', () => cam.media.stats.byes === 1, 3000);
    console.info(`[media-hostile] sent SSRC ${wrongSsrcFor(Number(listed.ssrc))} vs y=${listed.ssrc}: ${listed.wrongSsrc} packets counted; error: ${listed.error}`);
    expect(listed.errorCode).toBe('MEDIA_WRONG_SSRC');
    const http = await play.http;
    expect(http, 'POST play must answer once the stream failed').toMatch(/^502 /);
    expect(http).toContain('MEDIA_WRONG_SSRC');
    expect(http).toContain(listed.ssrc);
  }, 20_000);

  it('garbage datagrams and stray-SSRC RTP at the RTP port of a playing UDP stream are counted and do not disturb it: new segments keep coming', async () => {
    const dto = await rig.play({ transport: 'udp' });
    expect(dto.state).toBe('playing');
    const before = await waitForSegments(rig.url(dto.urls.hls), 1);
    const port = Number(/:(\d+) \(udp\)$/.exec(dto.offered)?.[1]);
    expect(port).toBeGreaterThan(0);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const junk: Buffer[] = [Buffer.alloc(0), Buffer.from([0x80]), Buffer.alloc(11, 0x80), Buffer.from('INVITE sip:x SIP/2.0\r\n\r\n')];
    for (let i = 0; i < 40; i++) junk.push(Buffer.concat([Buffer.from([0x00]), randomBytes(20 + i * 30)])); // RTP version 0
    for (let i = 0; i < 20; i++) {
      junk.push(serializeRtpPacket({ payloadType: 96, sequenceNumber: i, timestamp: i * 3600, ssrc: 0xdeadbeef, marker: true, payload: randomBytes(200) }));
    }
    for (const j of junk) await new Promise<void>((r) => sock.send(j, port, '127.0.0.1', () => r()));
    sock.close();
    const lastBefore = before.segments.at(-1)!.replace(/\?.*$/, '');
    const after = await waitFor('a segment newer than the garbage', async () => {
      const st = await waitForSegments(rig.url(dto.urls.hls), 1);
      return st.segments.some((s) => s.replace(/\?.*$/, '') > lastBefore) ? st : null;
    }, 10_000);
    expect(after.segments.length).toBeGreaterThan(0);
    const listed = (await rig.streams()).find((s) => s.streamId === dto.streamId)!;
    expect(listed.state).toBe('playing');
    expect(listed.error).toBeNull();
    expect(listed.wrongSsrc).toBe(20);
    // StreamDto has no `garbage` field: read the receiver's counter in-process.
    const info = rig.gw.app.get(StreamsService).get(dto.streamId)!.media.info();
    expect(info.garbage).toBe(junk.length - 20);
    expect(listed.packets).toBeGreaterThan(0);
  }, 30_000);

  it('a device that answers 200 but never sends RTP gets a BYE after STREAM_NO_RTP_TIMEOUT_MS, and the error names the offered address and port and says no packet arrived', async () => {
    const cam = await rig.addCamera({ noRtp: true });
    const bye = new Promise<number>((r) => cam.media.once('bye', () => r(Date.now())));
    const t0 = Date.now();
    const play = failingPlay(cam.deviceId, cam.channelId, NO_RTP_MS + 5000);
    const listed = await play.listed;
    const byeAt = await Promise.race([bye, new Promise<number>((r) => setTimeout(() => r(-1), 3000))]);
    expect(byeAt, 'the simulator never received a BYE').toBeGreaterThan(0);
    expect(byeAt - t0).toBeGreaterThanOrEqual(NO_RTP_MS - 200);
    expect(cam.media.stats.packetsSent).toBe(0);
    expect(listed.offered).toMatch(/^127\.0\.0\.1:\d+ \(udp\)$/);
    expect(listed.error).toContain(listed.offered);
    expect(listed.error).toMatch(/no packet at all arrived/);
    console.info(`[media-hostile] no RTP: BYE after ${byeAt - t0} ms; error: ${listed.error}`);
    expect(listed.errorCode).toBe('MEDIA_NO_RTP');
    const http = await play.http;
    expect(http, 'POST play must answer once the stream failed').toMatch(/^504 /);
    expect(http).toContain('MEDIA_NO_RTP');
    expect(http).toContain(listed.offered);
  }, 20_000);
});
