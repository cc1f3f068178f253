import { describe, it, expect, beforeEach } from 'vitest';
import { MAX_SERVER_TRANSACTIONS, SipTransactionManager } from './sip-transaction.manager';
import { FakeScheduler } from '../testing/fake-scheduler';
import { SipMessage, SipRequest, SipResponse } from '../sip-message';
import { createRequest, createResponse } from '../sip-builders';

function request(method: string, branch = 'z9hG4bKtest1'): SipRequest {
  return createRequest({
    method, uri: 'sip:34020000001320000001@192.168.1.64:5060',
    via: { transport: 'UDP', host: '192.0.2.10', port: 5060, branch },
    from: { uri: 'sip:34020000002000000001@3402000000', tag: 'f1' },
    to: { uri: 'sip:34020000001320000001@3402000000' },
    callId: 'call-1', cseq: 1,
  });
}

interface Wire {
  at: number;
  msg: SipMessage;
}

let clock: FakeScheduler;
let mgr: SipTransactionManager;
let wire: Wire[];
const send = (m: SipMessage) => wire.push({ at: clock.now, msg: m });
const sentTimes = (pred: (m: SipMessage) => boolean) => wire.filter((w) => pred(w.msg)).map((w) => w.at);
const isReq = (method: string) => (m: SipMessage) => m.type === 'request' && m.method === method;
const isStatus = (s: number) => (m: SipMessage) => m.type === 'response' && m.status === s;

beforeEach(() => {
  clock = new FakeScheduler();
  mgr = new SipTransactionManager({ scheduler: clock });
  wire = [];
});

describe('client non-INVITE transaction (RFC 3261 §17.1.2)', () => {
  it('over UDP retransmits at 500, 1500, 3500, 7500, 11500... ms (E doubling to T2) and times out with Timer F at 32 s', () => {
    let timeouts = 0;
    mgr.sendRequest(request('MESSAGE'), send, false, { onResponse: () => undefined, onTimeout: () => timeouts++ });
    clock.advanceTo(40000);
    const times = sentTimes(isReq('MESSAGE'));
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    expect(timeouts).toBe(1);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('after a 1xx retransmits every T2, and a final response completes it; Timer K = T4 then terminates', () => {
    const got: number[] = [];
    const req = request('MESSAGE');
    mgr.sendRequest(req, send, false, { onResponse: (r) => got.push(r.status), onTimeout: () => expect.fail('no timeout') });
    clock.advanceTo(600); // one retransmission at 500
    expect(mgr.receiveResponse(createResponse(req, 100))).toBe(true);
    clock.advanceTo(9000);
    expect(sentTimes(isReq('MESSAGE'))).toEqual([0, 500, 1500, 5500]);
    expect(mgr.receiveResponse(createResponse(req, 200, 'OK', { toTag: 't' }))).toBe(true);
    expect(mgr.receiveResponse(createResponse(req, 200, 'OK', { toTag: 't' }))).toBe(true); // absorbed in Completed
    expect(got).toEqual([100, 200]);
    clock.advanceTo(9000 + 4999);
    expect(mgr.size).toBe(1);
    clock.advanceTo(9000 + 5000);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('over TCP never retransmits and terminates at once on the final response', () => {
    const req = request('MESSAGE');
    mgr.sendRequest(req, send, true, { onResponse: () => undefined, onTimeout: () => undefined });
    clock.advanceTo(20000);
    expect(sentTimes(isReq('MESSAGE'))).toEqual([0]);
    mgr.receiveResponse(createResponse(req, 200));
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('receiveResponse() matches by top Via branch and CSeq method only', () => {
    const req = request('MESSAGE');
    mgr.sendRequest(req, send, true, { onResponse: () => undefined, onTimeout: () => undefined });
    expect(mgr.receiveResponse(createResponse(request('MESSAGE', 'z9hG4bKother'), 200))).toBe(false);
    const wrongMethod = createResponse(req, 200);
    wrongMethod.headers.set('CSeq', '1 INFO');
    expect(mgr.receiveResponse(wrongMethod)).toBe(false);
    expect(mgr.size).toBe(1);
  });

  it('refuses a second transaction with the same branch and method', () => {
    mgr.sendRequest(request('MESSAGE'), send, true, { onResponse: () => undefined, onTimeout: () => undefined });
    expect(() => mgr.sendRequest(request('MESSAGE'), send, true, { onResponse: () => undefined, onTimeout: () => undefined })).toThrow(
      expect.objectContaining({ code: 'SIP_TX_EXISTS' }),
    );
  });
});

describe('client INVITE transaction (RFC 3261 §17.1.1)', () => {
  it('over UDP retransmits with Timer A at 500, 1500, 3500, 7500, 15500, 31500 ms and times out with Timer B at 32 s', () => {
    let timeouts = 0;
    mgr.sendRequest(request('INVITE'), send, false, { onResponse: () => undefined, onTimeout: () => timeouts++ });
    clock.advanceTo(32000);
    expect(sentTimes(isReq('INVITE'))).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(timeouts).toBe(1);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a 1xx stops retransmissions; a 486 is ACKed by the transaction, the ACK re-sent for each retransmission, Timer D ends it', () => {
    const inv = request('INVITE');
    const got: number[] = [];
    mgr.sendRequest(inv, send, false, { onResponse: (r) => got.push(r.status), onTimeout: () => expect.fail('no timeout') });
    mgr.receiveResponse(createResponse(inv, 100));
    clock.advanceTo(10000);
    expect(sentTimes(isReq('INVITE'))).toEqual([0]);
    const busy = createResponse(inv, 486, undefined, { toTag: 'dev' });
    mgr.receiveResponse(busy);
    mgr.receiveResponse(busy);
    expect(got).toEqual([100, 486]);
    const acks = wire.filter((w) => isReq('ACK')(w.msg)).map((w) => w.msg as SipRequest);
    expect(acks).toHaveLength(2);
    const ack = acks[0]!;
    expect(ack.uri).toBe(inv.uri);
    expect(ack.headers.get('CSeq')).toBe('1 ACK');
    expect(ack.headers.get('To')).toBe('<sip:34020000001320000001@3402000000>;tag=dev');
    expect(ack.headers.getAll('Via')).toEqual(inv.headers.getAll('Via'));
    expect(ack.headers.get('Call-ID')).toBe('call-1');
    clock.advanceTo(10000 + 31999);
    expect(mgr.size).toBe(1);
    clock.advanceTo(10000 + 32000);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a 2xx goes to the TU (and its retransmissions too, for re-ACK); no ACK from the transaction; Timer M ends it', () => {
    const inv = request('INVITE');
    const got: number[] = [];
    mgr.sendRequest(inv, send, false, { onResponse: (r) => got.push(r.status), onTimeout: () => expect.fail('no timeout') });
    const ok = createResponse(inv, 200, 'OK', { toTag: 'dev' });
    mgr.receiveResponse(ok);
    mgr.receiveResponse(ok);
    expect(got).toEqual([200, 200]);
    expect(sentTimes(isReq('ACK'))).toEqual([]);
    clock.advanceTo(5000);
    expect(sentTimes(isReq('INVITE'))).toEqual([0]);
    clock.advanceTo(32000);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('server non-INVITE transaction (RFC 3261 §17.2.2)', () => {
  it('hands a new request to the TU, absorbs retransmissions by re-sending the last response, and ends with Timer J', () => {
    const req = request('MESSAGE');
    const r1 = mgr.receiveRequest(req, send, false);
    expect(r1).not.toBeNull();
    expect(mgr.receiveRequest(req, send, false)).toBeNull(); // Trying: nothing sent yet
    expect(wire).toHaveLength(0);
    mgr.respond(r1!.tx, createResponse(req, 200, 'OK', { toTag: 'gw' }));
    expect(mgr.receiveRequest(req, send, false)).toBeNull();
    expect(sentTimes(isStatus(200))).toEqual([0, 0]);
    expect((wire[1]!.msg as SipResponse).headers.get('To')).toContain('tag=gw');
    clock.advanceTo(31999);
    expect(mgr.size).toBe(1);
    clock.advanceTo(32000);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
    expect(mgr.receiveRequest(req, send, false)).not.toBeNull(); // after Timer J it is new again
  });

  it('over TCP terminates as soon as the final response is sent', () => {
    const req = request('REGISTER');
    const { tx } = mgr.receiveRequest(req, send, true)!;
    mgr.respond(tx, createResponse(req, 401));
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
    expect(() => mgr.respond(tx, createResponse(req, 200))).toThrow(expect.objectContaining({ code: 'SIP_TX_BAD_STATE' }));
  });

  it('keeps requests with different branches, sent-by or methods apart', () => {
    const a = request('MESSAGE', 'z9hG4bKa');
    expect(mgr.receiveRequest(a, send, false)).not.toBeNull();
    expect(mgr.receiveRequest(request('MESSAGE', 'z9hG4bKb'), send, false)).not.toBeNull();
    const otherHost = request('MESSAGE', 'z9hG4bKa');
    otherHost.headers.set('Via', 'SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKa');
    expect(mgr.receiveRequest(otherHost, send, false)).not.toBeNull();
    expect(mgr.receiveRequest(request('INFO', 'z9hG4bKa'), send, false)).not.toBeNull();
    expect(mgr.size).toBe(4);
  });

  it('matches RFC 2543 requests (no magic cookie) by Call-ID, CSeq, From tag and Via', () => {
    const old = request('MESSAGE', '12345');
    expect(mgr.receiveRequest(old, send, false)).not.toBeNull();
    expect(mgr.receiveRequest(old, send, false)).toBeNull();
    const next = request('MESSAGE', '12345');
    next.headers.set('CSeq', '2 MESSAGE');
    expect(mgr.receiveRequest(next, send, false)).not.toBeNull();
  });
});

describe('server INVITE transaction (RFC 3261 §17.2.1)', () => {
  it('sends 100 Trying, re-sends the last provisional on retransmission, retransmits a 404 with Timer G until the ACK, then Timer I ends it', () => {
    const inv = request('INVITE');
    const { tx } = mgr.receiveRequest(inv, send, false)!;
    expect(sentTimes(isStatus(100))).toEqual([0]);
    expect(mgr.receiveRequest(inv, send, false)).toBeNull();
    expect(sentTimes(isStatus(100))).toEqual([0, 0]);
    clock.advanceTo(1000);
    mgr.respond(tx, createResponse(inv, 404, undefined, { toTag: 'gw' }));
    clock.advanceTo(1000 + 8000);
    expect(sentTimes(isStatus(404)).map((t) => t - 1000)).toEqual([0, 500, 1500, 3500, 7500]);
    expect(mgr.receiveRequest(inv, send, false)).toBeNull(); // INVITE retransmission in Completed
    expect(sentTimes(isStatus(404))).toHaveLength(6);
    const ack = { ...inv, method: 'ACK', headers: inv.headers.clone().set('CSeq', '1 ACK') };
    expect(mgr.receiveRequest(ack, send, false)).toBeNull();
    expect(tx.state).toBe('Confirmed');
    expect(mgr.receiveRequest(ack, send, false)).toBeNull(); // absorbed
    clock.advanceTo(9000 + 4999);
    expect(sentTimes(isStatus(404))).toHaveLength(6);
    expect(mgr.size).toBe(1);
    clock.advanceTo(9000 + 5000);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('without an ACK gives up with Timer H at 64*T1', () => {
    const inv = request('INVITE');
    const { tx } = mgr.receiveRequest(inv, send, false)!;
    mgr.respond(tx, createResponse(inv, 480));
    clock.advanceTo(32000);
    expect(sentTimes(isStatus(480))).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(tx.state).toBe('Terminated');
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('retransmits a 2xx until the ACK (a new transaction, returned to the TU as kind "ack"), and ends with Timer L', () => {
    const inv = request('INVITE');
    const { tx } = mgr.receiveRequest(inv, send, false)!;
    mgr.respond(tx, createResponse(inv, 200, 'OK', { toTag: 'gw' }));
    expect(tx.state).toBe('Accepted');
    clock.advanceTo(2000);
    expect(sentTimes(isStatus(200))).toEqual([0, 500, 1500]);
    const ack = createRequest({
      method: 'ACK', uri: inv.uri, via: { transport: 'UDP', host: '192.0.2.10', port: 5060, branch: 'z9hG4bKack2xx' },
      from: { uri: 'sip:34020000002000000001@3402000000', tag: 'f1' }, to: { uri: 'sip:34020000001320000001@3402000000', tag: 'gw' },
      callId: 'call-1', cseq: 1,
    });
    const r = mgr.receiveRequest(ack, send, false);
    expect(r?.tx.kind).toBe('ack');
    expect(() => mgr.respond(r!.tx, createResponse(ack, 200))).toThrow(expect.objectContaining({ code: 'SIP_TX_BAD_STATE' }));
    clock.advanceTo(20000);
    expect(sentTimes(isStatus(200))).toEqual([0, 500, 1500]);
    expect(mgr.receiveRequest(inv, send, false)).toBeNull(); // INVITE retransmission absorbed in Accepted
    clock.advanceTo(32000);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('over TCP sends no retransmissions and a non-2xx ACK terminates at once', () => {
    const inv = request('INVITE');
    const { tx } = mgr.receiveRequest(inv, send, true)!;
    mgr.respond(tx, createResponse(inv, 603));
    clock.advanceTo(10000);
    expect(sentTimes(isStatus(603))).toEqual([0]);
    mgr.receiveRequest({ ...inv, method: 'ACK', headers: inv.headers.clone().set('CSeq', '1 ACK') }, send, true);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('SipTransactionManager.close()', () => {
  it('clears every timer of every transaction, is idempotent, and refuses new work', () => {
    mgr.sendRequest(request('INVITE', 'z9hG4bK1'), send, false, { onResponse: () => undefined, onTimeout: () => undefined });
    mgr.sendRequest(request('MESSAGE', 'z9hG4bK2'), send, false, { onResponse: () => undefined, onTimeout: () => undefined });
    const inv = request('INVITE', 'z9hG4bK3');
    const { tx } = mgr.receiveRequest(inv, send, false)!;
    mgr.respond(tx, createResponse(inv, 500));
    expect(clock.pending).toBeGreaterThan(0);
    mgr.close();
    mgr.close();
    expect(clock.pending).toBe(0);
    expect(mgr.size).toBe(0);
    expect(() => mgr.receiveRequest(request('MESSAGE'), send, false)).toThrow(expect.objectContaining({ code: 'SIP_TX_CLOSED' }));
  });
});

describe('server transaction cap and stateless answers (issue #16: floods)', () => {
  it('at maxServerTransactions answers a new request 503 with Retry-After statelessly and keeps nothing; retransmissions of live ones still match', () => {
    const capped = new SipTransactionManager({ scheduler: clock, maxServerTransactions: 2, overloadRetryAfterS: 7 });
    const a = request('MESSAGE', 'z9hG4bKa');
    expect(capped.receiveRequest(a, send, false)).not.toBeNull();
    expect(capped.receiveRequest(request('MESSAGE', 'z9hG4bKb'), send, false)).not.toBeNull();
    expect(capped.receiveRequest(request('REGISTER', 'z9hG4bKc'), send, false)).toBeNull();
    expect(capped.receiveRequest(request('INVITE', 'z9hG4bKd'), send, false)).toBeNull();
    expect(wire.map((w) => (w.msg as SipResponse).status)).toEqual([503, 503]);
    expect((wire[0]!.msg as SipResponse).headers.get('Retry-After')).toBe('7');
    expect(capped.receiveRequest(a, send, false)).toBeNull(); // a retransmission of a live one is absorbed, not refused
    expect(wire).toHaveLength(2);
    expect(capped.stats).toEqual({ serverTransactions: 2, clientTransactions: 0, statelessResponses: 2, capHits: 2, dropped: 0 });
    expect(capped.size).toBe(2);
  });

  it('MAX_SERVER_TRANSACTIONS, the default cap, holds the legitimate registration rate', () => {
    expect(MAX_SERVER_TRANSACTIONS).toBeGreaterThanOrEqual(96_000); // 3,000 requests/s kept 32 s (Timer J)
  });

  it('respondStateless() sends a 401 and drops the transaction at once, so no timer is left and a retransmission is new again', () => {
    const reg = request('REGISTER');
    const { tx } = mgr.receiveRequest(reg, send, false)!;
    mgr.respondStateless(tx, createResponse(reg, 401, undefined, { toTag: 'gw' }));
    expect(sentTimes(isStatus(401))).toEqual([0]);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
    expect(mgr.stats.statelessResponses).toBe(1);
    expect(mgr.receiveRequest(reg, send, false)).not.toBeNull();
  });

  it('respondStateless() refuses a provisional, an INVITE 2xx and a second answer', () => {
    const reg = request('REGISTER');
    const { tx } = mgr.receiveRequest(reg, send, false)!;
    expect(() => mgr.respondStateless(tx, createResponse(reg, 100))).toThrow(expect.objectContaining({ code: 'SIP_TX_BAD_STATE' }));
    const inv = request('INVITE', 'z9hG4bKinv');
    const { tx: itx } = mgr.receiveRequest(inv, send, false)!;
    expect(() => mgr.respondStateless(itx, createResponse(inv, 200))).toThrow(expect.objectContaining({ code: 'SIP_TX_BAD_STATE' }));
    mgr.respondStateless(tx, createResponse(reg, 403));
    expect(() => mgr.respondStateless(tx, createResponse(reg, 403))).toThrow(expect.objectContaining({ code: 'SIP_TX_BAD_STATE' }));
  });
});

describe('SipTransactionManager.terminateClient()', () => {
  it('ends a client INVITE transaction now, clears its timers and tells its handlers onTerminated', () => {
    let ended = 0;
    const tx = mgr.sendRequest(request('INVITE'), send, false, { onResponse: () => undefined, onTimeout: () => expect.fail('no timeout'), onTerminated: () => ended++ });
    mgr.terminateClient(tx);
    mgr.terminateClient(tx);
    expect(tx.state).toBe('Terminated');
    expect(ended).toBe(1);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
