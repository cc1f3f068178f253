import { describe, expect, it } from 'vitest';
import type { ProxyDto } from '@gb/contracts';
import { en } from '../../web/src/locales/en';
import { zhCN } from '../../web/src/locales/zh-cn';
import { causeWords, formValuesOf, problemsOf, PROXY_CAUSE_CODES, proxyBody, sourceOf } from '../../web/src/proxies/proxy-form';

const proxy = (extra: Partial<ProxyDto> = {}): ProxyDto => ({
  id: '7b0c1f0e-9a51-4b8e-8d3e-0c2f3f4a5b6c', name: '东门', url: 'rtsp://192.0.2.9/live', mode: 'on-demand', publishUrl: null, username: 'admin', hasPassword: true,
  deviceId: '34020000001189000000', channelId: '34020000001319000001', streamId: null, state: 'idle', causeCode: null, cause: null,
  stateAt: '2026-12-03T07:00:00Z', createdAt: '2026-12-03T07:00:00Z', updatedAt: '2026-12-03T07:00:00Z', ...extra,
});

describe('dashboard stream proxies (web/src/proxies/proxy-form.ts)', () => {
  it('proxyBody() for a new pull sends name, mode, URL and the credentials given; a push sends only name and mode', () => {
    expect(proxyBody({ ...formValuesOf(), name: ' 东门 ', url: ' rtsp://192.0.2.9/live ', username: 'admin', password: 'pw' })).toEqual({
      ok: true, body: { name: '东门', mode: 'on-demand', url: 'rtsp://192.0.2.9/live', username: 'admin', password: 'pw' },
    });
    expect(proxyBody({ ...formValuesOf(), name: 'drone', mode: 'push', url: 'ignored' })).toEqual({ ok: true, body: { name: 'drone', mode: 'push' } });
  });

  it('proxyBody() refuses an empty name or (pull) URL, naming the field', () => {
    expect(proxyBody({ ...formValuesOf(), name: ' ', url: 'rtsp://x/y' })).toEqual({ ok: false, field: 'name' });
    expect(proxyBody({ ...formValuesOf(), name: 'x' })).toEqual({ ok: false, field: 'url' });
  });

  it('proxyBody() on edit sends only what changed: an empty password is unchanged, an emptied user name is cleared', () => {
    const p = proxy();
    expect(proxyBody(formValuesOf(p), p)).toEqual({ ok: true, body: {} });
    expect(proxyBody({ ...formValuesOf(p), username: '', mode: 'always' }, p)).toEqual({ ok: true, body: { mode: 'always', username: null } });
    const push = proxy({ mode: 'push', url: null, username: null, hasPassword: false });
    expect(proxyBody({ ...formValuesOf(push), name: 'drone 2' }, push)).toEqual({ ok: true, body: { name: 'drone 2' } });
  });

  it('causeWords(): every cause code has words in English and Chinese; a live pull hides its old cause, a refused publish shows while live', () => {
    for (const code of PROXY_CAUSE_CODES) {
      expect(en[`proxies.cause.${code}`], code).toBeTruthy();
      expect(zhCN[`proxies.cause.${code}`], code).toBeTruthy();
    }
    expect(causeWords(proxy({ state: 'failed', causeCode: 'AUTH_FAILED', cause: '401 Unauthorized' }))).toEqual({ words: en['proxies.cause.AUTH_FAILED'], code: 'AUTH_FAILED', detail: '401 Unauthorized' });
    expect(causeWords(proxy({ state: 'live', causeCode: 'CONNECTION_REFUSED', cause: 'x' }))).toBeNull();
    expect(causeWords(proxy({ state: 'live', mode: 'push', causeCode: 'PUSH_BUSY', cause: '127.0.0.1:5000' }))?.code).toBe('PUSH_BUSY');
    expect(causeWords(proxy({ state: 'retrying', causeCode: 'SOMETHING_NEW', cause: 'x' }))).toMatchObject({ words: 'SOMETHING_NEW' });
    expect(causeWords(proxy())).toBeNull();
  });

  it('problemsOf(): a 400 marks its fields, FEATURE_DISABLED says how to turn push on; sourceOf() names push', () => {
    expect(problemsOf({ status: 400, code: 'VALIDATION_FAILED', fields: [{ field: 'url', message: 'not a URL' }] }, 'x')).toEqual({ fields: { url: en['proxies.invalid.url'] }, form: en['proxies.fixFields'] });
    expect(problemsOf({ status: 501, code: 'FEATURE_DISABLED' }, 'x').form).toBe(en['proxies.pushOff']);
    expect(problemsOf({ status: 500, code: 'INTERNAL' }, 'boom').form).toBe('boom');
    expect(sourceOf(proxy({ mode: 'push', url: null }))).toBe(en['proxies.pushSource']);
    expect(sourceOf(proxy())).toBe('rtsp://192.0.2.9/live');
  });
});
