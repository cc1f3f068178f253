import type { LoggerService } from '@nestjs/common';
import type { Level, Logger as PinoLogger } from 'pino';

/** A stack trace as Nest passes it (`error(message, stack, context)`): several lines, the second starting with "at". */
const STACK = /\n\s+at /;

/**
 * Nest's LoggerService over pino, so `new Logger('Sip').log(…)` anywhere in the app becomes one pino record:
 *
 *   log('text', 'Sip')                         -> { context: 'Sip', msg: 'text' }
 *   log({ msg: 'registered', deviceId }, 'Sip') -> { context: 'Sip', msg: 'registered', deviceId }
 *   error(new Error('x'), 'Sip')               -> { context: 'Sip', err: {type, message, stack}, msg: 'x' }
 *   error('failed', '<stack>', 'Sip')          -> { context: 'Sip', err: { message: 'failed', stack }, msg: 'failed' }
 *
 * Nest's Logger appends the context as the last argument; anything else left over lands in `params`.
 * One instance per app (no process-wide state): several gateways in one test process each log to their own pino.
 */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: PinoLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const record: Record<string, unknown> = {};
    let rest = params;
    const last = rest[rest.length - 1];
    if (typeof last === 'string' && !(level === 'error' && rest.length === 1 && STACK.test(last))) {
      record.context = last;
      rest = rest.slice(0, -1);
    }
    if (level === 'error' && typeof message === 'string' && typeof rest[0] === 'string' && STACK.test(rest[0])) {
      record.err = { message, stack: rest[0] };
      rest = rest.slice(1);
    }
    if (rest.length > 0) record.params = rest;
    if (message instanceof Error) {
      record.err = message;
      this.pino[level](record, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...record, ...message });
    } else {
      this.pino[level](record, String(message));
    }
  }
}
