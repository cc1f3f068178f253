import { createDigestChallenge, createResponse, type SipRequest, type SipResponse } from '@gb/gb28181';
import type { Database, PlatformRow, PlatformStatePatch } from '@gb/persistence';
import { Logger } from '@nestjs/common';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../config/config.schema';
import type { SipFlow } from '../sip/sip-flow';
import type { SipService } from '../sip/sip.service';
import type { NodesService } from '../cluster/nodes.service';
import { CascadeService } from './cascade.service';

const row = (id: string, extra: Partial<PlatformRow> = {}): PlatformRow => ({
  id,
  name: id,
  serverId: '34020000002000000002',
  domain: '3402000000',
  host: '192.0.2.7',
  port: 5060,
  transport: 'udp',
  password: 'p',
  localId: null,
  expiresS: 3600,
  keepaliveS: 3600,
  charset: 'GB2312',
  shareAll: false,
  channels: [],
  enabled: true,
  ownerNode: 'node-a',
  state: 'registering',
  cause: null,
  stateAt: null,
  lastKeepaliveAt: null,
  createdAt: new Date(0),
  updatedAt: new Date(1),
  ...extra,
});

/** CascadeService over an in-memory platforms table and a superior that answers 401, then 200, at every host. */
function setup(rows: PlatformRow[], cluster?: { alive: string[] }) {
  const table = new Map(rows.map((r) => [r.id, r]));
  const recorded: Array<[string, PlatformStatePatch]> = [];
  const sent: Array<{ host: string; req: SipRequest }> = [];
  const db = {
    platforms: {
      get: async (id: string) => table.get(id),
      list: async () => [...table.values()].map((r) => ({ ...r })),
      adopt: async (id: string, from: string, to: string) => {
        const r = table.get(id);
        if (r?.ownerNode !== from) return false;
        table.set(id, { ...r, ownerNode: to });
        return true;
      },
      recordState: async (id: string, s: PlatformStatePatch) => void recorded.push([id, s]),
    },
  } as unknown as Database;
  const sip = {
    port: 5060,
    transport: { localHostFor: () => '192.0.2.1' },
    flowTo: (transport: 'udp' | 'tcp', host: string, port: number): SipFlow => ({ transport, remoteHost: host, remotePort: port, localHost: '192.0.2.1', localPort: 5060 }),
    request: async (req: SipRequest, flow: SipFlow): Promise<SipResponse> => {
      sent.push({ host: flow.remoteHost, req });
      if (req.method !== 'REGISTER' || req.headers.get('Authorization')) return createResponse(req, 200, 'OK');
      return createResponse(req, 401, 'Unauthorized', { headers: [['WWW-Authenticate', createDigestChallenge({ realm: '3402000000', nonce: 'n1' })]] });
    },
  } as unknown as SipService;
  const cfg = { NODE_ID: 'node-a', SIP_ID: '34020000002000000001' } as GatewayConfig;
  const alive = cluster?.alive ?? [];
  const nodes = {
    shared: cluster !== undefined,
    aliveNode: async (id: string) => (alive.includes(id) ? { nodeId: id } : undefined),
    aliveOthers: async () => alive.filter((n) => n !== 'node-a').map((nodeId) => ({ nodeId })),
  } as unknown as NodesService;
  const service = new CascadeService(cfg, db, sip, nodes);
  const registersTo = (host: string) => sent.filter((s) => s.host === host && s.req.method === 'REGISTER').map((s) => s.req.headers.get('Expires'));
  return { service, table, recorded, sent, registersTo };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('CascadeService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('cluster: reconcile() registers the enabled platforms this node owns, never a live node\'s or a disabled one', async () => {
    const t = setup([row('a', { host: '192.0.2.1' }), row('b', { host: '192.0.2.2', ownerNode: 'node-b' }), row('c', { host: '192.0.2.3', enabled: false, state: 'online' })], { alive: ['node-a', 'node-b'] });
    await t.service.reconcile();
    await settle();
    expect(t.registersTo('192.0.2.1')).toEqual(['3600', '3600']);
    expect(t.registersTo('192.0.2.2')).toEqual([]);
    expect(t.registersTo('192.0.2.3')).toEqual([]);
    expect(t.service.status('a')?.state).toBe('online');
    expect(t.service.status('b')).toBeUndefined();
    expect(t.recorded).toContainEqual(['a', expect.objectContaining({ state: 'online', cause: null })]);
    expect(t.recorded).toContainEqual(['c', expect.objectContaining({ state: 'disabled' })]);
    await t.service.beforeApplicationShutdown();
  });

  it('embedded database (one node): every platform is adopted, whatever node created it (a new NODE_ID loses none)', async () => {
    const t = setup([row('a', { host: '192.0.2.1', ownerNode: 'old-host-8080' })]);
    await t.service.reconcile();
    await settle();
    expect(t.table.get('a')?.ownerNode).toBe('node-a');
    expect(t.service.status('a')?.state).toBe('online');
    await t.service.beforeApplicationShutdown();
  });

  it('cluster: a dead owner\'s platform goes to the live node with the smallest NODE_ID only', async () => {
    const mine = setup([row('a', { host: '192.0.2.1', ownerNode: 'node-z' })], { alive: ['node-a', 'node-c'] });
    await mine.service.reconcile();
    await settle();
    expect(mine.table.get('a')?.ownerNode).toBe('node-a');
    expect(mine.registersTo('192.0.2.1')).toEqual(['3600', '3600']);
    await mine.service.beforeApplicationShutdown();

    // The old owner comes back and finds the row moved: it stops without Expires 0.
    const back = setup([row('a', { host: '192.0.2.1' })], { alive: ['node-a', 'node-b'] });
    await back.service.reconcile();
    await settle();
    back.table.set('a', row('a', { host: '192.0.2.1', ownerNode: 'node-b' }));
    await back.service.reconcile();
    expect(back.registersTo('192.0.2.1')).toEqual(['3600', '3600']);
    expect(back.service.status('a')).toBeUndefined();

    const notMine = setup([row('a', { host: '192.0.2.1', ownerNode: 'node-z' })], { alive: ['node-a', 'node-0'] });
    await notMine.service.reconcile();
    expect(notMine.table.get('a')?.ownerNode).toBe('node-z');
    expect(notMine.registersTo('192.0.2.1')).toEqual([]);
  });

  it('a rename or new shared channels leave the registration alone; a new address unregisters the old binding and registers anew; a row deleted through another node is unregistered', async () => {
    const t = setup([row('a', { host: '192.0.2.1' })]);
    await t.service.reconcile();
    await settle();
    t.table.set('a', row('a', { host: '192.0.2.1', name: 'renamed', channels: ['34020000001320000001'], updatedAt: new Date(2) }));
    await t.service.sync('a');
    expect(t.registersTo('192.0.2.1')).toEqual(['3600', '3600']);
    t.table.set('a', row('a', { host: '192.0.2.9', updatedAt: new Date(3) }));
    await t.service.sync('a');
    await settle();
    expect(t.registersTo('192.0.2.1')).toEqual(['3600', '3600', '0']);
    expect(t.registersTo('192.0.2.9')).toEqual(['3600', '3600']);
    t.table.delete('a');
    await t.service.reconcile();
    expect(t.registersTo('192.0.2.9')).toEqual(['3600', '3600', '0']);
    expect(t.service.status('a')).toBeUndefined();
  });

  it('beforeApplicationShutdown() unregisters every superior, records no disabled state, and later syncs do nothing', async () => {
    const t = setup([row('a', { host: '192.0.2.1' }), row('b', { host: '192.0.2.2' })]);
    await t.service.reconcile();
    await settle();
    const before = t.recorded.length;
    await t.service.beforeApplicationShutdown();
    expect(t.registersTo('192.0.2.1').at(-1)).toBe('0');
    expect(t.registersTo('192.0.2.2').at(-1)).toBe('0');
    expect(t.recorded.slice(before)).toEqual([]);
    await t.service.sync('a');
    expect(t.service.status('a')).toBeUndefined();
  });
});
