import { Gb28181Error } from '../errors';
import { isSipToken } from './sip-header-values';

/**
 * The header values of event subscriptions (RFC 6665 §8.2, §7.2: `Event`, `Subscription-State`), as GB/T 28181-2016
 * §9.11 uses them for catalog, alarm and mobile-position subscriptions (`Event: Catalog`). Failures are
 * `Gb28181Error` SIP_BAD_HEADER.
 */

/** Longest Event or Subscription-State value read (a peer-controlled string). */
export const MAX_SUBSCRIPTION_HEADER_CHARS = 512;
/** Largest `expires` / `retry-after` taken from a Subscription-State (a day). */
export const MAX_SUBSCRIPTION_STATE_SECONDS = 86_400;

export interface EventHeader {
  /** The event package as written (`Catalog`); compare case-insensitively. */
  event: string;
  /** The `id` parameter (RFC 6665 §8.2.1), or null. */
  id: string | null;
}

export interface SubscriptionState {
  /** `active`, `pending`, `terminated` (lower-cased), or another token as written (RFC 6665 §4.1.3: treat as active). */
  state: string;
  /** `reason` of a terminated subscription (lower-cased: deactivated, probation, rejected, timeout, giveup, noresource, invariant), or null. */
  reason: string | null;
  /** `expires` in seconds (at most MAX_SUBSCRIPTION_STATE_SECONDS), or null. */
  expiresS: number | null;
  /** `retry-after` in seconds (at most MAX_SUBSCRIPTION_STATE_SECONDS), or null. */
  retryAfterS: number | null;
}

function bad(msg: string): Gb28181Error {
  return new Gb28181Error('SIP_BAD_HEADER', msg);
}

/** `token *( ";" name [ "=" value ] )`: the token and the parameters, names lower-cased. */
function tokenAndParams(v: string, what: string): { token: string; params: Map<string, string> } {
  if (v.length > MAX_SUBSCRIPTION_HEADER_CHARS) throw bad(`${what} longer than ${MAX_SUBSCRIPTION_HEADER_CHARS} characters`);
  const [head, ...rest] = v.split(';');
  const token = (head ?? '').trim();
  if (!isSipToken(token)) throw bad(`bad ${what} "${token.slice(0, 32)}"`);
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (!isSipToken(name)) throw bad(`bad ${what} parameter "${name.slice(0, 32)}"`);
    params.set(name, value);
  }
  return { token, params };
}

function seconds(v: string | undefined): number | null {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return null;
  return Math.min(Number(v), MAX_SUBSCRIPTION_STATE_SECONDS);
}

/** Reads an `Event` (or compact `o`) header value: `Catalog`, `Catalog;id=17`. */
export function parseEventHeader(v: string): EventHeader {
  const { token, params } = tokenAndParams(v, 'Event');
  return { event: token, id: params.get('id') || null };
}

/** Reads a `Subscription-State` value: `active;expires=3600`, `terminated;reason=timeout;retry-after=30`. */
export function parseSubscriptionState(v: string): SubscriptionState {
  const { token, params } = tokenAndParams(v, 'Subscription-State');
  const state = token.toLowerCase();
  return { state, reason: params.get('reason')?.toLowerCase() || null, expiresS: seconds(params.get('expires')), retryAfterS: seconds(params.get('retry-after')) };
}
