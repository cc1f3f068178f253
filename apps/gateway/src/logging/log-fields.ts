import { Logger } from '@nestjs/common';

/**
 * One structured log record. `msg` is the human sentence; the ids are separate fields so a collector can filter on
 * them (`deviceId="34020000001320000001"`) instead of parsing sentences. Any other field may be added.
 *
 *   private readonly log = new Logger('Streams');
 *   this.log.log({ msg: 'stream started', deviceId, channelId, streamId });
 *   this.log.warn({ msg: 'INVITE refused', deviceId, status: 486 });
 *   this.log.error({ msg: 'remuxer died', streamId, err });   // err: an Error, serialised with its stack
 *
 * Nest's Logger hands the object to the app logger (nestjs-pino), which merges it into the pino record next to
 * `context` ('Streams'). Plain strings (`this.log.log('text')`) keep working.
 */
export interface LogFields {
  msg: string;
  deviceId?: string;
  channelId?: string;
  streamId?: string;
  err?: unknown;
  [field: string]: unknown;
}

/** A Nest Logger whose methods take LogFields (or a plain string). Same object as `new Logger(context)`, typed. */
export interface FieldLogger {
  log(record: LogFields | string): void;
  warn(record: LogFields | string): void;
  error(record: LogFields | string): void;
  debug(record: LogFields | string): void;
  verbose(record: LogFields | string): void;
  fatal(record: LogFields | string): void;
}

export function fieldLogger(context: string): FieldLogger {
  return new Logger(context);
}
