import { describe, expect, it } from 'vitest';
import { generatePassword, hashPassword, parsePasswordHash, PasswordHashFormatError, SCRYPT_PARAMS, verifyPassword } from './password-hash';

describe('password hashes', () => {
  it('hashPassword() encodes scrypt parameters, a 16-byte salt and a 32-byte key, never the password', async () => {
    const h = await hashPassword('hunter2');
    const parts = h.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', String(SCRYPT_PARAMS.N), '8', '1']);
    expect(Buffer.from(parts[4], 'base64url')).toHaveLength(16);
    expect(Buffer.from(parts[5], 'base64url')).toHaveLength(32);
    expect(h).not.toContain('hunter2');
  });

  it('hashPassword() of the same password twice gives different salts and keys', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    expect(a).not.toBe(b);
  });

  it('verifyPassword() accepts the password and rejects others, including a one-character change', async () => {
    const h = await hashPassword('p@ssw0rd-中文');
    expect(await verifyPassword('p@ssw0rd-中文', h)).toBe(true);
    expect(await verifyPassword('p@ssw0rd-中', h)).toBe(false);
    expect(await verifyPassword('P@ssw0rd-中文', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
  });

  it('verifyPassword() treats NFC and NFD spellings of a password as the same', async () => {
    const h = await hashPassword('caf\u00e9');
    expect(await verifyPassword('cafe\u0301', h)).toBe(true);
  });

  it('parsePasswordHash() rejects malformed or resource-hungry hashes with PasswordHashFormatError', () => {
    const salt = Buffer.alloc(16, 1).toString('base64url');
    const key = Buffer.alloc(32, 2).toString('base64url');
    const bad = [
      '',
      'plain-text-password',
      `bcrypt$16384$8$1$${salt}$${key}`,
      `scrypt$16385$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$${2 ** 22}$8$1$${salt}$${key}`, // N over SCRYPT_MAX_N
      `scrypt$16384$0$1$${salt}$${key}`,
      `scrypt$16384$8$99$${salt}$${key}`,
      `scrypt$16384$8$1$$${key}`,
      `scrypt$16384$8$1$${salt}$`,
      `scrypt$16384$8$1$${salt}$${key}$extra`,
    ];
    for (const h of bad) expect(() => parsePasswordHash(h), h).toThrow(PasswordHashFormatError);
    expect(parsePasswordHash(`scrypt$16384$8$1$${salt}$${key}`)).toMatchObject({ N: 16384, r: 8, p: 1 });
  });

  it('generatePassword() yields 32 base64url characters (192 bits), different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = generatePassword();
      expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(50);
  });
});
