import { JwtService } from '@nestjs/jwt';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../common/gateway-error';
import { loadConfig } from '../config/config.schema';
import { AuthService } from './auth.service';
import { verifyPassword } from './password-hash';
import { InMemorySecretStore, SECRET_KEY_ADMIN_PASSWORD_HASH, SECRET_KEY_JWT_SECRET } from './secret-store';

function service(env: Record<string, string>, store = new InMemorySecretStore()): AuthService {
  return new AuthService(loadConfig({ HTTP_PORT: '0', ...env }), store, new JwtService({}));
}

async function expectUnauthorized(p: Promise<unknown>, message?: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('UNAUTHORIZED');
  if (message) expect((err as GatewayError).message).toBe(message);
}

describe('AuthService', () => {
  it('init() without ADMIN_PASSWORD on an empty store generates a password, stores only its scrypt hash, and returns it', async () => {
    const store = new InMemorySecretStore();
    const { generatedPassword } = await service({}, store).init();
    expect(generatedPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const stored = store.entries.get(SECRET_KEY_ADMIN_PASSWORD_HASH)!;
    expect(stored).toMatch(/^scrypt\$/);
    for (const v of store.entries.values()) expect(v).not.toContain(generatedPassword!);
    expect(await verifyPassword(generatedPassword!, stored)).toBe(true);
  });

  it('init() on a later start with the stored hash generates nothing and the first password still logs in', async () => {
    const store = new InMemorySecretStore();
    const { generatedPassword } = await service({}, store).init();
    const hashBefore = store.entries.get(SECRET_KEY_ADMIN_PASSWORD_HASH);
    const second = service({}, store);
    expect(await second.init()).toEqual({});
    expect(store.entries.get(SECRET_KEY_ADMIN_PASSWORD_HASH)).toBe(hashBefore);
    const { accessToken } = await second.login('admin', generatedPassword!);
    expect((await second.verify(accessToken)).sub).toBe('admin');
  });

  it('init() called twice in one process returns the same result and writes the store once', async () => {
    const store = new InMemorySecretStore();
    let writes = 0;
    const set = store.set.bind(store);
    store.set = async (k, v) => {
      writes++;
      await set(k, v);
    };
    const s = service({}, store);
    const [a, b] = await Promise.all([s.init(), s.init()]);
    expect(a).toBe(b);
    expect(await s.init()).toBe(a);
    expect(writes).toBe(2); // password hash + JWT secret
  });

  it('init() with ADMIN_PASSWORD and JWT_SECRET set writes nothing to the store', async () => {
    const store = new InMemorySecretStore();
    const s = service({ ADMIN_PASSWORD: 'from-env', JWT_SECRET: 'env-secret-env-secret-env-secret' }, store);
    expect(await s.init()).toEqual({});
    expect(store.entries.size).toBe(0);
    await expect(s.login('admin', 'from-env')).resolves.toMatchObject({ expiresIn: 43200 });
  });

  it('the generated JWT secret is stored once and reused: a token from one start verifies on the next', async () => {
    const store = new InMemorySecretStore();
    const first = service({ ADMIN_PASSWORD: 'pw' }, store);
    const { accessToken } = await first.login('admin', 'pw');
    const secret = store.entries.get(SECRET_KEY_JWT_SECRET)!;
    expect(Buffer.from(secret, 'base64url').length).toBeGreaterThanOrEqual(32);
    const second = service({ ADMIN_PASSWORD: 'pw' }, store);
    expect((await second.verify(accessToken)).sub).toBe('admin');
    expect(store.entries.get(SECRET_KEY_JWT_SECRET)).toBe(secret);
  });

  it('a token signed with another JWT_SECRET is rejected as Invalid token', async () => {
    const a = service({ ADMIN_PASSWORD: 'pw', JWT_SECRET: 'secret-a' });
    const b = service({ ADMIN_PASSWORD: 'pw', JWT_SECRET: 'secret-b' });
    const { accessToken } = await a.login('admin', 'pw');
    await expectUnauthorized(b.verify(accessToken), 'Invalid token');
  });

  it('login() with a wrong password or user throws UNAUTHORIZED with one message for both', async () => {
    const s = service({ ADMIN_USER: 'operator', ADMIN_PASSWORD: 'pw' });
    await expectUnauthorized(s.login('operator', 'PW'), 'Invalid username or password');
    await expectUnauthorized(s.login('admin', 'pw'), 'Invalid username or password');
    await expect(s.login('operator', 'pw')).resolves.toHaveProperty('accessToken');
  });

  it('verify() rejects a missing, an alg=none and an expired token', async () => {
    const s = service({ ADMIN_PASSWORD: 'pw', JWT_SECRET: 'k', JWT_TTL_S: '1' });
    await expectUnauthorized(s.verify(undefined), 'Missing bearer token');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: 'admin', iat: 1, exp: 4102444800 }),
    ).toString('base64url')}.`;
    await expectUnauthorized(s.verify(none), 'Invalid token');
    const expired = await new JwtService({}).signAsync({ sub: 'admin', exp: Math.floor(Date.now() / 1000) - 10 }, { secret: 'k' });
    await expectUnauthorized(s.verify(expired), 'Token expired');
  });
});
