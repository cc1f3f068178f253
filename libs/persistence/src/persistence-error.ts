/**
 * Errors raised by the persistence library, each with a stable `code`.
 * The gateway maps them once, at its edge (HTTP status, log line, exit code).
 */
export type PersistenceErrorCode =
  /** Another live process (or this one) already holds the embedded data directory. */
  | 'DATA_DIR_LOCKED'
  /** The embedded PostgreSQL (PGlite) could not be started or its socket server could not listen. */
  | 'EMBEDDED_START_FAILED'
  /** DATABASE_URL is set but the server refused or did not answer. */
  | 'DATABASE_UNREACHABLE'
  /** Applying the schema migrations failed. */
  | 'MIGRATION_FAILED'
  /** A row references a device that does not exist (foreign key on device_id). */
  | 'DEVICE_NOT_FOUND'
  /** A caller passed a property that is not a column of the entity. */
  | 'UNKNOWN_COLUMN'
  /** A first registration lacked a column the devices table requires. */
  | 'MISSING_COLUMN'
  /** A caller broke a method's precondition (e.g. the same device twice in one batch). */
  | 'INVALID_ARGUMENT';

export class PersistenceError extends Error {
  override readonly name = 'PersistenceError';
  constructor(
    readonly code: PersistenceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isPersistenceError(e: unknown): e is PersistenceError {
  return e instanceof PersistenceError;
}

/** PostgreSQL SQLSTATE 23503 foreign_key_violation (PostgreSQL docs, Appendix A). */
export const PG_FOREIGN_KEY_VIOLATION = '23503';

export function pgErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
