/**
 * Application errors with a stable code. The HTTP edge (api/http-exception.filter.ts) maps codes to statuses;
 * the SIP edge maps them to SIP responses. Nothing in between chooses a status.
 */
export type GatewayErrorCode =
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_OFFLINE'
  | 'CHANNEL_NOT_FOUND'
  | 'DEVICE_TIMEOUT'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'CONFLICT'
  | 'INTERNAL';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const HTTP_STATUS_BY_CODE: Record<GatewayErrorCode, number> = {
  DEVICE_NOT_FOUND: 404,
  CHANNEL_NOT_FOUND: 404,
  DEVICE_OFFLINE: 409,
  CONFLICT: 409,
  DEVICE_TIMEOUT: 504,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  INTERNAL: 500,
};
