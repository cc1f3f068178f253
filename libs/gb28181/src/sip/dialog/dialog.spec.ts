import { describe, expect, it } from 'vitest';
import { createRequest, createResponse } from '../sip-builders';
import { parseNameAddr, parseVia } from '../sip-header-values';
import type { SipRequest } from '../sip-message';
import { parseSipMessage } from '../sip-parser';
import { serializeSipMessage } from '../sip-serializer';
import { buildCancel } from './cancel-request';
import { Dialog, viaSentByOf } from './dialog';

const VIA = { transport: 'UDP', host: '192.0.2.10', port: 5060 };

function invite(): SipRequest {
  return createRequest({
    method: 'INVITE', uri: 'sip:34020000001320000001@198.51.100.7:5060',
    via: { ...VIA, branch: 'z9hG4bKinvite1' },
    from: { uri: 'sip:34020000002000000001@3402000000', tag: 'gw1' },
    to: { uri: 'sip:34020000001320000001@3402000000' },
    callId: 'call-dlg@192.0.2.10', cseq: 20,
    contact: 'sip:34020000002000000001@192.0.2.10:5060',
    headers: [['Subject', '34020000001320000001:0200000001,34020000002000000001:0']],
    body: Buffer.from('v=0\r\n'), contentType: 'APPLICATION/SDP',
  });
}

function ok(inv: SipRequest, headers: [string, string][] = [['Contact', '<sip:34020000001320000001@10.0.0.64:5060>']]) {
  return createResponse(inv, 200, 'OK', { toTag: 'dev9', headers });
}

describe('Dialog.fromInvite2xx() (RFC 3261 §12.1.2)', () => {
  it('with a Contact and two Record-Route values takes the tags, URIs, Contact as remote target and the route set reversed', () => {
    const inv = invite();
    const d = Dialog.fromInvite2xx(inv, ok(inv, [
      ['Record-Route', '<sip:proxy2.example;lr>, <sip:proxy1.example;lr>'],
      ['Contact', '<sip:34020000001320000001@10.0.0.64:5060>'],
    ]));
    expect(d.callId).toBe('call-dlg@192.0.2.10');
    expect(d.localTag).toBe('gw1');
    expect(d.remoteTag).toBe('dev9');
    expect(d.id).toBe('call-dlg@192.0.2.10;gw1;dev9');
    expect(d.localUri).toBe('sip:34020000002000000001@3402000000');
    expect(d.remoteUri).toBe('sip:34020000001320000001@3402000000');
    expect(d.remoteTarget).toBe('sip:34020000001320000001@10.0.0.64:5060');
    expect(d.remoteTargetSource).toBe('contact');
    expect(d.routeSet).toEqual(['<sip:proxy1.example;lr>', '<sip:proxy2.example;lr>']);
    expect(d.localCseq).toBe(20);
  });

  it('with a 2xx without Contact falls back to the INVITE Request-URI as remote target', () => {
    const inv = invite();
    const d = Dialog.fromInvite2xx(inv, ok(inv, []));
    expect(d.remoteTarget).toBe('sip:34020000001320000001@198.51.100.7:5060');
    expect(d.remoteTargetSource).toBe('request-uri');
    expect(d.routeSet).toEqual([]);
  });

  it('with a response to another INVITE (Call-ID, CSeq, From tag) or a non-2xx throws SIP_DIALOG_MISMATCH', () => {
    const inv = invite();
    const otherCall = ok(inv);
    otherCall.headers.set('Call-ID', 'other');
    const otherCseq = ok(inv);
    otherCseq.headers.set('CSeq', '21 INVITE');
    const otherTag = ok(inv);
    otherTag.headers.set('From', '<sip:34020000002000000001@3402000000>;tag=someone-else');
    for (const res of [otherCall, otherCseq, otherTag, createResponse(inv, 486, undefined, { toTag: 'x' })]) {
      expect(() => Dialog.fromInvite2xx(inv, res)).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_MISMATCH' }));
    }
  });
});

describe('Dialog.fromSubscribe2xx() (RFC 6665 §4.1.2.1)', () => {
  const subscribe = () =>
    createRequest({
      method: 'SUBSCRIBE', uri: 'sip:34020000002000000009@198.51.100.7:5060',
      via: { ...VIA, branch: 'z9hG4bKsub1' },
      from: { uri: 'sip:34020000002000000001@3402000000', tag: 'gw2' },
      to: { uri: 'sip:34020000002000000009@3402000000' },
      callId: 'call-sub@192.0.2.10', cseq: 7,
      contact: 'sip:34020000002000000001@192.0.2.10:5060',
      headers: [['Event', 'Catalog'], ['Expires', '3600']],
    });

  it('takes the tags and Contact of the 2xx; a refresh in it is a SUBSCRIBE with the next CSeq, the same Call-ID and both tags', () => {
    const sub = subscribe();
    const d = Dialog.fromSubscribe2xx(sub, createResponse(sub, 200, 'OK', { toTag: 'plat5', headers: [['Contact', '<sip:34020000002000000009@10.0.0.9:5060>'], ['Expires', '3600']] }));
    expect([d.callId, d.localTag, d.remoteTag, d.remoteTarget, d.localCseq]).toEqual(['call-sub@192.0.2.10', 'gw2', 'plat5', 'sip:34020000002000000009@10.0.0.9:5060', 7]);
    const refresh = d.createRequest('SUBSCRIBE', { via: VIA, headers: [['Event', 'Catalog'], ['Expires', '0']] });
    expect(refresh.uri).toBe('sip:34020000002000000009@10.0.0.9:5060');
    expect(refresh.headers.get('CSeq')).toBe('8 SUBSCRIBE');
    expect(refresh.headers.get('Call-ID')).toBe('call-sub@192.0.2.10');
    expect(parseNameAddr(refresh.headers.get('To')!).params['tag']).toBe('plat5');
    expect(parseNameAddr(refresh.headers.get('From')!).params['tag']).toBe('gw2');
  });

  it('an INVITE, a 2xx with another CSeq method or a non-2xx throws SIP_DIALOG_MISMATCH', () => {
    const sub = subscribe();
    const inv = invite();
    const wrongMethod = createResponse(sub, 200, 'OK', { toTag: 'x' });
    wrongMethod.headers.set('CSeq', '7 INVITE');
    expect(() => Dialog.fromSubscribe2xx(inv, ok(inv))).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_MISMATCH' }));
    expect(() => Dialog.fromSubscribe2xx(sub, wrongMethod)).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_MISMATCH' }));
    expect(() => Dialog.fromSubscribe2xx(sub, createResponse(sub, 489, 'Bad Event', { toTag: 'x' }))).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_MISMATCH' }));
    expect(() => Dialog.fromInvite2xx(sub, createResponse(sub, 200, 'OK', { toTag: 'x' }))).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_MISMATCH' }));
  });
});

describe('Dialog requests (RFC 3261 §12.2.1.1, §13.2.2.4)', () => {
  const routed = () => {
    const inv = invite();
    return { inv, d: Dialog.fromInvite2xx(inv, ok(inv, [['Record-Route', '<sip:proxy2.example;lr>, <sip:proxy1.example;lr>'], ['Contact', '<sip:34020000001320000001@10.0.0.64:5060>']])) };
  };

  it('buildAck() goes to the remote target with the Route set, the INVITE CSeq number, method ACK and a new branch', () => {
    const { inv, d } = routed();
    const ack = d.buildAck({ via: VIA });
    expect(ack.method).toBe('ACK');
    expect(ack.uri).toBe('sip:34020000001320000001@10.0.0.64:5060');
    expect(ack.headers.getAll('Route')).toEqual(['<sip:proxy1.example;lr>', '<sip:proxy2.example;lr>']);
    expect(ack.headers.get('CSeq')).toBe('20 ACK');
    expect(ack.headers.get('From')).toBe('<sip:34020000002000000001@3402000000>;tag=gw1');
    expect(ack.headers.get('To')).toBe('<sip:34020000001320000001@3402000000>;tag=dev9');
    expect(ack.headers.get('Call-ID')).toBe('call-dlg@192.0.2.10');
    const branch = parseVia(ack.headers.get('Via')!).params['branch'];
    expect(branch).toMatch(/^z9hG4bK/);
    expect(branch).not.toBe(parseVia(inv.headers.get('Via')!).params['branch']);
    expect(d.localCseq).toBe(20); // the ACK takes no CSeq number of its own
  });

  it('createRequest() BYE then INFO increment the local CSeq and carry tags, remote target, Route set and the caller\'s Via and Contact', () => {
    const { d } = routed();
    const bye = d.createRequest('BYE', { via: { transport: 'TCP', host: '192.0.2.10', port: 5060 }, contact: 'sip:34020000002000000001@192.0.2.10:5060' });
    const info = d.createRequest('INFO', { via: VIA, body: Buffer.from('PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n'), contentType: 'Application/MANSRTSP' });
    expect(bye.uri).toBe('sip:34020000001320000001@10.0.0.64:5060');
    expect(bye.headers.get('CSeq')).toBe('21 BYE');
    expect(info.headers.get('CSeq')).toBe('22 INFO');
    expect(d.localCseq).toBe(22);
    expect(bye.headers.getAll('Route')).toEqual(['<sip:proxy1.example;lr>', '<sip:proxy2.example;lr>']);
    expect(bye.headers.get('Via')).toMatch(/^SIP\/2\.0\/TCP 192\.0\.2\.10:5060;branch=z9hG4bK/);
    expect(bye.headers.get('Contact')).toBe('<sip:34020000002000000001@192.0.2.10:5060>');
    expect(info.headers.get('Content-Type')).toBe('Application/MANSRTSP');
    expect(info.headers.get('To')).toContain('tag=dev9');
    // real bytes: what goes on the wire parses back to the same request
    const back = parseSipMessage(serializeSipMessage(info));
    expect(back.type === 'request' && back.method).toBe('INFO');
    expect(back.body.toString()).toBe('PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n');
  });

  it('createRequest() with a strict router first (no ;lr) puts it in the Request-URI and the remote target last in Route', () => {
    const inv = invite();
    const d = Dialog.fromInvite2xx(inv, ok(inv, [['Record-Route', '<sip:strict.example>'], ['Contact', '<sip:dev@10.0.0.64>']]));
    const bye = d.createRequest('BYE', { via: VIA });
    expect(bye.uri).toBe('sip:strict.example');
    expect(bye.headers.getAll('Route')).toEqual(['<sip:dev@10.0.0.64>']);
  });

  it('createRequest() refuses ACK and CANCEL, which reuse a CSeq number', () => {
    const { d } = routed();
    expect(() => d.createRequest('ACK', { via: VIA })).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_BAD_METHOD' }));
    expect(() => d.createRequest('cancel', { via: VIA })).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_BAD_METHOD' }));
  });
});

describe('buildCancel() (RFC 3261 §9.1)', () => {
  it('copies the INVITE Request-URI, top Via with its branch, Call-ID, From, To and CSeq number, method CANCEL, no body', () => {
    const inv = invite();
    const c = buildCancel(inv);
    expect(c.method).toBe('CANCEL');
    expect(c.uri).toBe(inv.uri);
    expect(c.headers.getAll('Via')).toEqual([inv.headers.get('Via')]);
    for (const h of ['From', 'To', 'Call-ID']) expect(c.headers.get(h)).toBe(inv.headers.get(h));
    expect(c.headers.get('CSeq')).toBe('20 CANCEL');
    expect(c.body.length).toBe(0);
    expect(c.headers.get('Content-Length')).toBe('0');
  });
});

describe('viaSentByOf()', () => {
  it('reads transport, host, port and rport from the top Via', () => {
    const inv = createRequest({
      method: 'INVITE', uri: 'sip:a@b', via: { transport: 'tcp', host: '192.0.2.1', port: 5070, branch: 'z9hG4bKx', rport: true },
      from: { uri: 'sip:c@d', tag: 't' }, to: { uri: 'sip:a@b' }, callId: 'c', cseq: 1,
    });
    expect(viaSentByOf(inv)).toEqual({ transport: 'TCP', host: '192.0.2.1', port: 5070, rport: true });
  });
});

describe('Dialog.fromUasRequest (issue 11: we answer a superior\'s INVITE / SUBSCRIBE)', () => {
  const req = () =>
    parseSipMessage(
      Buffer.from(
        'INVITE sip:34020000001320000001@192.0.2.10:5060 SIP/2.0\r\n' +
          'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKsup1\r\n' +
          'From: <sip:44010000002000000001@4401000000>;tag=suptag\r\n' +
          'To: <sip:34020000001320000001@4402000000>\r\n' +
          'Call-ID: sup-call-1\r\nCSeq: 20 INVITE\r\n' +
          'Contact: <sip:44010000002000000001@198.51.100.7:5060>\r\n' +
          'Record-Route: <sip:proxy1.example;lr>\r\nRecord-Route: <sip:proxy2.example;lr>\r\n' +
          'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
      ),
    ) as SipRequest;

  it('BYE goes to the Contact with our To tag as From tag, their From tag as To tag, Route in order, CSeq from 1', () => {
    const d = Dialog.fromUasRequest(req(), 'ourtag');
    expect(d.id).toBe('sup-call-1;ourtag;suptag');
    const bye = d.createRequest('BYE', { via: { transport: 'UDP', host: '192.0.2.10', port: 5060 } });
    expect(bye.uri).toBe('sip:44010000002000000001@198.51.100.7:5060');
    expect(parseNameAddr(bye.headers.get('From') ?? '').params['tag']).toBe('ourtag');
    expect(parseNameAddr(bye.headers.get('From') ?? '').uri).toBe('sip:34020000001320000001@4402000000');
    expect(parseNameAddr(bye.headers.get('To') ?? '').params['tag']).toBe('suptag');
    expect(bye.headers.getAll('Route')).toEqual(['<sip:proxy1.example;lr>', '<sip:proxy2.example;lr>']);
    expect(bye.headers.get('CSeq')).toBe('1 BYE');
  });

  it('refuses a request without a From tag', () => {
    const r = req();
    r.headers.set('From', '<sip:44010000002000000001@4401000000>');
    expect(() => Dialog.fromUasRequest(r, 'x')).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_MISMATCH' }));
  });
});
