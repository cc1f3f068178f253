import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { StreamFailure } from '@gb/gb28181';
import { GatewayError, HTTP_STATUS_BY_CODE } from '../common/gateway-error';
import { BODY_ERROR_DESCRIPTIONS } from './body-errors';

/** The body of every error response. */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors?: { field: string; message: string }[];
  /** DEVICE_REFUSED: the SIP status the device answered with. */
  sipStatus?: number;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : `HTTP_${status}`);
}

function messageOf(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  const m = (response as { message?: unknown }).message;
  if (typeof m === 'string') return m;
  if (Array.isArray(m)) return m.map(String).join('; ');
  return fallback;
}

/** Maps any thrown value to an ErrorBody; never exposes a stack or an unexpected error's message. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof StreamFailure) exception = GatewayError.fromStreamFailure(exception);
  if (exception instanceof GatewayError) {
    const statusCode = HTTP_STATUS_BY_CODE[exception.code] ?? 500;
    const body: ErrorBody = { statusCode, code: exception.code, message: exception.message };
    const sipStatus = exception.details?.sipStatus;
    if (typeof sipStatus === 'number') body.sipStatus = sipStatus;
    const errors = exception.details?.errors;
    if (Array.isArray(errors)) body.errors = errors as ErrorBody['errors'];
    return body;
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    const ownCode = typeof response === 'object' ? (response as { code?: unknown }).code : undefined;
    const code = typeof ownCode === 'string' ? ownCode : codeForStatus(statusCode);
    // Nest wraps body-parser's SyntaxError into a BadRequestException carrying its message.
    const cause = (exception as { cause?: unknown }).cause;
    if (statusCode === 400 && code === 'BAD_REQUEST' && isBodyParseError(exception, cause)) {
      return { statusCode, code: 'MALFORMED_JSON', message: `Request body is not valid JSON: ${messageOf(response, '')}`.slice(0, 300) };
    }
    return { statusCode, code, message: statusCode >= 500 ? 'Internal server error' : messageOf(response, exception.message) };
  }
  const type = (exception as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && Object.hasOwn(BODY_ERROR_DESCRIPTIONS, type)) {
    const { status, code, message } = BODY_ERROR_DESCRIPTIONS[type];
    return { statusCode: status, code, message };
  }
  if (exception instanceof URIError) {
    return { statusCode: 400, code: 'BAD_REQUEST', message: 'Malformed URI' };
  }
  return { statusCode: 500, code: 'INTERNAL', message: 'Internal server error' };
}

function isBodyParseError(exception: HttpException, cause: unknown): boolean {
  if ((cause as { type?: unknown } | undefined)?.type === 'entity.parse.failed') return true;
  return /JSON/.test(exception.message);
}

/** The one HTTP exception filter: GatewayError codes, Nest HttpExceptions, body-parser errors, everything else as 500. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const { httpAdapter } = this.adapterHost;
    const res = host.switchToHttp().getResponse();
    const body = toErrorBody(exception);
    if (body.statusCode >= HttpStatus.INTERNAL_SERVER_ERROR) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    if (httpAdapter.isHeadersSent(res)) {
      httpAdapter.end(res);
      return;
    }
    if (body.statusCode === 401) httpAdapter.setHeader(res, 'WWW-Authenticate', 'Bearer');
    const retryAfterS = exception instanceof GatewayError ? exception.details?.retryAfterS : undefined;
    if (typeof retryAfterS === 'number') httpAdapter.setHeader(res, 'Retry-After', String(retryAfterS));
    httpAdapter.reply(res, body, body.statusCode);
  }
}
