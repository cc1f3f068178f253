import { describe, expect, it } from 'vitest';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { MAX_PLATFORM_PASSWORD_CHARS, MAX_SHARED_CHANNELS, createPlatformSchema, platformIdSchema, updatePlatformSchema } from './platforms.dto';

const createPipe = new ZodValidationPipe(createPlatformSchema);
const updatePipe = new ZodValidationPipe(updatePlatformSchema);
const GOOD = { name: '市交警指挥中心', serverId: '34020000002000000002', domain: '3402000000', host: '192.0.2.7', port: 5060, transport: 'udp', password: 'cascade-pass' };

/** What the pipe refuses, as the API reports it: `field: message; …`. */
function refusal(pipe: ZodValidationPipe<never>, body: unknown): string {
  try {
    pipe.transform(body);
  } catch (e) {
    expect((e as { code?: string }).code).toBe('VALIDATION_FAILED');
    return (e as Error).message;
  }
  throw new Error('the body was accepted');
}
const refuseCreate = (b: unknown) => refusal(createPipe as unknown as ZodValidationPipe<never>, b);
const refuseUpdate = (b: unknown) => refusal(updatePipe as unknown as ZodValidationPipe<never>, b);

describe('createPlatformSchema', () => {
  it('the issue-11 fields with defaults: port 5060, udp, Expires 3600, keepalive 60, GB2312, no channels, enabled', () => {
    const { port: _p, transport: _t, ...minimal } = GOOD;
    expect(createPlatformSchema.parse(minimal)).toEqual({
      ...minimal, port: 5060, transport: 'udp', expiresS: 3600, keepaliveS: 60, charset: 'GB2312', shareAll: false, channels: [], enabled: true,
    });
  });

  it('every optional field as given: localId, tcp, short timers, charset, a channel list, disabled; a host name and an IPv6 host', () => {
    const body = { ...GOOD, transport: 'tcp', localId: '34020000002000000009', expiresS: 3, keepaliveS: 1, charset: 'UTF-8', channels: ['34020000001320000001'], enabled: false };
    expect(createPlatformSchema.parse(body)).toEqual({ ...body, shareAll: false });
    expect(createPlatformSchema.parse({ ...GOOD, host: 'gb.centre.example' }).host).toBe('gb.centre.example');
    expect(createPlatformSchema.parse({ ...GOOD, host: '2001:db8::7' }).host).toBe('2001:db8::7');
    expect(createPlatformSchema.parse({ ...GOOD, domain: '192.0.2.7:5060' }).domain).toBe('192.0.2.7:5060');
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no password', { password: undefined }, /^password: /],
    ['an empty name', { name: '' }, /^name: /],
    ['a serverId that is no GB ID', { serverId: '3402-0000' }, /^serverId: /],
    ['port 0', { port: 0 }, /^port: /],
    ['port 65536', { port: 65536 }, /^port: /],
    ['a string port', { port: '5060' }, /^port: /],
    ['transport ws', { transport: 'ws' }, /^transport: /],
    ['expiresS 0', { expiresS: 0 }, /^expiresS: /],
    ['expiresS over a day', { expiresS: 86_401 }, /^expiresS: /],
    ['keepaliveS 1.5', { keepaliveS: 1.5 }, /^keepaliveS: /],
    ['charset latin1', { charset: 'latin1' }, /^charset: /],
    ['shareAll with a channel list', { shareAll: true, channels: ['34020000001320000001'] }, /^channels: give shareAll: true or a channels list, not both/],
    ['a channel twice', { channels: ['34020000001320000001', '34020000001320000001'] }, /^channels: channel IDs must be unique/],
    ['an unknown field', { realm: 'x' }, /^realm: unknown field/],
  ])('refuses %s, naming the field', (_what, change, field) => {
    expect(refuseCreate({ ...GOOD, ...change })).toMatch(field);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['CR LF in the domain (header injection)', { domain: '3402000000\r\nContact: <sip:evil@203.0.113.9>' }, /^domain: /],
    ['an @ and angle brackets in the host', { host: 'a@b<c>' }, /^host: /],
    ['a space in the host', { host: 'centre example' }, /^host: /],
    ['a control character in the name', { name: 'centre\u0000' }, /^name: no control characters/],
    ['a newline in the password', { password: 'pass\nword' }, /^password: no control characters/],
    ['a password over the bound', { password: 'p'.repeat(MAX_PLATFORM_PASSWORD_CHARS + 1) }, /^password: /],
    ['more channels than MAX_SHARED_CHANNELS', { channels: Array.from({ length: MAX_SHARED_CHANNELS + 1 }, (_, i) => `3402000000132${String(i).padStart(7, '0')}`) }, /^channels: /],
    ['a localId with a quote', { localId: '3402"0000' }, /^localId: /],
    ['a __proto__ key', JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>, /__proto__: unknown field|^body: /],
  ])('refuses hostile input: %s', (_what, change, field) => {
    expect(refuseCreate({ ...GOOD, ...change })).toMatch(field);
  });

  it('refuses a body that is not an object', () => {
    for (const b of [null, 'x', 42, []]) expect(refuseCreate(b)).toMatch(/^body: /);
  });
});

describe('updatePlatformSchema', () => {
  it('takes any subset; localId null means back to SIP_ID', () => {
    expect(updatePlatformSchema.parse({ enabled: false })).toEqual({ enabled: false });
    expect(updatePlatformSchema.parse({ localId: null, password: 'new-pass' })).toEqual({ localId: null, password: 'new-pass' });
  });

  it('refuses an empty patch, unknown fields, bad values and shareAll with channels', () => {
    expect(refuseUpdate({})).toMatch(/give at least one field to change/);
    expect(refuseUpdate({ state: 'online' })).toMatch(/^state: unknown field/);
    expect(refuseUpdate({ port: -1 })).toMatch(/^port: /);
    expect(refuseUpdate({ shareAll: true, channels: ['34020000001320000001'] })).toMatch(/^channels: /);
  });
});

describe('platformIdSchema', () => {
  it('takes a UUID and refuses anything else', () => {
    expect(platformIdSchema.safeParse('6f1c1c7e-3b7a-4d3e-9c55-0a7b1e2d3c4f').success).toBe(true);
    for (const bad of ['1', '../etc', '6f1c1c7e-3b7a-4d3e-9c55-0a7b1e2d3c4f\n']) expect(platformIdSchema.safeParse(bad).success).toBe(false);
  });
});
