import { JwtService } from '@nestjs/jwt';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../common/gateway-error';
import { loadConfig } from '../config/config.schema';
import { InMemoryAccountStore } from './account-store';
import { generateApiKey, hashApiKey } from './api-key';
import { AuthService } from './auth.service';
import { hashPassword, verifyPassword } from './password-hash';
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

describe('AuthService with users and API keys', () => {
  async function withUsers() {
    const accounts = new InMemoryAccountStore();
    const s = new AuthService(loadConfig({ HTTP_PORT: '0', ADMIN_PASSWORD: 'pw', JWT_SECRET: 'k' }), new InMemorySecretStore(), new JwtService({}), accounts);
    await s.init();
    await accounts.createUser({ username: 'vera', passwordHash: await hashPassword('viewer-pw'), role: 'viewer' });
    return { s, accounts };
  }

  it('login() issues a JWT whose claims carry sub and role; verify() returns the role stored now', async () => {
    const { s, accounts } = await withUsers();
    const { accessToken } = await s.login('vera', 'viewer-pw');
    expect(new JwtService({}).decode(accessToken)).toMatchObject({ sub: 'vera', role: 'viewer' });
    expect(await s.verify(accessToken)).toMatchObject({ sub: 'vera', role: 'viewer', kind: 'user' });
    accounts.users.get('vera')!.role = 'operator';
    expect((await s.verify(accessToken)).role).toBe('operator');
    accounts.users.delete('vera');
    await expectUnauthorized(s.verify(accessToken), 'User no longer exists');
  });

  it('ADMIN_PASSWORD makes ADMIN_USER an admin with that password at every start, even after it was demoted', async () => {
    const accounts = new InMemoryAccountStore();
    const cfg = loadConfig({ HTTP_PORT: '0', ADMIN_PASSWORD: 'pw', JWT_SECRET: 'k' });
    await new AuthService(cfg, new InMemorySecretStore(), new JwtService({}), accounts).init();
    accounts.users.get('admin')!.role = 'viewer';
    await new AuthService(cfg, new InMemorySecretStore(), new JwtService({}), accounts).init();
    expect(accounts.users.get('admin')?.role).toBe('admin');
  });

  it('an API key verifies as `key:<name>` with its role; a revoked, made-up or malformed key is UNAUTHORIZED', async () => {
    const { s, accounts } = await withUsers();
    const key = generateApiKey();
    expect(key).toMatch(/^gbk_[A-Za-z0-9_-]{43}$/);
    accounts.apiKeys.set(hashApiKey(key), { id: 'k1', name: 'vms', role: 'viewer' });
    expect(await s.verify(key)).toMatchObject({ sub: 'key:vms', role: 'viewer', kind: 'key' });
    accounts.apiKeys.clear();
    await expectUnauthorized(s.verify(key), 'Invalid or revoked API key');
    await expectUnauthorized(s.verify(generateApiKey()), 'Invalid or revoked API key');
    await expectUnauthorized(s.verify('gbk_short'), 'Invalid or revoked API key');
  });
});
