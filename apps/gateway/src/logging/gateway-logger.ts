import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { GatewayConfig } from '../config/config.schema';
import { resolveLogFormat, type LogFormat } from './log-format';

export interface GatewayLoggerOptions {
  /** Where lines go; default stdout. */
  destination?: NodeJS.WritableStream;
  /** Whether stdout is a terminal (decides `auto`, and colours in `pretty`); default process.stdout.isTTY. */
  isTty?: boolean;
}

export interface GatewayLogger {
  pino: PinoLogger;
  format: LogFormat;
}

/** Fields pino adds that say nothing on a terminal; `context` is printed in front of the message instead. */
const PRETTY_IGNORE = 'pid,hostname,context';

/**
 * The process logger: pino, JSON lines (`{"level":30,"time":…,"context":"Sip","msg":"…","deviceId":"…"}`) or, for a
 * person at a terminal, pino-pretty's `[12:00:01.234] INFO: [Sip] device registered` with the fields below it.
 * Pretty printing runs in-process and synchronously: no worker thread, nothing lost on exit.
 */
export function createGatewayLogger(config: Pick<GatewayConfig, 'LOG_LEVEL' | 'LOG_FORMAT'>, options: GatewayLoggerOptions = {}): GatewayLogger {
  const isTty = options.isTty ?? process.stdout.isTTY === true;
  const format = resolveLogFormat(config.LOG_FORMAT, isTty);
  const base = { level: config.LOG_LEVEL, base: { pid: process.pid } };
  let destination: DestinationStream;
  if (format === 'pretty') {
    destination = pretty({
      destination: options.destination ?? 1,
      sync: true,
      colorize: isTty,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: PRETTY_IGNORE,
      messageFormat: '{if context}[{context}] {end}{msg}',
    });
  } else {
    destination = (options.destination as DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true });
  }
  return { pino: pino(base, destination), format };
}
