import { WebSocket } from 'ws';
import { startApiTestApp } from '../apps/gateway/src/api/testing/api-test-app';
import { hashPassword, verifyPassword } from '../apps/gateway/src/auth/password-hash';
import type { BenchResult } from './bench-result';

const GROUP = 'gateway http api';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Login cost, authenticated GET throughput and WebSocket event fan-out on one real Nest app over loopback. */
export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const hash = await hashPassword('bench-password');
  const verifyMs: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    await verifyPassword('bench-password', hash);
    verifyMs.push(performance.now() - t0);
  }
  results.push({ group: GROUP, name: 'scrypt verify (N=2^15, r=8, p=1)', value: median(verifyMs), unit: 'ms', better: 'lower' });

  const t = await startApiTestApp();
  try {
    for (let i = 0; i < 100; i++) t.devices.addDevice(`340200000013200${String(i).padStart(5, '0')}`);
    const headers = { authorization: `Bearer ${t.token}` };
    const durationMs = 3000;
    const concurrency = 8;
    let done = 0;
    const end = performance.now() + durationMs;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const res = await fetch(`${t.baseUrl}/api/devices`, { headers });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`GET /api/devices answered ${res.status}`);
          done++;
        }
      }),
    );
    results.push({
      group: GROUP,
      name: 'GET /api/devices (100 devices, JWT checked, 8 concurrent)',
      value: Math.round(done / (durationMs / 1000)),
      unit: 'req/s',
      note: 'client and server share one process',
    });

    const clients = 50;
    const events = 1000;
    const sockets = await Promise.all(
      Array.from(
        { length: clients },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`${t.wsUrl}/api/events?access_token=${t.token}`);
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    while (t.events.clientCount < clients) await new Promise((r) => setTimeout(r, 5));
    let received = 0;
    const all = new Promise<void>((resolve) => {
      for (const ws of sockets) ws.on('message', () => ++received === clients * events && resolve());
    });
    const t0 = performance.now();
    for (let i = 0; i < events; i++) {
      t.bus.publish('catalog.progress', { deviceId: '34020000001320000001', sn: i, received: i, sumNum: events, done: false });
    }
    await all;
    const seconds = (performance.now() - t0) / 1000;
    results.push({
      group: GROUP,
      name: `event fan-out (${clients} WebSocket clients)`,
      value: Math.round((clients * events) / seconds),
      unit: 'msg/s',
      note: 'client and server share one process',
    });
    for (const ws of sockets) ws.terminate();
  } finally {
    await t.close();
  }
  return results;
}
