import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigValidationError, configSchema, loadConfig, redactConfig } from './config.schema';
import { configTable } from '../../../../scripts/config-table';

describe('loadConfig()', () => {
  it('with an empty environment gives the documented defaults', () => {
    const c = loadConfig({});
    expect(c.SIP_PORT).toBe(5060);
    expect(c.SIP_ID).toBe('34020000002000000001');
    expect(c.SIP_DOMAIN).toBe('3402000000');
    expect(c.HTTP_PORT).toBe(8080);
    expect(c.DATA_DIR).toBe('./data');
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.KEEPALIVE_INTERVAL_S * c.KEEPALIVE_MAX_MISSED).toBe(180);
  });

  it('with a bad value throws an error naming each offending variable', () => {
    let err: unknown;
    try {
      loadConfig({ SIP_PORT: 'abc', SIP_ID: '123', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const msg = (err as Error).message;
    expect(msg).toContain('SIP_PORT');
    expect(msg).toContain('SIP_ID');
    expect(msg).toContain('LOG_LEVEL');
  });

  it('coerces numeric strings and treats empty strings as unset', () => {
    const c = loadConfig({ SIP_PORT: '15060', KEEPALIVE_INTERVAL_S: '5', DATABASE_URL: '' });
    expect(c.SIP_PORT).toBe(15060);
    expect(c.KEEPALIVE_INTERVAL_S).toBe(5);
    expect(c.DATABASE_URL).toBeUndefined();
  });

  it('redactConfig() masks secrets', () => {
    const r = redactConfig(loadConfig({ SIP_PASSWORD: 'pw', ADMIN_PASSWORD: 'x', DATABASE_URL: 'postgres://u:p@h/db' }));
    expect(r.SIP_PASSWORD).toBe('***');
    expect(r.ADMIN_PASSWORD).toBe('***');
    expect(r.DATABASE_URL).toBe('***');
    expect(r.SIP_PORT).toBe(5060);
  });
});

describe('README configuration table', () => {
  it('matches the schema, key for key (regenerate with npx tsx scripts/config-table.ts)', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    expect(readme).toContain(configTable());
    for (const key of Object.keys(configSchema.shape)) expect(readme).toContain(`\`${key}\``);
  });
});

describe('metrics config', () => {
  it('by default serves /metrics on 127.0.0.1:9464 only (loopback is its protection)', () => {
    const c = loadConfig({});
    expect(c.METRICS_ENABLED).toBe(true);
    expect(c.METRICS_HOST).toBe('127.0.0.1');
    expect(c.METRICS_PORT).toBe(9464);
  });

  it('METRICS_ENABLED=false turns it off; METRICS_PORT=0 means any free port', () => {
    const c = loadConfig({ METRICS_ENABLED: 'false', METRICS_PORT: '0' });
    expect(c.METRICS_ENABLED).toBe(false);
    expect(c.METRICS_PORT).toBe(0);
    expect(() => loadConfig({ METRICS_ENABLED: 'yes' })).toThrow(/METRICS_ENABLED/);
  });
});
