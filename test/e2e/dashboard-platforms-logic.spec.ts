import { describe, expect, it } from 'vitest';
import type { PlatformDto } from '../../web/src/api-types';
import { en } from '../../web/src/locales/en';
import { addressOf, causeWords, fieldOf, formValuesOf, pickerRows, platformBody, problemsOf, sharedLabel, showsCause, superiorOf, type PickerChannel } from '../../web/src/platforms/platform-form';

const platform = (extra: Partial<PlatformDto> = {}): PlatformDto => ({
  id: '7b0c1f0e-9a51-4b8e-8d3e-0c2f3f4a5b6c', name: '市指挥中心', serverId: '34020000002000000002', domain: '3402000000', host: '192.0.2.7', port: 5060, transport: 'udp',
  localId: '34020000002000000001', expiresS: 3600, keepaliveS: 60, charset: 'GB2312', shareAll: false, channels: ['34020000001310000001'], enabled: true, ownerNode: 'n1',
  state: 'online', cause: null, stateAt: null, lastKeepaliveAt: null, registeredUntil: null, nextAttemptAt: null, createdAt: '2024-05-01T00:00:00Z', updatedAt: '2024-05-01T00:00:00Z',
  ...extra,
});

describe('dashboard superior platforms (web/src/platforms/platform-form.ts)', () => {
  it('platformBody() for a new platform sends every field, the gateway defaults for empty numbers and local ID, and the chosen channels (or shareAll)', () => {
    const v = { ...formValuesOf(), name: ' 市指挥中心 ', serverId: '34020000002000000002', domain: '3402000000', host: '192.0.2.7', password: 'pw', port: '', channels: ['a', 'a', 'b'] };
    expect(platformBody(v)).toEqual({
      ok: true,
      body: { name: '市指挥中心', serverId: '34020000002000000002', domain: '3402000000', host: '192.0.2.7', expiresS: 3600, keepaliveS: 60, transport: 'udp', charset: 'GB2312', enabled: true, password: 'pw', channels: ['a', 'b'] },
    });
    const all = platformBody({ ...v, shareAll: true, localId: '34020000002000000077', transport: 'tcp', charset: 'UTF-8' });
    expect(all.ok && all.body).toMatchObject({ shareAll: true, localId: '34020000002000000077', transport: 'tcp', charset: 'UTF-8' });
    expect(all.ok && 'channels' in all.body).toBe(false);
  });

  it('platformBody() refuses a number field that is not a whole number, naming the field', () => {
    expect(platformBody({ ...formValuesOf(), port: '50.5' })).toEqual({ ok: false, field: 'port' });
    expect(platformBody({ ...formValuesOf(), keepaliveS: '-1' })).toEqual({ ok: false, field: 'keepaliveS' });
    expect(platformBody({ ...formValuesOf(platform()), expiresS: '' }, platform())).toEqual({ ok: false, field: 'expiresS' });
  });

  it('platformBody() on edit sends only what changed: an empty password is unchanged, an emptied local ID is null, a new channel set turns shareAll off', () => {
    const p = platform();
    expect(platformBody(formValuesOf(p), p)).toEqual({ ok: true, body: {} });
    expect(platformBody({ ...formValuesOf(p), name: 'New name', port: '5070' }, p)).toEqual({ ok: true, body: { name: 'New name', port: 5070 } });
    expect(platformBody({ ...formValuesOf(p), password: 'new-secret' }, p)).toEqual({ ok: true, body: { password: 'new-secret' } });
    expect(platformBody({ ...formValuesOf(p), localId: '' }, p)).toEqual({ ok: true, body: { localId: null } });
    expect(platformBody({ ...formValuesOf(p), enabled: false }, p)).toEqual({ ok: true, body: { enabled: false } });
    expect(platformBody({ ...formValuesOf(p), shareAll: true }, p)).toEqual({ ok: true, body: { shareAll: true } });
    expect(platformBody({ ...formValuesOf(p), channels: ['34020000001310000001', 'x'] }, p)).toEqual({ ok: true, body: { shareAll: false, channels: ['34020000001310000001', 'x'] } });
    const all = platform({ shareAll: true, channels: [] });
    expect(platformBody({ ...formValuesOf(all), shareAll: false }, all)).toEqual({ ok: true, body: { shareAll: false, channels: [] } });
  });

  it('problemsOf(): 400 VALIDATION_FAILED puts words at each named field (channels.3 and shareAll at the channels); 409 and 404 say what happened; others keep the message', () => {
    const bad = problemsOf({ status: 400, code: 'VALIDATION_FAILED', fields: [{ field: 'port', message: 'Too big' }, { field: 'channels.3', message: 'bad' }] }, 'port: Too big; channels.3: bad');
    expect(bad).toEqual({ fields: { port: en['platforms.invalid.port'], channels: en['platforms.invalid.channels'] }, form: en['platforms.fixFields'] });
    expect(problemsOf({ status: 400, code: 'VALIDATION_FAILED', fields: [{ field: 'body', message: 'give at least one field' }] }, 'body: give at least one field')).toEqual({ fields: {}, form: 'body: give at least one field' });
    expect(problemsOf({ status: 409, code: 'CONFLICT' }, 'platform x already registers')).toEqual({ fields: {}, form: en['platforms.conflict'] });
    expect(problemsOf({ status: 404, code: 'NOT_FOUND' }, 'not found').form).toBe(en['platforms.gone']);
    expect(problemsOf({ status: 500, code: 'INTERNAL' }, 'boom').form).toBe('boom');
    expect([fieldOf('shareAll'), fieldOf('name'), fieldOf('nope'), fieldOf('')]).toEqual(['channels', 'name', null, null]);
  });

  it('causeWords() turns each stable code into plain words with the superior’s detail; an unknown cause stays as sent; showsCause() only when failed or registering again', () => {
    expect(causeWords('PLATFORM_FORBIDDEN: 403 Forbidden')).toEqual({ words: en['platforms.cause.PLATFORM_FORBIDDEN'], code: 'PLATFORM_FORBIDDEN', detail: '403 Forbidden' });
    expect(causeWords('PLATFORM_TIMEOUT: no answer to REGISTER')?.words).toBe(en['platforms.cause.PLATFORM_TIMEOUT']);
    expect(causeWords('PLATFORM_BAD_CHALLENGE')).toEqual({ words: en['platforms.cause.PLATFORM_BAD_CHALLENGE'], code: 'PLATFORM_BAD_CHALLENGE', detail: '' });
    expect(causeWords('SOMETHING_NEW: odd')).toEqual({ words: 'SOMETHING_NEW: odd', code: 'SOMETHING_NEW', detail: '' });
    expect(causeWords(null)).toBeNull();
    expect([showsCause({ state: 'failed', cause: 'x' }), showsCause({ state: 'registering', cause: 'x' }), showsCause({ state: 'disabled', cause: 'x' }), showsCause({ state: 'failed', cause: null })]).toEqual([true, true, false, false]);
  });

  it('superiorOf(), addressOf() and sharedLabel(): serverId@domain, host:port/TRANSPORT (IPv6 in brackets), "all" or the count', () => {
    expect(superiorOf(platform())).toBe('34020000002000000002@3402000000');
    expect(addressOf(platform({ transport: 'tcp' }))).toBe('192.0.2.7:5060/TCP');
    expect(addressOf(platform({ host: '2001:db8::7' }))).toBe('[2001:db8::7]:5060/UDP');
    expect(sharedLabel(platform({ shareAll: true, channels: [] }))).toBe(en['platforms.sharedAll']);
    expect(sharedLabel(platform({ channels: Array.from({ length: 1200 }, (_, i) => String(i)) }))).toBe('1,200');
  });

  it('pickerRows(): search by name, channel or device ID; chosen IDs no catalog has come first; directories only when chosen; at most `limit` rows with the rest counted', () => {
    const ch = (channelId: string, name: string | null, isDirectory = false): PickerChannel => ({ channelId, deviceId: 'D1', name, isDirectory });
    const list = [ch('c1', 'East Gate'), ch('c2', '西门路口'), ch('g1', 'Group', true), ch('c3', null)];
    expect(pickerRows(list, new Set(), '', false, 10).rows.map((r) => r.channelId)).toEqual(['c1', 'c2', 'c3']);
    expect(pickerRows(list, new Set(), 'east', false, 10).rows.map((r) => r.channelId)).toEqual(['c1']);
    expect(pickerRows(list, new Set(), '西门', false, 10).rows.map((r) => r.channelId)).toEqual(['c2']);
    expect(pickerRows(list, new Set(), 'd1', false, 10).rows).toHaveLength(3);
    expect(pickerRows(list, new Set(), 'nothing', false, 10)).toEqual({ rows: [], more: 0 });
    expect(pickerRows(list, new Set(['gone', 'g1', 'c2']), '', true, 10).rows.map((r) => [r.channelId, r.name])).toEqual([['gone', null], ['c2', '西门路口'], ['g1', 'Group']]);
    expect(pickerRows(list, new Set(), '', false, 2)).toMatchObject({ more: 1 });
  });
});
