import { Logger as NestLogger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createGatewayLogger } from './gateway-logger';
import { fieldLogger } from './log-fields';
import { resolveLogFormat } from './log-format';
import { PinoNestLogger } from './pino-nest.logger';

/** A destination that keeps what is written, line by line. */
function capture(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}

@Module({})
class EmptyModule {}

/** A Nest app whose logger is the gateway logger writing into `out`, as bootstrap.ts sets it up. */
async function appLoggingTo(format: 'json' | 'pretty', out: Writable) {
  const logger = createGatewayLogger({ LOG_LEVEL: 'info', LOG_FORMAT: format }, { destination: out, isTty: false });
  const app = await NestFactory.createApplicationContext(EmptyModule, { logger: new PinoNestLogger(logger.pino), abortOnError: false });
  return app;
}

describe('resolveLogFormat()', () => {
  it.each([
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ] as const)('LOG_FORMAT=%s with stdout a TTY: %s -> %s', (setting, tty, expected) => {
    expect(resolveLogFormat(setting, tty)).toBe(expected);
  });
});

describe('gateway logger', () => {
  it('LOG_FORMAT=json: new Logger(context).log({ msg, deviceId, … }) writes one JSON line with the ids as fields', async () => {
    const out = capture();
    const app = await appLoggingTo('json', out.stream);
    try {
      new NestLogger('Sip').log({ msg: 'device registered', deviceId: '34020000001320000001', channelId: '34020000001310000001' });
      fieldLogger('Streams').warn({ msg: 'no RTP', streamId: 's-1', deviceId: '34020000001320000001' });
      new NestLogger('Plain').log('a plain string still works');
      new NestLogger('Legacy').error('it failed', 'Error: it failed\n    at somewhere (x.ts:1:1)');
      const records = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records).toContainEqual(expect.objectContaining({ level: 30, context: 'Sip', msg: 'device registered', deviceId: '34020000001320000001', channelId: '34020000001310000001' }));
      expect(records).toContainEqual(expect.objectContaining({ level: 40, context: 'Streams', msg: 'no RTP', streamId: 's-1' }));
      expect(records).toContainEqual(expect.objectContaining({ context: 'Plain', msg: 'a plain string still works' }));
      expect(records).toContainEqual(expect.objectContaining({ level: 50, context: 'Legacy', msg: 'it failed', err: expect.objectContaining({ stack: expect.stringContaining('at somewhere') }) }));
    } finally {
      await app.close();
    }
  });

  it('LOG_FORMAT=json: an Error passed as err is serialised with its type, message and stack', async () => {
    const out = capture();
    const app = await appLoggingTo('json', out.stream);
    try {
      fieldLogger('Media').error({ msg: 'remuxer died', streamId: 's-2', err: new TypeError('boom') });
      const rec = out.lines().map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'remuxer died');
      expect(rec).toMatchObject({ level: 50, streamId: 's-2', err: { type: 'TypeError', message: 'boom' } });
      expect((rec!.err as { stack: string }).stack).toContain('TypeError: boom');
    } finally {
      await app.close();
    }
  });

  it('LOG_FORMAT=pretty: a readable line with the context in front of the message and the ids below it, no JSON', async () => {
    const out = capture();
    const app = await appLoggingTo('pretty', out.stream);
    try {
      new NestLogger('Sip').log({ msg: 'device registered', deviceId: '34020000001320000001' });
      const text = out.lines().join('\n');
      expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Sip\] device registered$/m);
      expect(text).toContain('deviceId: "34020000001320000001"');
      expect(text).not.toMatch(/^\{/m);
    } finally {
      await app.close();
    }
  });

  it('LOG_LEVEL=silent writes nothing', async () => {
    const out = capture();
    const logger = createGatewayLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }, { destination: out.stream });
    logger.pino.error({ msg: 'x' });
    expect(out.lines()).toEqual([]);
  });
});
