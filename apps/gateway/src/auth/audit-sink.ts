import type { Principal } from './roles';

/** One control action, as the HTTP edge saw it. */
export interface AuditEvent {
  at: Date;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  /** `ok` or the error code. */
  outcome: string;
  detail: string | null;
}

/**
 * Where the HTTP edge reports audited actions. `record()` must not block or throw: it queues (access/audit.service.ts
 * writes in batches, off the request path). Optional: the API's own test app has none.
 */
export abstract class AuditSink {
  abstract record(event: AuditEvent): void;
}

/** Request fields worth recording; never a password or a key. */
const DETAIL_FIELDS = ['action', 'op', 'index', 'role', 'name', 'username'] as const;
const MAX_TARGET_CHARS = 256;
const MAX_DETAIL_CHARS = 256;

interface RequestLike {
  params?: Record<string, unknown>;
  body?: unknown;
}

/** The audit event for `action` by `who` on a request: target = route parameters (else body username/name). */
export function auditEventOf(req: RequestLike, who: Pick<Principal, 'sub' | 'role'>, action: string, outcome: string, at = new Date()): AuditEvent {
  const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
  const params = Object.values(req.params ?? {}).filter((v): v is string => typeof v === 'string');
  const fallback = [body.username, body.name].find((v): v is string => typeof v === 'string');
  const target = params.length ? params.join('/') : (fallback ?? null);
  const detail = DETAIL_FIELDS.filter((k) => ['string', 'number', 'boolean'].includes(typeof body[k])).map((k) => `${k}=${String(body[k])}`);
  return {
    at,
    actor: who.sub.slice(0, 128),
    role: who.role,
    action,
    target: target?.slice(0, MAX_TARGET_CHARS) ?? null,
    outcome: outcome.slice(0, 64),
    detail: detail.length ? detail.join(' ').slice(0, MAX_DETAIL_CHARS) : null,
  };
}
