import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt password hashes (RFC 7914), self-describing so parameters can change later:
 *
 *   scrypt$<N>$<r>$<p>$<salt base64url>$<key base64url>
 *
 * N = 2^15, r = 8, p = 1 needs 128·N·r = 32 MiB and takes tens of milliseconds per check.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
export const SCRYPT_KEY_BYTES = 32;
export const SCRYPT_SALT_BYTES = 16;
/** Largest N a stored hash may ask for (a tampered row must not make every login allocate gigabytes). */
export const SCRYPT_MAX_N = 2 ** 20;

const PREFIX = 'scrypt';

export class PasswordHashFormatError extends Error {
  override readonly name = 'PasswordHashFormatError';
}

function derive(password: string, salt: Buffer, keyLen: number, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const opts: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hash a password with a fresh random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const key = await derive(password, salt, SCRYPT_KEY_BYTES, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return [PREFIX, N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export function parsePasswordHash(encoded: string): ParsedHash {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) throw new PasswordHashFormatError('not a scrypt$N$r$p$salt$key hash');
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,10}$/.test(s) ? Number(s) : NaN));
  const isPow2 = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!isPow2 || N > SCRYPT_MAX_N || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16)) {
    throw new PasswordHashFormatError('scrypt parameters out of range');
  }
  const salt = Buffer.from(parts[4], 'base64url');
  const key = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || key.length < 16 || key.length > 128) throw new PasswordHashFormatError('salt or key too short');
  return { N, r, p, salt, key };
}

/** Constant-time check of a password against an encoded hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const h = parsePasswordHash(encoded);
  const key = await derive(password, h.salt, h.key.length, h);
  return timingSafeEqual(key, h.key);
}

/** A random password: 24 bytes (192 bits) as 32 base64url characters. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
