import { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { GatewayError } from '../common/gateway-error';

export interface FieldError {
  field: string;
  message: string;
}

/** Longest message kept per issue (zod may quote peer input). */
const MAX_ISSUE_MESSAGE_CHARS = 200;
/** Most issues reported back for one request. */
export const MAX_REPORTED_ISSUES = 20;

function issueToFieldErrors(issue: z.core.$ZodIssue, root: string): FieldError[] {
  const base = issue.path.length ? issue.path.map(String).join('.') : root;
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${base}.` : '';
    return issue.keys.map((k) => ({ field: `${prefix}${k}`.slice(0, MAX_ISSUE_MESSAGE_CHARS), message: 'unknown field' }));
  }
  return [{ field: base.slice(0, MAX_ISSUE_MESSAGE_CHARS), message: issue.message.slice(0, MAX_ISSUE_MESSAGE_CHARS) }];
}

/** Turns zod issues into the API's `{field, message}` list; `root` names the value itself (e.g. "deviceId", "body"). */
export function toFieldErrors(error: z.ZodError, root: string): FieldError[] {
  return error.issues.flatMap((i) => issueToFieldErrors(i, root)).slice(0, MAX_REPORTED_ISSUES);
}

/**
 * Validates and parses a body, param or query with a zod schema.
 * Failure: GatewayError VALIDATION_FAILED, message `<field>: <what is wrong>[; …]`, details `{ errors }`.
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly root = 'body',
  ) {}

  transform(value: unknown): z.output<S> {
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const errors = toFieldErrors(parsed.error, this.root);
    const message = errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    throw new GatewayError('VALIDATION_FAILED', message, { errors });
  }
}
