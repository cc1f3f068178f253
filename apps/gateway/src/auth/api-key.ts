import { createHash, randomBytes } from 'node:crypto';

/** Every API key starts with this, so a bearer value is told apart from a JWT (which starts with `eyJ`). */
export const API_KEY_PREFIX = 'gbk_';
/** 32 random bytes (256 bits) as base64url: 43 characters after the prefix. */
export const API_KEY_RANDOM_BYTES = 32;
const API_KEY_FORMAT = /^gbk_[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(API_KEY_RANDOM_BYTES).toString('base64url');
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export function isWellFormedApiKey(token: string): boolean {
  return API_KEY_FORMAT.test(token);
}

/**
 * SHA-256 (hex) of a key, the form stored and looked up. A fast hash is enough here, unlike for passwords: a key has
 * 256 random bits, so no dictionary or brute force gets anywhere even at billions of guesses a second, and a slow
 * hash (scrypt, ~32 MiB and tens of ms) on every API request would be a denial of service of its own. No salt is
 * needed for the same reason, and an unsalted hash can be looked up by an index.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** What lists show of a key: its prefix and first 4 random characters. */
export function apiKeyDisplayPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX.length + 4);
}
