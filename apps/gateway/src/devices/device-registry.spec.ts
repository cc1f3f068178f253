import { describe, expect, it } from 'vitest';
import { DeviceRegistry } from './device-registry';
import { newDeviceSession, type DeviceSession } from './device-session';

/** A registered, online device (registered at 0, expiring after an hour) with the given changes. */
function session(id: string, patch: Partial<DeviceSession> = {}): DeviceSession {
  const flow = { transport: 'udp' as const, remoteHost: '127.0.0.1', remotePort: 5070, localHost: '127.0.0.1', localPort: 5060 };
  return { ...newDeviceSession(id, flow), expires: 3600, registeredAt: 0, registrationExpiresAt: 3_600_000, lastKeepaliveAt: 0, online: true, ...patch };
}

describe('DeviceRegistry.sweep()', () => {
  const reg = () => new DeviceRegistry({ keepaliveIntervalMs: 60_000, maxMissed: 3 });

  it('keeps a device online until interval × maxMissed after its last keepalive', () => {
    const r = reg();
    r.set(session('a', { lastKeepaliveAt: 10_000 }));
    expect(r.sweep(10_000 + 179_999)).toEqual([]);
    const out = r.sweep(10_000 + 180_000);
    expect(out.map((o) => [o.session.deviceId, o.reason])).toEqual([['a', 'keepalive-timeout']]);
    expect(r.get('a')!.online).toBe(false);
  });

  it('takes a device offline when its registration expires before the keepalive bound', () => {
    const r = reg();
    r.set(session('b', { lastKeepaliveAt: 0, registrationExpiresAt: 30_000 }));
    expect(r.sweep(29_999)).toEqual([]);
    expect(r.sweep(30_000).map((o) => o.reason)).toEqual(['expired']);
  });

  it('reports each device going offline once', () => {
    const r = reg();
    r.set(session('c', { lastKeepaliveAt: 0 }));
    expect(r.sweep(1e9)).toHaveLength(1);
    expect(r.sweep(2e9)).toHaveLength(0);
  });

  it('takeDirty() returns marked and swept sessions once, skipping deleted ones', () => {
    const r = reg();
    const a = session('a', { lastKeepaliveAt: 1e12 });
    const b = session('b', { lastKeepaliveAt: 0 });
    const c = session('c', { lastKeepaliveAt: 1e12 });
    [a, b, c].forEach((s) => r.set(s));
    r.markDirty(a);
    r.markDirty(c);
    r.delete('c');
    r.sweep(200_000);
    expect(r.takeDirty().map((s) => s.deviceId).sort()).toEqual(['a', 'b']);
    expect(r.takeDirty()).toEqual([]);
  });

  it('takeLive() returns sessions marked live only, once; a dirty mark takes them over (the row write carries liveness)', () => {
    const r = reg();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => session(id));
    [a, b, c].forEach((s) => r.set(s));
    r.markLive(a);
    r.markLive(b);
    r.markDirty(b);
    r.markLive(c);
    r.delete('c');
    expect(r.takeDirty().map((s) => s.deviceId)).toEqual(['b']);
    expect(r.takeLive().map((s) => s.deviceId)).toEqual(['a']);
    expect(r.takeLive()).toEqual([]);
  });
});
