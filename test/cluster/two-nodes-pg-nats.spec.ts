import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { WebSocket } from 'ws';
import type { ChannelCongestionDto, DeviceDto } from '@gb/contracts';
import { DeviceFleet, DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId } from '../../apps/device-sim/src';
import type { StreamDto } from '../../apps/gateway/src/streams/stream.types';
import { waitFor } from '../support/gateway-harness';
import { probeVideo, requireTool, segmentFile, waitForSegments } from '../support/media-probe';
import { parseExposition, sample, type Family } from '../support/prometheus-text';
import {
  createTestDatabase,
  makeLogDir,
  requireServices,
  startGatewayNode,
  startVisionWorker,
  type GatewayNode,
  type ProcessHandle,
} from '../support/cluster-harness';

/**
 * Two gateway nodes and two vision workers as separate processes on one real PostgreSQL and one real NATS, with
 * 500 simulated devices split over the nodes (every device knows the other node as its backup server).
 * Over five minutes of keepalives a checker reads the devices table every second: no device is ever written
 * offline, or owned by a node it is not registered with. Meanwhile: a play on A of B's device (HLS read by ffprobe
 * at the URL A returned, which points at B), PTZ through A reaching the device on B, B's events on A's WebSocket,
 * a watched channel INVITEd and scored once, a device moving A -> B ending its stream on A with a BYE, and both
 * nodes' /metrics. Then kill -9 B: its devices re-register with A and the watch resumes there, A's alerts stay;
 * restarting B changes nothing of A's.
 */
const PASSWORD = '12345678';
const FLEET_SIZE = 250;
const CHECK_MS = Number(process.env.CLUSTER_CHECK_MS ?? 300_000);
// Serials below 10,000: the simulator's channel IDs (serial × 100 + index) stay distinct across devices.
const FLEET_A_FIRST = '34020000001320001001';
const FLEET_B_FIRST = '34020000001320002001';
const M = '34020000001320003001'; // media camera on B (watched, played through A, PTZ)
const MV = '34020000001320003002'; // media camera that moves from A to B
const NODE_ENV = {
  SIP_PASSWORD: PASSWORD,
  KEEPALIVE_INTERVAL_S: '5',
  KEEPALIVE_MAX_MISSED: '3',
  LIVENESS_FLUSH_MS: '1000',
  NODE_HEARTBEAT_MS: '1000',
  NODE_DEAD_AFTER_MS: '5000',
  CLUSTER_REQUEST_TIMEOUT_MS: '15000',
  VISION_FPS: '1',
  VISION_HEARTBEAT_MS: '1000',
  VISION_RETRY_MS: '1000',
  CATALOG_GAP_TIMEOUT_MS: '1000',
  STREAM_IDLE_TIMEOUT_MS: '60000',
  // CI runs other test files beside this one on two cores: generous media bounds, so a slow start is not a failure.
  INVITE_TIMEOUT_MS: '15000',
  STREAM_NO_RTP_TIMEOUT_MS: '20000',
};

interface Violation {
  at: number;
  deviceId: string;
  owner: string | null;
  online: boolean;
  expected: string;
}

describe('two gateway nodes on one PostgreSQL and one NATS (separate processes)', () => {
  const prefix = `t${process.pid}${Date.now().toString(36)}`;
  const logDir = makeLogDir();
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: GatewayNode;
  let b: GatewayNode;
  const workers: Array<ProcessHandle & { metricsPort: number }> = [];
  let fleetA: DeviceFleet;
  let fleetB: DeviceFleet;
  const media = new DeviceMediaSimulator({ fps: 10, gop: 10 });
  const mvMedia = new DeviceMediaSimulator({ fps: 10, gop: 10 });
  let m: SimulatedDevice;
  let mv: SimulatedDevice;
  const nodeOfPort = new Map<number, string>();
  const checks = { runs: 0, violations: [] as Violation[], timer: undefined as NodeJS.Timeout | undefined, startedAt: 0 };

  const camera = (deviceId: string, primary: GatewayNode, backup: GatewayNode, sim: DeviceMediaSimulator) =>
    new SimulatedDevice(
      {
        deviceId, serverHost: '127.0.0.1', serverPort: primary.sipPort, serverId: '34020000002000000001', domain: '3402000000', password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 3, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(deviceId, 0, 1), manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1', name: `cam-${deviceId.slice(-1)}`,
        retryDelayMs: 1000, fallbackServers: [{ host: '127.0.0.1', port: backup.sipPort }],
      },
      { onInvite: sim.hook },
    );

  const fleet = (first: string, primary: GatewayNode, backup: GatewayNode) =>
    new DeviceFleet({
      count: FLEET_SIZE, firstDeviceId: first, channelsPerDevice: 1, serverHost: '127.0.0.1', serverPort: primary.sipPort,
      serverId: '34020000002000000001', domain: '3402000000', password: PASSWORD, transport: 'udp', localHost: '127.0.0.1',
      expires: 3600, keepaliveSeconds: 5, charset: 'GB2312', catalogPerMessage: 2, manufacturer: 'GBSIM', model: 'SIM', firmware: '1',
      retryDelayMs: 1000, ratePerSecond: 50, fallbackServers: [{ host: '127.0.0.1', port: backup.sipPort }],
    });

  const allSims = () => [...fleetA.devices, ...fleetB.devices, m];
  const expectedOwner = (d: SimulatedDevice) => nodeOfPort.get(d.currentServer.port)!;

  async function metrics(port: number): Promise<Map<string, Family>> {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(r.status).toBe(200);
    return parseExposition(await r.text());
  }

  const total = (f: Map<string, Family>, name: string) => (f.get(name)?.samples ?? []).filter((s) => s.name === name).reduce((x, s) => x + s.value, 0);

  beforeAll(async () => {
    requireTool('ffprobe');
    await requireServices();
    db = await createTestDatabase();
    // Both nodes start at once on an empty database: migrations take turns, the generated secrets agree.
    [a, b] = await Promise.all([
      startGatewayNode({ nodeId: 'a', databaseUrl: db.url, prefix, logDir, env: NODE_ENV }),
      startGatewayNode({ nodeId: 'b', databaseUrl: db.url, prefix, logDir, env: NODE_ENV }),
    ]);
    nodeOfPort.set(a.sipPort, 'a').set(b.sipPort, 'b');
    for (const id of ['w1', 'w2']) workers.push(await startVisionWorker({ workerId: id, prefix, logDir, env: { VISION_HEARTBEAT_MS: '1000', VISION_RETRY_MS: '1000' } }));
    fleetA = fleet(FLEET_A_FIRST, a, b);
    fleetB = fleet(FLEET_B_FIRST, b, a);
    m = camera(M, b, a, media);
    mv = camera(MV, a, b, mvMedia);
    // First outcomes may include a slow answer on a loaded machine: a device then retries (or moves to its backup
    // server, as a camera does); the first test waits until every device is registered somewhere.
    await Promise.all([fleetA.start(), fleetB.start(), m.start(), mv.start()]);
  }, 240_000);

  afterAll(async () => {
    clearInterval(checks.timer);
    media.close();
    mvMedia.close();
    await Promise.all([
      fleetA?.stop({ unregister: false, timeoutMs: 200 }).catch(() => undefined),
      fleetB?.stop({ unregister: false, timeoutMs: 200 }).catch(() => undefined),
      m?.stop({ unregister: false, timeoutMs: 200 }).catch(() => undefined),
      mv?.stop({ unregister: false, timeoutMs: 200 }).catch(() => undefined),
    ]);
    await Promise.all([a?.stop(), b?.stop(), ...workers.map((w) => w.stop())]);
    await db?.drop();
    if (!process.env.KEEP_CLUSTER_LOGS) rmSync(logDir, { recursive: true, force: true });
  }, 120_000);

  it('each node owns its half; GET /api/devices on either node lists all 500 online with their owner', async () => {
    await waitFor('every simulated device registered', () => [...allSims(), mv].every((d) => d.state === 'registered'), 90_000, 500);
    // The media cameras must be where the later tests expect them (M on B, MV on A).
    expect([expectedOwner(m), expectedOwner(mv)]).toEqual(['b', 'a']);
    const want = new Map(allSims().map((d) => [d.deviceId, expectedOwner(d)]));
    for (const node of [a, b]) {
      await waitFor(`node ${node.nodeId} lists every device online with its owner`, async () => {
        const r = await node.api<DeviceDto[]>('/api/devices');
        if (r.status !== 200) return false;
        const byId = new Map(r.body.map((d) => [d.deviceId, d]));
        return [...want].every(([id, owner]) => byId.get(id)?.online === true && byId.get(id)?.node === owner);
      }, 60_000, 500);
    }
    // Each node owns exactly the devices registered with it: its half, less any that moved to their backup on a slow start.
    const owners = await db.query<{ owner_node: string; n: number }>(`SELECT owner_node, count(*)::int AS n FROM devices GROUP BY owner_node ORDER BY owner_node`);
    const expected = [...allSims(), mv].reduce((acc, d) => acc.set(expectedOwner(d), (acc.get(expectedOwner(d)) ?? 0) + 1), new Map<string, number>());
    expect(owners).toEqual([{ owner_node: 'a', n: expected.get('a') }, { owner_node: 'b', n: expected.get('b') }]);
    expect(Math.min(expected.get('a')!, expected.get('b')!)).toBeGreaterThan(FLEET_SIZE * 0.8);
    const nodes = await a.api<Array<{ nodeId: string; alive: boolean; publicUrl: string; self: boolean }>>('/api/nodes');
    expect(nodes.body.map((n) => [n.nodeId, n.alive, n.publicUrl, n.self])).toEqual([['a', true, a.httpUrl, true], ['b', true, b.httpUrl, false]]);

    // The checker: every second, every device of the fleets and M is online and owned by the node it is registered with.
    checks.startedAt = Date.now();
    checks.timer = setInterval(() => {
      void db.query<{ device_id: string; owner_node: string | null; online: boolean }>(`SELECT device_id, owner_node, online FROM devices`).then((rows) => {
        checks.runs++;
        const byId = new Map(rows.map((r) => [r.device_id, r]));
        for (const d of allSims()) {
          const row = byId.get(d.deviceId);
          const expected = expectedOwner(d);
          if (!row || !row.online || row.owner_node !== expected) checks.violations.push({ at: Date.now(), deviceId: d.deviceId, owner: row?.owner_node ?? null, online: !!row?.online, expected });
        }
      }, () => undefined);
    }, 1000);
  }, 120_000);

  it("a watched channel of B's device, watched through A, is INVITEd once and scored by one worker", async () => {
    const ch = channelId(M, 1);
    await waitFor('the catalog of M', async () => (await a.api<unknown[]>(`/api/devices/${M}/channels`)).body.length === 1, 20_000);
    const w = await a.api<ChannelCongestionDto>(`/api/channels/${ch}/watch`, { method: 'POST' });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    const scored = await waitFor('scores of the watched channel, seen from A', async () => {
      const r = await a.api<ChannelCongestionDto[]>('/api/congestion');
      const c = r.body.find?.((x) => x.channelId === ch);
      return c && c.updatedAt && c.workerId ? c : undefined;
    }, 90_000, 500);
    expect(scored.deviceId).toBe(M);
    // Let it run: still one INVITE, one worker holding it, and only B holds the watch row.
    await new Promise((r) => setTimeout(r, 8000));
    expect(media.stats.invites).toBe(1);
    const held = await Promise.all(workers.map(async (wk) => sample(await metrics(wk.metricsPort), 'gb_vision_channels') ?? 0));
    expect(held.reduce((x, y) => x + y, 0)).toBe(1);
    expect(await db.query(`SELECT channel_id, node_id FROM watches`)).toEqual([{ channel_id: ch, node_id: 'b' }]);
  }, 150_000);

  it("on A, play B's channel: the URL points at B and ffprobe reads the HLS; PTZ through A reaches the device; B's events reach A's WebSocket", async () => {
    const ch = channelId(M, 1);
    const ws = new WebSocket(`${a.httpUrl.replace('http', 'ws')}/api/events?access_token=${await a.token()}`);
    const seen: Array<{ type: string; node?: string; data: { deviceId?: string } }> = [];
    ws.on('message', (d) => seen.push(JSON.parse(String(d))));
    await new Promise((res, rej) => ws.once('open', res).once('error', rej));
    try {
      const r = await a.api<StreamDto>(`/api/devices/${M}/channels/${ch}/play`, { method: 'POST', body: '{}' });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.urls.hls.startsWith(`${b.httpUrl}/live/`)).toBe(true);
      const st = await waitForSegments(r.body.urls.hls, 1, 30_000);
      const seg = await segmentFile(st);
      try {
        const probe = await probeVideo(seg.path);
        expect(probe.codec).toBe('h264');
      } finally {
        seg.cleanup();
      }
      expect(media.stats.invites).toBe(1); // the play joined the watched stream

      let ptz = 0;
      m.on('ptz', () => ptz++);
      const p = await a.api(`/api/devices/${M}/channels/${ch}/ptz`, { method: 'POST', body: JSON.stringify({ action: 'move', pan: 1, tilt: 0, zoom: 0 }) });
      expect(p.status, JSON.stringify(p.body)).toBeLessThan(300);
      await waitFor('the PTZ command at the device on B', () => ptz >= 1, 10_000);

      const c = await a.api(`/api/devices/${M}/catalog`, { method: 'POST' });
      expect(c.status, JSON.stringify(c.body)).toBe(202);
      await waitFor("B's catalog.updated for M on A's WebSocket", () => seen.some((e) => e.type === 'catalog.updated' && e.data.deviceId === M && e.node === 'b'), 20_000);
    } finally {
      ws.close();
    }
  }, 120_000);

  it('a device moving from A to B: its stream on A ends with a BYE; B owns it', async () => {
    const ch = channelId(MV, 1);
    await waitFor('the catalog of MV', async () => (await a.api<unknown[]>(`/api/devices/${MV}/channels`)).body.length === 1, 20_000);
    const r = await a.api<StreamDto>(`/api/devices/${MV}/channels/${ch}/play`, { method: 'POST', body: '{}' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.urls.hls.startsWith(`${a.httpUrl}/`)).toBe(true);
    const byes: string[] = [];
    mvMedia.on('bye', (e) => byes.push(e.callId));
    expect(await mv.switchServer()).toBe('registered');
    expect(mv.currentServer.port).toBe(b.sipPort);
    await waitFor('the BYE from A', () => byes.includes(r.body.callId!), 15_000);
    await waitFor('MV owned by B', async () => (await db.query<{ owner_node: string }>(`SELECT owner_node FROM devices WHERE device_id = $1`, [MV]))[0]?.owner_node === 'b', 10_000);
    const streamsOnA = await a.api<StreamDto[]>('/api/streams');
    expect(streamsOnA.body.filter((s) => s.deviceId === MV && s.state !== 'closed' && s.state !== 'failed')).toEqual([]);
  }, 60_000);

  it('/metrics of each node and worker parses as Prometheus text and the counters move under load', async () => {
    const before = await Promise.all([a, b].map((n) => metrics(n.metricsPort)));
    await new Promise((r) => setTimeout(r, 6000));
    const after = await Promise.all([a, b].map((n) => metrics(n.metricsPort)));
    for (const i of [0, 1]) {
      expect(total(after[i]!, 'gb_keepalives_total')).toBeGreaterThan(total(before[i]!, 'gb_keepalives_total'));
      expect(total(after[i]!, 'gb_sip_messages_received_total')).toBeGreaterThan(total(before[i]!, 'gb_sip_messages_received_total'));
      expect(total(after[i]!, 'gb_registrations_total')).toBeGreaterThanOrEqual(FLEET_SIZE);
    }
    expect(total(after[1]!, 'gb_rtp_packets_total')).toBeGreaterThan(total(before[1]!, 'gb_rtp_packets_total'));
    const w = await Promise.all(workers.map((wk) => metrics(wk.metricsPort)));
    expect(w.reduce((x, f) => x + total(f, 'gb_vision_frames_total'), 0)).toBeGreaterThan(0);
  }, 60_000);

  it('over the whole keepalive window no device was ever written offline, or owned by a node it is not registered with', async () => {
    const left = checks.startedAt + CHECK_MS - Date.now();
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    clearInterval(checks.timer);
    // MV moved on purpose: leave it out (it is not in allSims()).
    expect(checks.violations.slice(0, 10)).toEqual([]);
    expect(checks.runs).toBeGreaterThanOrEqual(Math.floor((CHECK_MS / 1000) * 0.8));
  }, CHECK_MS + 60_000);

  it("kill -9 B: its devices re-register with A, the watch resumes on A within 30 s, A's alerts are untouched; restarting B changes nothing of A's", async () => {
    const ch = channelId(M, 1);
    const alertSql = `INSERT INTO alerts (id, channel_id, device_id, roi_id, level, peak_index, state, raised_at, node_id)
                      VALUES (gen_random_uuid(), $1, $2, 'frame', 'heavy', 70, 'active', now(), $3) RETURNING id`;
    const [alertA] = await db.query<{ id: string }>(alertSql, ['ch-of-a', FLEET_A_FIRST, 'a']);
    const [alertB] = await db.query<{ id: string }>(alertSql, ['ch-of-b', FLEET_B_FIRST, 'b']);
    const invitesBefore = media.stats.invites;
    const bPorts = { http: Number(new URL(b.httpUrl).port), sip: b.sipPort, metrics: b.metricsPort, rtpMin: Number(b.env.RTP_PORT_MIN) };
    const killedAt = Date.now();
    await b.kill9();

    const resumed = await waitFor('the watch scored on A again', async () => {
      const r = await a.api<ChannelCongestionDto[]>('/api/congestion');
      const c = r.body.find?.((x) => x.channelId === ch);
      return c && c.updatedAt && Date.parse(c.updatedAt) > killedAt && c.workerId ? c : undefined;
    }, 30_000, 250);
    expect(resumed.deviceId).toBe(M);
    const resumeMs = Date.now() - killedAt;
    console.info(`cluster: the watch resumed on A ${resumeMs} ms after kill -9 B`);
    expect(resumeMs).toBeLessThan(30_000);
    expect(media.stats.invites).toBe(invitesBefore + 1);
    expect(await db.query(`SELECT channel_id, node_id FROM watches`)).toEqual([{ channel_id: ch, node_id: 'a' }]);

    // Both fleets and M (MV, on B since it moved, fails over to A too, but is left out of the counts).
    await waitFor("every device of B's fleet online on A", async () => {
      const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM devices WHERE owner_node = 'a' AND online AND device_id <> $1`, [MV]);
      return rows[0]!.n === 2 * FLEET_SIZE + 1;
    }, 60_000, 500);
    expect((await db.query<{ state: string }>(`SELECT state FROM alerts WHERE id = $1`, [alertA!.id]))[0]!.state).toBe('active');

    // B comes back under its name: it finds nothing of its own (A adopted it all) and clears only its own alerts.
    const snapshot = async () => db.query<{ device_id: string; owner_node: string; online: boolean }>(`SELECT device_id, owner_node, online FROM devices WHERE device_id <> $1 ORDER BY device_id`, [MV]);
    const beforeRestart = await snapshot();
    b = await startGatewayNode({ nodeId: 'b', databaseUrl: db.url, prefix, logDir, env: NODE_ENV, ports: bPorts });
    await new Promise((r) => setTimeout(r, 5000));
    expect(await snapshot()).toEqual(beforeRestart);
    expect((await db.query<{ state: string }>(`SELECT state FROM alerts WHERE id = $1`, [alertA!.id]))[0]!.state).toBe('active');
    expect((await db.query<{ state: string }>(`SELECT state FROM alerts WHERE id = $1`, [alertB!.id]))[0]!.state).toBe('cleared');
    expect(await db.query(`SELECT channel_id, node_id FROM watches`)).toEqual([{ channel_id: ch, node_id: 'a' }]);
    const onB = await b.api<DeviceDto[]>('/api/devices');
    expect(onB.body.filter((d) => d.deviceId !== MV && d.node === 'a' && d.online)).toHaveLength(2 * FLEET_SIZE + 1);
  }, 180_000);
});
