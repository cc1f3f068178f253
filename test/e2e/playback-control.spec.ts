import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { waitFor } from '../support/gateway-harness';
import { SIM_RECORDS_PER_QUERY } from '../../apps/device-sim/src';
import { probeVideo, readFlvHead, requireTool, segmentFile, startMediaRig, waitForSegments, type MediaRig } from '../support/media-probe';

let rig: MediaRig;
beforeAll(async () => {
  requireTool('ffmpeg');
  requireTool('ffprobe');
  rig = await startMediaRig({ codec: 'h264', width: 320, height: 180 });
});
afterAll(async () => {
  await rig?.close();
});

/** A recording of `seconds` ending an hour ago (unix seconds). */
function range(seconds: number): { start: number; end: number } {
  const end = Math.floor(Date.now() / 1000) - 3600;
  return { start: end - seconds, end };
}

describe('recorded video: playback (s=Playback) and MANSRTSP control', () => {
  it('RecordInfo through GET …/records lists the recordings the device reports in two MESSAGEs (SumNum 3), inside the asked window', async () => {
    const r = range(3600);
    const res = await rig.gw.api<{ sumNum: number; complete: boolean; records: { start: number; end: number; name: string | null }[] }>(
      `/api/devices/${rig.deviceId}/channels/${rig.channelId}/records?start=${r.start}&end=${r.end}`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.sumNum).toBe(SIM_RECORDS_PER_QUERY);
    expect(res.body.complete).toBe(true);
    expect(res.body.records.map((x) => x.name).sort()).toEqual(['rec1', 'rec2', 'rec3']);
    for (const x of res.body.records) {
      expect(x.start).toBeGreaterThanOrEqual(r.start);
      expect(x.end).toBeLessThanOrEqual(r.end);
    }
  }, 15_000);

  it('playback INVITE carries s=Playback, u= and the t= range; the HLS and FLV URLs it returns serve the recording', async () => {
    const r = range(60);
    const t0 = Date.now();
    const dto = await rig.playback({ ...r, transport: 'udp' });
    expect(dto.kind).toBe('playback');
    expect(dto.state).toBe('playing');
    const inv = lastInvite();
    expect(inv.sessionName).toBe('Playback');
    expect(inv.range).toEqual(r);
    expect(inv.offer).toContain(`u=${rig.channelId}:0`);
    expect(inv.ssrc[0]).toBe('1'); // history streams: first y= digit 1
    const hls = await waitForSegments(rig.url(dto.urls.hls), 1);
    const seg = await segmentFile(hls);
    try {
      const p = await probeVideo(seg.path);
      expect([p.codec, p.width, p.height]).toEqual(['h264', 320, 180]);
    } finally {
      seg.cleanup();
    }
    const flv = await readFlvHead(rig.url(dto.urls.flv), 6000);
    expect(flv.tagTypes).toContain(9);
    console.info(`[playback-control] playback: first HLS segment ${Date.now() - t0} ms`);
    await rig.gw.api(`/api/streams/${dto.streamId}`, { method: 'DELETE' });
  }, 30_000);

  it('playback takes ISO 8601 times as records and downloads do: the INVITE carries the same t= range as for unix seconds', async () => {
    const r = range(30);
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const dto = await rig.playback({ start: iso(r.start), end: iso(r.end).replace('Z', '+00:00'), transport: 'udp' });
    expect(dto.kind).toBe('playback');
    expect(lastInvite().range).toEqual(r);
    await rig.gw.api(`/api/streams/${dto.streamId}`, { method: 'DELETE' });
  }, 20_000);

  it('playback with hostile times (unreadable dates, reversed or over-24 h range, wrong types) is a 400 VALIDATION_FAILED naming the field, and no INVITE is sent', async () => {
    const r = range(60);
    const sent = invites.length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ start: 'yesterday', end: r.end }, /^start: must be unix seconds or an ISO 8601/],
      [{ start: '2024-02-30T10:00:00Z', end: r.end }, /^start: must be unix seconds or an ISO 8601/],
      [{ start: r.start, end: '2024-13-01T00:00:00' }, /^end: must be unix seconds or an ISO 8601/],
      [{ start: r.end, end: r.start }, /^end: must be after start$/],
      [{ start: r.start, end: r.start }, /^end: must be after start$/],
      [{ start: r.end - 86_401, end: r.end }, /^end: the span from start may be at most 24 h$/],
      [{ start: '1970-01-01T00:00:01Z', end: '2100-01-01T00:00:00Z' }, /^end: the span from start may be at most 24 h$/],
      [{ start: true, end: r.end }, /^start: /],
      [{ start: [r.start], end: r.end }, /^start: /],
      [{ start: r.start + 0.5, end: r.end }, /^start: must be unix seconds/],
      [{ start: -5, end: r.end }, /^start: must be unix seconds/],
      [{ start: 'x'.repeat(5000), end: r.end }, /^start: /],
      [{ end: r.end }, /^start: /],
      [{ start: r.start, end: r.end, speed: 2 }, /^speed: unknown field$/],
    ];
    for (const [body, message] of cases) {
      const res = await rig.gw.api<{ code: string; message: string }>(`/api/devices/${rig.deviceId}/channels/${rig.channelId}/playback`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.message, JSON.stringify(body).slice(0, 80)).toMatch(message);
    }
    expect(invites.length).toBe(sent);
  }, 15_000);

  it('pause, seek to 100 s and speed 2 reach the device as exactly PAUSE/PauseTime: now, PLAY/Range: npt=100-, PLAY/Scale: 2.0; the device honours them and its MediaStatus 121 at the end of the range ends the stream', async () => {
    const before = rig.media.stats.infos.length;
    const dto = await rig.playback({ ...range(110), transport: 'udp' });
    expect(dto.state).toBe('playing');
    const callId = lastInvite().callId;
    const session = rig.media.session(callId)!;
    expect(session).toBeDefined();
    const control = async (body: Record<string, unknown>) => {
      const res = await rig.gw.api<{ status: number; body: string }>(`/api/streams/${dto.streamId}/control`, { method: 'POST', body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    };

    await control({ action: 'pause' });
    expect(session.paused).toBe(true);
    const sentWhilePaused = session.stats.packetsSent;
    await new Promise((r) => setTimeout(r, 600));
    expect(session.stats.packetsSent).toBe(sentWhilePaused);

    await control({ action: 'seek', position: 100 });
    expect(session.paused).toBe(false);
    await waitFor('media from 100 s on', () => session.positionS >= 100, 5000);

    await control({ action: 'speed', scale: 2 });
    expect(session.scale).toBe(2);

    const infos = rig.media.stats.infos.slice(before).map((i) => i.body);
    expect(infos).toEqual([
      'PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n',
      'PLAY RTSP/1.0\r\nCSeq: 2\r\nRange: npt=100-\r\n\r\n',
      'PLAY RTSP/1.0\r\nCSeq: 3\r\nScale: 2.0\r\n\r\n',
    ]);
    expect(rig.media.stats.infos.slice(before).every((i) => i.status === 200)).toBe(true);

    // 10 s left at 2x: the device sends MediaStatus 121, the gateway stops the stream and BYEs the device.
    const t0 = Date.now();
    await waitFor('MediaStatus 121 sent and answered 200', () => rig.media.stats.mediaStatusSent === 1, 12_000);
    await waitFor('the BYE at the device', () => rig.media.session(callId) === undefined, 3000);
    await waitFor('the stream gone from GET /api/streams', async () => (await rig.streams()).every((s) => s.streamId !== dto.streamId), 3000);
    console.info(`[playback-control] end of range reached ${Date.now() - t0} ms after speed 2 (10 s of media left)`);
  }, 45_000);
});

function lastInvite() {
  const ev = invites.at(-1);
  if (!ev) throw new Error('the simulator saw no INVITE');
  return ev;
}

const invites: import('../../apps/device-sim/src').SimInviteEvent[] = [];
beforeAll(() => {
  rig.media.on('invite', (e) => invites.push(e));
});
