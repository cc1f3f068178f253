import { describe, expect, it } from 'vitest';
import type { Database } from '@gb/persistence';
import { EventBus } from '../events/event-bus';
import type { GatewayConfig } from '../config/config.schema';
import { NodesService } from '../cluster/nodes.service';
import { ClusterBus } from '../cluster/cluster-bus';
import { DevicesService } from './devices.service';
import { newDeviceSession } from './device-session';

/** Records the writes DevicesService makes; no database. */
function recordingDb() {
  const calls: { upserts: string[][]; liveness: { deviceId: string; online: boolean; remotePort?: number }[][] } = { upserts: [], liveness: [] };
  const db = {
    devices: {
      upsertMany: async (rows: { deviceId: string }[]) => void calls.upserts.push(rows.map((r) => r.deviceId)),
      flushLiveness: async (rows: { deviceId: string; online: boolean; remotePort?: number }[]) => void calls.liveness.push(rows),
    },
  } as unknown as Database;
  return { db, calls };
}

describe('DevicesService write-behind', () => {
  const cfg = { KEEPALIVE_INTERVAL_S: 60, KEEPALIVE_MAX_MISSED: 3, LIVENESS_FLUSH_MS: 2000, NODE_ID: 'node-test', CLUSTER_NATS_PREFIX: 'gb' } as GatewayConfig;
  const singleNode = { shared: false } as NodesService;

  it('a keepalive-only device is written by one liveness UPDATE batch, a changed row by the whole-row upsert, never both', async () => {
    const { db, calls } = recordingDb();
    const svc = new DevicesService(cfg, db, new EventBus(), singleNode, new ClusterBus(cfg, new EventBus()));
    const flow = { transport: 'udp' as const, remoteHost: '127.0.0.1', remotePort: 5070, localHost: '127.0.0.1', localPort: 5060 };
    const [a, b] = ['34020000001320000001', '34020000001320000002'].map((id) => ({ ...newDeviceSession(id, flow), online: true, lastKeepaliveAt: 1000 }));
    svc.registry.set(a);
    svc.registry.set(b);
    svc.touchLiveness(a);
    svc.touchLiveness(b);
    svc.touch(b);
    await svc.flush();
    expect(calls.upserts).toEqual([['34020000001320000002']]);
    expect(calls.liveness).toEqual([[expect.objectContaining({ deviceId: '34020000001320000001', online: true, remotePort: 5070 })]]);
    await svc.flush();
    expect(calls.upserts).toHaveLength(1);
    expect(calls.liveness).toHaveLength(1);
  });

  it('a failed liveness write is retried by the next flush', async () => {
    const { db, calls } = recordingDb();
    let fail = true;
    const flushLiveness = db.devices.flushLiveness.bind(db.devices);
    (db.devices as { flushLiveness: unknown }).flushLiveness = async (rows: never) => {
      if (fail) throw new Error('database away');
      return flushLiveness(rows);
    };
    const svc = new DevicesService(cfg, db, new EventBus(), singleNode, new ClusterBus(cfg, new EventBus()));
    const s = { ...newDeviceSession('34020000001320000003', { transport: 'udp' as const, remoteHost: '127.0.0.1', remotePort: 5070, localHost: '127.0.0.1', localPort: 5060 }), online: true, lastKeepaliveAt: 1 };
    svc.registry.set(s);
    svc.touchLiveness(s);
    await svc.flush();
    expect(calls.liveness).toEqual([]);
    fail = false;
    await svc.flush();
    expect(calls.liveness.map((rows) => rows.map((r) => r.deviceId))).toEqual([['34020000001320000003']]);
  });
});
