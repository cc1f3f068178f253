import { BadRequestException, ForbiddenException, HttpException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { GatewayError, HTTP_STATUS_BY_CODE, type GatewayErrorCode } from '../common/gateway-error';
import { toBodyException } from './body-parsers';
import { toErrorBody } from './http-exception.filter';

describe('toErrorBody()', () => {
  it('maps every GatewayError code to its HTTP_STATUS_BY_CODE status, keeping code and message', () => {
    for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE) as [GatewayErrorCode, number][]) {
      expect(toErrorBody(new GatewayError(code, `m-${code}`))).toEqual({ statusCode: status, code, message: `m-${code}` });
    }
  });

  it('copies field errors of a VALIDATION_FAILED GatewayError into `errors`', () => {
    const errors = [{ field: 'name', message: 'too long' }];
    expect(toErrorBody(new GatewayError('VALIDATION_FAILED', 'name: too long', { errors }))).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'name: too long',
      errors,
    });
  });

  it('maps Nest HttpExceptions to their status with a code derived from it, or the one they carry', () => {
    expect(toErrorBody(new NotFoundException('Cannot GET /api/x'))).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'Cannot GET /api/x' });
    expect(toErrorBody(new ForbiddenException())).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
    expect(toErrorBody(new HttpException({ code: 'TEAPOT', message: 'short and stout' }, 418))).toEqual({
      statusCode: 418,
      code: 'TEAPOT',
      message: 'short and stout',
    });
    expect(toErrorBody(new HttpException('x', 422))).toMatchObject({ statusCode: 422, code: 'HTTP_422' });
  });

  it('hides the message of a 5xx HttpException', () => {
    expect(toErrorBody(new HttpException('db password is hunter2', 503))).toEqual({
      statusCode: 503,
      code: 'SERVICE_UNAVAILABLE',
      message: 'Internal server error',
    });
  });

  it("recognises Nest's wrapping of body-parser's SyntaxError as MALFORMED_JSON", () => {
    const wrapped = new BadRequestException('Unexpected token } in JSON at position 12');
    expect(toErrorBody(wrapped)).toMatchObject({ statusCode: 400, code: 'MALFORMED_JSON' });
  });

  it('maps raw body-parser errors by type and our wrapped ones identically', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 });
    expect(toErrorBody(tooLarge)).toEqual({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' });
    expect(toErrorBody(toBodyException(tooLarge))).toEqual(toErrorBody(tooLarge));
    const charset = Object.assign(new Error('unsupported charset "X"'), { type: 'charset.unsupported', status: 415 });
    expect(toErrorBody(toBodyException(charset))).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('maps anything else to 500 INTERNAL without its message, including non-Error values and prototype-named types', () => {
    const expected = { statusCode: 500, code: 'INTERNAL', message: 'Internal server error' };
    expect(toErrorBody(new Error('secret detail'))).toEqual(expected);
    expect(toErrorBody('a string')).toEqual(expected);
    expect(toErrorBody(null)).toEqual(expected);
    expect(toErrorBody(undefined)).toEqual(expected);
    expect(toErrorBody({ type: 'constructor' })).toEqual(expected);
    expect(toErrorBody({ type: '__proto__' })).toEqual(expected);
  });
});
