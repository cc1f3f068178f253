import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../auth/login-throttle';
import { startApiTestApp, TEST_ADMIN_PASSWORD, type ApiTestApp } from './testing/api-test-app';

/** POST /api/auth/login from a chosen loopback source address (Linux routes all of 127.0.0.0/8 to lo). */
function loginFrom(baseUrl: string, localAddress: string, password: string): Promise<number> {
  const body = JSON.stringify({ username: 'admin', password });
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}/api/auth/login`,
      { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Attacker source addresses: 127.0.1.1 … 127.0.1.16, two logins each at all times: 32 scrypt checks wanted, 4 slots.
 * (The 245-address case runs against LoginThrottle directly in login-throttle.spec.ts: at ~0.5 s per scrypt on a
 * shared CI machine, 245 real checks would take minutes.)
 */
const ATTACKERS = Array.from({ length: 16 }, (_, i) => `127.0.1.${i + 1}`);
const ADMIN_ADDRESS = '127.0.2.1';

describe('POST /api/auth/login during a distributed brute force', () => {
  let t: ApiTestApp;
  beforeAll(async () => {
    t = await startApiTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it(`${ATTACKERS.length} addresses guessing two at a time keep every scrypt slot busy; the admin from another address gets 200 within 5 s`, async () => {
    const statuses = new Map<number, number>();
    let stop = false;
    let failures = 0;
    const attacker = async (address: string) => {
      while (!stop) {
        const status = await loginFrom(t.baseUrl, address, `guess-${Math.random()}`).catch(() => 0);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 401) failures++;
        // A throttled address backs off a little, as a real tool would, instead of spinning on 429s.
        if (status === 429) await new Promise((r) => setTimeout(r, 50));
      }
    };
    const attack = ATTACKERS.flatMap((a) => [attacker(a), attacker(a)]);
    try {
      // Every attacking address has failed at least once: the global-limit design answered the admin 429 from here on.
      const until = Date.now() + 60_000;
      while (failures < ATTACKERS.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(failures).toBeGreaterThanOrEqual(ATTACKERS.length);

      const started = Date.now();
      const status = await loginFrom(t.baseUrl, ADMIN_ADDRESS, TEST_ADMIN_PASSWORD);
      const tookMs = Date.now() - started;
      expect(status).toBe(200);
      expect(tookMs).toBeLessThan(5000);
      // The attack was real: the scrypt slots were busy and the attackers were answered 401 and, past their budgets, 429.
      expect(statuses.get(401)).toBeGreaterThanOrEqual(ATTACKERS.length);
    } finally {
      stop = true;
      await Promise.all(attack);
    }
    expect(t.app.get(LoginThrottle).trackedClients).toBeGreaterThanOrEqual(ATTACKERS.length);
  }, 90_000);
});
