import { describe, expect, it } from 'vitest';
import { GatewayError } from '../common/gateway-error';
import { LoginThrottle, TooManyLoginsException } from './login-throttle';

const wrong = () => Promise.reject(new GatewayError('UNAUTHORIZED', 'Invalid username or password'));
const right = () => Promise.resolve('token');

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('LoginThrottle', () => {
  it('after maxFailures wrong attempts in the window, the next attempt gets 429 without running the check', async () => {
    let now = 1_000_000;
    const th = new LoginThrottle({ maxFailures: 3, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 3; i++) expect(await errorOf(th.run('10.0.0.1', wrong))).toBeInstanceOf(GatewayError);
    let ran = false;
    now += 15_000;
    const err = await errorOf(
      th.run('10.0.0.1', async () => {
        ran = true;
        return 'x';
      }),
    );
    expect(err).toBeInstanceOf(TooManyLoginsException);
    expect((err as TooManyLoginsException).getStatus()).toBe(429);
    expect((err as TooManyLoginsException).retryAfterS).toBe(45);
    expect(ran).toBe(false);
  });

  it('the budget is per client address and resets when the window has passed', async () => {
    let now = 0;
    const th = new LoginThrottle({ maxFailures: 1, windowMs: 1000 }, () => now);
    await errorOf(th.run('a', wrong));
    expect(await errorOf(th.run('a', right))).toBeInstanceOf(TooManyLoginsException);
    await expect(th.run('b', right)).resolves.toBe('token');
    now = 1000;
    await expect(th.run('a', right)).resolves.toBe('token');
  });

  it('a success clears the failures; errors other than UNAUTHORIZED do not count', async () => {
    const th = new LoginThrottle({ maxFailures: 2 }, () => 0);
    await errorOf(th.run('a', wrong));
    await th.run('a', right);
    await errorOf(th.run('a', wrong));
    await errorOf(th.run('a', () => Promise.reject(new Error('db down'))));
    expect(await errorOf(th.run('a', right))).toBeUndefined();
  });

  it('never remembers more than maxTrackedClients addresses', async () => {
    const th = new LoginThrottle({ maxTrackedClients: 100 }, () => 0);
    for (let i = 0; i < 1000; i++) await errorOf(th.run(`10.0.${i >> 8}.${i & 255}`, wrong));
    expect(th.trackedClients).toBe(100);
  });

  it('more than maxConcurrent checks at once are refused with 429', async () => {
    const th = new LoginThrottle({ maxConcurrent: 2 }, () => 0);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = () => gate.then(() => 'ok');
    const a = th.run('a', slow);
    const b = th.run('b', slow);
    expect(await errorOf(th.run('c', right))).toBeInstanceOf(TooManyLoginsException);
    release();
    await expect(Promise.all([a, b])).resolves.toEqual(['ok', 'ok']);
    await expect(th.run('c', right)).resolves.toBe('token');
  });
});
