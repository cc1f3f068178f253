/**
 * Every error the protocol library throws is a `Gb28181Error` with a stable
 * `code`. Callers map codes to SIP statuses / HTTP responses once, at their edge.
 * Nothing else (TypeError, RangeError...) may escape a parser: fuzz tests check it.
 */
export class Gb28181Error extends Error {
  override readonly name = 'Gb28181Error';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isGb28181Error(e: unknown): e is Gb28181Error {
  return e instanceof Gb28181Error;
}
