import { describe, expect, it } from 'vitest';
import { GatewayError } from '../common/gateway-error';
import { clientKeyOf, LoginThrottle, TooManyLoginsException } from './login-throttle';

const wrong = () => Promise.reject(new GatewayError('UNAUTHORIZED', 'Invalid username or password'));
const right = () => Promise.resolve('token');

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** A check that finishes when the test says so. */
function gate(): { check: () => Promise<string>; open: () => void } {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  return { check: () => done.then(() => 'ok'), open };
}

describe('LoginThrottle', () => {
  it('after maxFailures wrong attempts in the window, the next attempt gets 429 without running the check', async () => {
    let now = 1_000_000;
    const th = new LoginThrottle({ maxFailures: 3, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 3; i++) expect(await errorOf(th.run('10.0.0.1', 'admin', wrong))).toBeInstanceOf(GatewayError);
    let ran = false;
    now += 15_000;
    const err = await errorOf(
      th.run('10.0.0.1', 'admin', async () => {
        ran = true;
        return 'x';
      }),
    );
    expect(err).toBeInstanceOf(TooManyLoginsException);
    expect((err as TooManyLoginsException).code).toBe('TOO_MANY_REQUESTS');
    expect((err as TooManyLoginsException).retryAfterS).toBe(45);
    expect(ran).toBe(false);
  });

  it('the budget is per client address and resets when the window has passed', async () => {
    let now = 0;
    const th = new LoginThrottle({ maxFailures: 1, windowMs: 1000 }, () => now);
    await errorOf(th.run('a', 'admin', wrong));
    expect(await errorOf(th.run('a', 'admin', right))).toBeInstanceOf(TooManyLoginsException);
    await expect(th.run('b', 'admin', right)).resolves.toBe('token');
    now = 1000;
    await expect(th.run('a', 'admin', right)).resolves.toBe('token');
  });

  it('a success clears the failures; errors other than UNAUTHORIZED do not count', async () => {
    const th = new LoginThrottle({ maxFailures: 2 }, () => 0);
    await errorOf(th.run('a', 'admin', wrong));
    await th.run('a', 'admin', right);
    await errorOf(th.run('a', 'admin', wrong));
    await errorOf(th.run('a', 'admin', () => Promise.reject(new Error('db down'))));
    expect(await errorOf(th.run('a', 'admin', right))).toBeUndefined();
  });

  it('never remembers more than maxTrackedClients addresses', async () => {
    const th = new LoginThrottle({ maxTrackedClients: 100 }, () => 0);
    for (let i = 0; i < 1000; i++) await errorOf(th.run(`10.0.${i >> 8}.${i & 255}`, 'admin', wrong));
    expect(th.trackedClients).toBe(100);
  });

  it('IPv6 addresses of one /64 share a budget; IPv4-mapped addresses count as IPv4', async () => {
    expect(clientKeyOf('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientKeyOf('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(clientKeyOf('::ffff:10.1.2.3')).toBe('10.1.2.3');
    const th = new LoginThrottle({ maxFailures: 1 }, () => 0);
    await errorOf(th.run('2001:db8:1:2::1', 'admin', wrong));
    expect(await errorOf(th.run('2001:db8:1:2::99', 'admin', right))).toBeInstanceOf(TooManyLoginsException);
    await expect(th.run('2001:db8:1:3::1', 'admin', right)).resolves.toBe('token');
  });

  it('past maxUserFailures for one user, addresses that failed get 429 for it and an address that has not still logs in', async () => {
    const th = new LoginThrottle({ maxFailures: 10, maxUserFailures: 5 }, () => 0);
    for (let i = 0; i < 5; i++) await errorOf(th.run(`10.0.0.${i}`, 'admin', wrong));
    expect(await errorOf(th.run('10.0.0.1', 'admin', wrong))).toBeInstanceOf(TooManyLoginsException);
    await expect(th.run('10.9.9.9', 'admin', right)).resolves.toBe('token');
  });

  it('more than maxConcurrent checks wait their turn instead of being refused', async () => {
    const th = new LoginThrottle({ maxConcurrent: 2 }, () => 0);
    const g = gate();
    const a = th.run('a', 'admin', g.check);
    const b = th.run('b', 'admin', g.check);
    const c = th.run('c', 'admin', right);
    g.open();
    await expect(Promise.all([a, b, c])).resolves.toEqual(['ok', 'ok', 'token']);
  });

  it('one address may have maxPendingPerClient logins waiting or running; the next from it gets 429, others are unaffected', async () => {
    const th = new LoginThrottle({ maxConcurrent: 1, maxPendingPerClient: 2 }, () => 0);
    const g = gate();
    const first = th.run('a', 'admin', g.check);
    const second = th.run('a', 'admin', g.check);
    expect(await errorOf(th.run('a', 'admin', right))).toBeInstanceOf(TooManyLoginsException);
    const other = th.run('b', 'admin', right);
    g.open();
    await expect(Promise.all([first, second, other])).resolves.toEqual(['ok', 'ok', 'token']);
  });

  it('a login waiting longer than maxQueueWaitMs gets 429', async () => {
    const th = new LoginThrottle({ maxConcurrent: 1, maxQueueWaitMs: 50 }, () => 0);
    const g = gate();
    const busy = th.run('a', 'admin', g.check);
    const err = await errorOf(th.run('b', 'admin', right));
    expect(err).toBeInstanceOf(TooManyLoginsException);
    g.open();
    await busy;
  });

  it('an address in good standing is served before addresses that have failed, whatever the arrival order', async () => {
    const th = new LoginThrottle({ maxConcurrent: 1, maxPendingPerClient: 5 }, () => 0);
    for (const ip of ['x', 'y']) await errorOf(th.run(ip, 'admin', wrong));
    const g = gate();
    const order: string[] = [];
    const blocker = th.run('blocker', 'admin', g.check);
    const queued = ['x', 'y', 'x', 'y', 'admin-ip'].map((ip) => th.run(ip, 'admin', async () => void order.push(ip)));
    g.open();
    await Promise.all([blocker, ...queued]);
    expect(order).toEqual(['admin-ip', 'x', 'y', 'x', 'y']);
  });

  it('245 addresses that failed once, two logins queued each, delay a login from a new address by no queued job of theirs', async () => {
    // maxUserFailures out of the way: this is about the queue (past it, these attackers would get 429 at once).
    const th = new LoginThrottle({ maxConcurrent: 4, maxUserFailures: 100_000 }, () => 0);
    const attackers = Array.from({ length: 245 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    for (const ip of attackers) await errorOf(th.run(ip, 'admin', wrong));
    const g = gate();
    const order: string[] = [];
    const check = (who: string) => () => g.check().then(() => void order.push(who)).then(() => Promise.reject(new GatewayError('UNAUTHORIZED', 'no')));
    const attack = attackers.flatMap((ip) => [errorOf(th.run(ip, 'admin', check(ip))), errorOf(th.run(ip, 'admin', check(ip)))]);
    const admin = th.run('10.2.0.1', 'admin', () => g.check().then(() => void order.push('admin')).then(() => 'token'));
    g.open();
    await expect(admin).resolves.toBe('token');
    await Promise.all(attack);
    // The 4 attacker checks that held the slots when the admin arrived finish first; the admin's is next.
    expect(order.indexOf('admin')).toBe(4);
    expect(order).toHaveLength(491);
  });
});
