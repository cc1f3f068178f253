import { createSocket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { StreamDto } from '@gb/contracts';
import { parseSdp, type SipMessage } from '@gb/gb28181';
import { SimulatedDevice, buildChannels, channelId } from '../../apps/device-sim/src';
import { DeviceMediaSimulator } from '../../apps/device-sim/src/media/device-media.simulator';
import { mulberry32 } from '../../apps/device-sim/src/media/rtp-impairment';
import type { InviteAnswer, InviteContext } from '../../apps/device-sim/src/media/invite-hook';
import { SipService } from '../../apps/gateway/src/sip/sip.service';
import { StreamsService } from '../../apps/gateway/src/streams/streams.service';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { requireTool, rtpRangeEnv } from '../support/media-probe';

/**
 * Churn: 500 random operations (play, stop, device crash, device delete, device unregister, gateway restart) over
 * four simulated devices whose INVITE answers are drawn at random (media, refusal, silence, no answer, a 2xx after
 * we gave up). Afterwards nothing is held: no session, dialog, port or SSRC, no ffmpeg child (ours or the
 * simulator's), no socket in the RTP range, descriptors back to the baseline, and every 2xx a device sent to an
 * INVITE was followed by a BYE from the gateway (or the device's own).
 */

const PASSWORD = '12345678';
const OPS = 500;
const DEVICES = 4;
const INVITE_TIMEOUT_MS = 1200;

/** Seeded (mulberry32): the same run every time, and a failing seed can be replayed with CHURN_SEED. */
const SEED = Number(process.env.CHURN_SEED ?? 28181);
const rand = mulberry32(SEED);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The SIP the gateway exchanged, tapped at its transport: INVITE 2xx received, BYE sent or received, by Call-ID. */
const answered = new Set<string>();
const byes = new Set<string>();
function tap(gw: TestGateway): void {
  const transport = gw.app.get(SipService).transport;
  const send = transport.send.bind(transport);
  transport.send = ((m: SipMessage, flow: Parameters<typeof send>[1]) => {
    if (m.type === 'request' && m.method === 'BYE') byes.add(m.headers.get('Call-ID') ?? '');
    return send(m, flow);
  }) as typeof transport.send;
  transport.on('message', (m: SipMessage) => {
    const callId = m.headers.get('Call-ID') ?? '';
    if (m.type === 'response' && m.status >= 200 && m.status < 300 && /INVITE/i.test(m.headers.get('CSeq') ?? '')) answered.add(callId);
    if (m.type === 'request' && m.method === 'BYE') byes.add(callId);
  });
}

function answerSdp(ctx: InviteContext): string {
  const offer = parseSdp(ctx.offer);
  return ['v=0', `o=${ctx.channelId} 0 0 IN IP4 127.0.0.1`, `s=${offer.sessionName}`, 'c=IN IP4 127.0.0.1', 't=0 0', `m=video 15060 ${offer.media[0]!.protocol} 96`, 'a=rtpmap:96 PS/90000', 'a=sendonly', `y=${offer.ssrc}`, ''].join('\r\n');
}

type Behaviour = 'media' | 'refuse' | 'silent' | 'hang' | 'late';
const BEHAVIOURS: Behaviour[] = ['media', 'media', 'media', 'media', 'refuse', 'silent', 'hang', 'late'];

interface Cam {
  deviceId: string;
  media: DeviceMediaSimulator;
  device?: SimulatedDevice;
  /** A restart is pending (the device is down meanwhile). */
  restarting?: Promise<void>;
}

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Sockets of this process (by inode, from /proc/self/fd) bound to a local port in [min, max], UDP and TCP. */
function socketsInRange(min: number, max: number): number {
  const mine = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) mine.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  let n = 0;
  for (const f of ['/proc/net/udp', '/proc/net/tcp', '/proc/net/udp6', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const port = parseInt(cols[1]?.split(':')[1] ?? '', 16);
      if (port >= min && port <= max && mine.has(cols[9] ?? '')) n++;
    }
  }
  return n;
}

function ffmpegChildren(): number {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg']).toString().trim().split('\n').filter(Boolean).length;
  } catch {
    return 0; // pgrep exits 1 when nothing matches
  }
}

let gw: TestGateway | undefined;
const cams: Cam[] = [];

afterAll(async () => {
  for (const c of cams) {
    c.media.close();
    await c.device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
  }
  await gw?.stop().catch(() => undefined);
});

describe('stream churn (UDP signalling, UDP and TCP media)', () => {
  it(`${OPS} random plays, stops, device crashes, deletes, unregistrations and gateway restarts leave nothing behind and every 2xx BYEd`, async () => {
    requireTool('ffmpeg');
    // A fixed SIP port, so devices find the gateway again after it restarts.
    const probe = createSocket('udp4');
    const sipPort = await new Promise<number>((resolve) => probe.bind(0, '127.0.0.1', () => resolve(probe.address().port)));
    probe.close();
    const range = rtpRangeEnv(64);
    const env = {
      SIP_PASSWORD: PASSWORD, SIP_PORT: String(sipPort), ...range, INVITE_TIMEOUT_MS: String(INVITE_TIMEOUT_MS), STREAM_NO_RTP_TIMEOUT_MS: '2500',
      KEEPALIVE_INTERVAL_S: '1', KEEPALIVE_MAX_MISSED: '2', STREAM_IDLE_TIMEOUT_MS: '600000', VISION_EMBEDDED: 'false',
    };
    gw = await startTestGateway(env);
    const dataDir = gw.dataDir;
    tap(gw);
    const rtpMin = Number(range.RTP_PORT_MIN);
    const rtpMax = Number(range.RTP_PORT_MAX);

    const hookFor = (cam: Cam) => async (ctx: InviteContext): Promise<InviteAnswer> => {
      const b = pick(BEHAVIOURS);
      if (b === 'media') return cam.media.hook(ctx);
      if (b === 'refuse') return { status: pick([480, 486, 503]) };
      if (b === 'silent') return { status: 200, sdp: answerSdp(ctx) };
      if (b === 'hang') return sleep(INVITE_TIMEOUT_MS + 800).then(() => ({ status: 487 }));
      return sleep(INVITE_TIMEOUT_MS + 300).then(() => ({ status: 200, sdp: answerSdp(ctx) })); // late: after our CANCEL
    };
    const startDevice = async (cam: Cam) => {
      const d = new SimulatedDevice(
        {
          deviceId: cam.deviceId, serverHost: '127.0.0.1', serverPort: sipPort, serverId: gw!.config.SIP_ID, domain: gw!.config.SIP_DOMAIN, password: PASSWORD,
          transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 1, charset: 'GB2312', catalogPerMessage: 2,
          channels: buildChannels(cam.deviceId, 0, 2), manufacturer: 'GBSIM', model: 'SIM', firmware: '1', name: 'churn', retryDelayMs: 200,
        },
        { onInvite: hookFor(cam) },
      );
      d.on('error', () => undefined);
      cam.device = d;
      await d.start();
    };
    /** Takes the device down now; it comes back (a new socket, a new registration) after `downMs`. */
    const bounce = (cam: Cam, unregister: boolean, downMs: number) => {
      if (cam.restarting) return;
      const d = cam.device;
      cam.restarting = (async () => {
        await d?.stop({ unregister, timeoutMs: 1000 }).catch(() => undefined);
        cam.media.close();
        await sleep(downMs);
        await startDevice(cam);
      })().finally(() => (cam.restarting = undefined));
    };

    for (let i = 0; i < DEVICES; i++) {
      const cam: Cam = { deviceId: `3402000000132${String(7100 + i).padStart(7, '0')}`, media: new DeviceMediaSimulator({ width: 160, height: 120, fps: 10 }) };
      cams.push(cam);
      await startDevice(cam);
    }
    await waitFor('all devices online', async () => (await gw!.api<{ deviceId: string; online: boolean }[]>('/api/devices')).body.filter((d) => d.online).length === DEVICES, 15_000);
    await sleep(500);
    const fdBaseline = fdCount();

    const t0 = Date.now();
    const plays = new Set<Promise<unknown>>();
    const counts: Record<string, number> = {};
    const outcomes: Record<string, number> = {};
    for (let op = 0; op < OPS; op++) {
      const r = rand();
      const kind = r < 0.6 ? 'play' : r < 0.8 ? 'stop' : r < 0.86 ? 'crash' : r < 0.92 ? 'delete' : r < 0.99 ? 'unregister' : r < 0.995 ? 'restart' : 'pause';
      counts[kind] = (counts[kind] ?? 0) + 1;
      const cam = pick(cams);
      if (kind === 'play' && plays.size < 8) {
        const ch = channelId(cam.deviceId, 1 + Math.floor(rand() * 2));
        const p = gw.api<{ code?: string; state?: string }>(`/api/devices/${cam.deviceId}/channels/${ch}/play`, { method: 'POST', body: JSON.stringify({ transport: pick(['udp', 'udp', 'tcp-passive']) }) })
          .then((res) => (outcomes[res.body?.code ?? res.body?.state ?? String(res.status)] = (outcomes[res.body?.code ?? res.body?.state ?? String(res.status)] ?? 0) + 1))
          .catch(() => undefined)
          .finally(() => plays.delete(p));
        plays.add(p);
      } else if (kind === 'stop') {
        const list = (await gw.api<StreamDto[]>('/api/streams')).body;
        if (list.length) await gw.api(`/api/streams/${pick(list).streamId}`, { method: 'DELETE' });
      } else if (kind === 'crash') {
        bounce(cam, false, 3000); // silent death: found by missed keepalives, its streams closed with BYE
      } else if (kind === 'delete') {
        await gw.api(`/api/devices/${cam.deviceId}`, { method: 'DELETE' });
        bounce(cam, false, 200);
      } else if (kind === 'unregister') {
        bounce(cam, true, 500);
      } else if (kind === 'restart') {
        await Promise.allSettled([...plays]);
        await gw.stop({ keepData: true });
        gw = await startTestGateway(env, dataDir);
        tap(gw);
      }
      await sleep(10 + rand() * 40);
    }

    console.info(`[churn] ${OPS} operations in ${Date.now() - t0} ms`);
    // Settle: plays end, devices come back, then every stream is stopped and late answers are handled.
    await Promise.allSettled([...plays]);
    await Promise.allSettled(cams.map((c) => c.restarting));
    for (const s of (await gw.api<StreamDto[]>('/api/streams')).body) await gw.api(`/api/streams/${s.streamId}`, { method: 'DELETE' });
    await sleep(INVITE_TIMEOUT_MS + 1500);
    for (const s of (await gw.api<StreamDto[]>('/api/streams')).body) await gw.api(`/api/streams/${s.streamId}`, { method: 'DELETE' });
    console.info(`[churn] seed ${SEED}; ops ${JSON.stringify(counts)}; play outcomes ${JSON.stringify(outcomes)}; 2xx ${answered.size}, BYEs ${byes.size}`);

    const streams = gw.app.get(StreamsService);
    await waitFor('every resource released', () => {
      const r = streams.resources();
      return r.sessions === 0 && r.dialogs === 0 && r.ports === 0 && r.ssrcs === 0 && r.invites === 0;
    }, 10_000).catch(() => undefined);
    expect(streams.resources()).toEqual({ sessions: 0, dialogs: 0, ports: 0, ssrcs: 0, invites: 0 });
    expect(outcomes.playing ?? 0).toBeGreaterThan(5); // the churn really played video
    await waitFor('no ffmpeg child left', () => ffmpegChildren() === 0, 10_000).catch(() => undefined);
    expect(ffmpegChildren()).toBe(0);
    expect(socketsInRange(rtpMin, rtpMax)).toBe(0);
    // Each 2xx a device sent to an INVITE was answered with a BYE (ours, also for 2xx after we gave up) or the device's own.
    const unmatched = [...answered].filter((c) => !byes.has(c));
    expect(unmatched).toEqual([]);
    expect(answered.size).toBeGreaterThan(10);
    // Descriptors: back to the baseline (a few for HTTP keep-alive connections of the test's own fetch).
    await waitFor('descriptors back to the baseline', () => fdCount() <= fdBaseline + 4, 10_000).catch(() => undefined);
    expect(fdCount()).toBeLessThanOrEqual(fdBaseline + 4);
  }, 240_000);
});
