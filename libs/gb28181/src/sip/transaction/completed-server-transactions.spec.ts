import { describe, it, expect, beforeEach } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SipTransactionManager } from './sip-transaction.manager';
import { TimerJBuckets, CompletedServerTransaction } from './completed-server-transactions';
import { FakeScheduler } from '../testing/fake-scheduler';
import { SipMessage, SipRequest, SipResponse } from '../sip-message';
import { createRequest, createResponse } from '../sip-builders';
import { serializeSipMessage } from '../sip-serializer';

function keepalive(branch = 'z9hG4bKka1', port = 5060): SipRequest {
  return createRequest({
    method: 'MESSAGE', uri: 'sip:34020000002000000001@3402000000',
    via: { transport: 'UDP', host: '192.0.2.10', port, branch },
    from: { uri: 'sip:34020000001320000001@3402000000', tag: 'f1' },
    to: { uri: 'sip:34020000002000000001@3402000000' },
    callId: `call-${branch}`, cseq: 20,
    body: Buffer.from('<?xml version="1.0"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>1</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n'),
    contentType: 'Application/MANSCDP+xml',
  });
}

let clock: FakeScheduler;
let mgr: SipTransactionManager;
let wire: { at: number; via: string; msg: SipMessage }[];
const sendVia = (via: string) => (m: SipMessage) => wire.push({ at: clock.now, via, msg: m });
const send = sendVia('first');

/** Receives `req` over UDP and answers it `status` at the current time. */
function answer(req: SipRequest, status = 200): SipResponse {
  const { tx } = mgr.receiveRequest(req, send, false)!;
  const res = createResponse(req, status, undefined, { toTag: 'gw' });
  mgr.respond(tx, res);
  return res;
}

beforeEach(() => {
  clock = new FakeScheduler();
  mgr = new SipTransactionManager({ scheduler: clock });
  wire = [];
});

describe('non-INVITE server transaction in Completed over UDP, kept as a compact record (RFC 3261 §17.2.2, issue 14)', () => {
  it('answers each retransmission with the same response object and bytes, through the send of the retransmission', () => {
    const req = keepalive();
    const res = answer(req);
    clock.advanceTo(5000);
    expect(mgr.receiveRequest(req, sendVia('second'), false)).toBeNull();
    expect(mgr.receiveRequest(req, sendVia('third'), false)).toBeNull();
    expect(wire.map((w) => [w.at, w.via])).toEqual([[0, 'first'], [5000, 'second'], [5000, 'third']]);
    expect(wire.every((w) => w.msg === res)).toBe(true); // the transport counts a re-sent object as a retransmission
    expect(serializeSipMessage(wire[2]!.msg).equals(serializeSipMessage(wire[0]!.msg))).toBe(true);
  });

  it('keeps neither the parsed request nor the transaction object nor the first send once the final response is sent', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs = ((): { req: WeakRef<object>; tx: WeakRef<object>; send: WeakRef<object>; res: WeakRef<object> } => {
      const req = keepalive();
      const firstSend = (m: SipMessage) => wire.push({ at: clock.now, via: 'gone', msg: m });
      const { tx } = mgr.receiveRequest(req, firstSend, false)!;
      const res = createResponse(req, 200, undefined, { toTag: 'gw' });
      mgr.respond(tx, res);
      return { req: new WeakRef(req), tx: new WeakRef(tx), send: new WeakRef(firstSend), res: new WeakRef(res) };
    })();
    await new Promise((r) => setImmediate(r)); // WeakRef targets are held until the end of the job that made them
    gc();
    expect(refs.req.deref()).toBeUndefined();
    expect(refs.tx.deref()).toBeUndefined();
    expect(refs.send.deref()).toBeUndefined();
    expect(refs.res.deref()).toBeDefined(); // what a retransmission needs
    expect(mgr.receiveRequest(keepalive(), send, false)).toBeNull();
    expect(wire.at(-1)!.msg).toBe(refs.res.deref());
  });

  it('ends with Timer J: 64*T1 after the final response, never earlier, each completion timed from its own response', () => {
    const a = keepalive('z9hG4bKa');
    const b = keepalive('z9hG4bKb');
    const c = keepalive('z9hG4bKc');
    const { tx: txA } = mgr.receiveRequest(a, send, false)!;
    mgr.respond(txA, createResponse(a, 200, undefined, { toTag: 'gw' }));
    answer(b, 403); // same instant, same bucket
    clock.advanceTo(100);
    answer(c);
    expect(mgr.stats.serverTransactions).toBe(3);
    clock.advanceTo(31_999);
    expect(mgr.size).toBe(3);
    expect(txA.state).toBe('Completed');
    clock.advanceTo(32_000);
    expect(mgr.size).toBe(1);
    expect(txA.state).toBe('Terminated');
    expect(mgr.receiveRequest(a, send, false)).not.toBeNull(); // after Timer J the request is new again
    clock.advanceTo(32_099);
    expect(mgr.receiveRequest(c, send, false)).toBeNull(); // still answered: 64*T1 after its own response
    expect((wire.at(-1)!.msg as SipResponse).status).toBe(200);
    clock.advanceTo(32_100);
    expect(mgr.stats.serverTransactions).toBe(1); // the new `a` only, in Trying
    expect(mgr.receiveRequest(c, send, false)).not.toBeNull();
  });

  it('uses the T1 it was given: Timer J is 64*T1', () => {
    const fast = new SipTransactionManager({ scheduler: clock, timers: { T1: 10 } });
    const req = keepalive();
    const { tx } = fast.receiveRequest(req, send, false)!;
    fast.respond(tx, createResponse(req, 200));
    clock.advanceTo(639);
    expect(fast.size).toBe(1);
    clock.advanceTo(640);
    expect(fast.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('counts against maxServerTransactions until Timer J: a new request is refused 503, a retransmission still gets its 200', () => {
    const capped = new SipTransactionManager({ scheduler: clock, maxServerTransactions: 2 });
    const a = keepalive('z9hG4bKa');
    const b = keepalive('z9hG4bKb');
    for (const req of [a, b]) {
      const { tx } = capped.receiveRequest(req, send, false)!;
      capped.respond(tx, createResponse(req, 200, undefined, { toTag: 'gw' }));
    }
    expect(capped.receiveRequest(keepalive('z9hG4bKc'), send, false)).toBeNull();
    expect(capped.receiveRequest(a, send, false)).toBeNull();
    expect(wire.map((w) => (w.msg as SipResponse).status)).toEqual([200, 200, 503, 200]);
    expect(capped.stats).toEqual({ serverTransactions: 2, clientTransactions: 0, statelessResponses: 1, capHits: 1, dropped: 0 });
    clock.advanceTo(32_000);
    expect(capped.stats.serverTransactions).toBe(0);
    expect(capped.receiveRequest(keepalive('z9hG4bKc'), send, false)).not.toBeNull();
  });

  it('refuses a second final response and leaves drop() and respondStateless() without effect', () => {
    const req = keepalive();
    const { tx } = mgr.receiveRequest(req, send, false)!;
    mgr.respond(tx, createResponse(req, 200, undefined, { toTag: 'gw' }));
    expect(() => mgr.respond(tx, createResponse(req, 500))).toThrow(expect.objectContaining({ code: 'SIP_TX_BAD_STATE' }));
    expect(() => mgr.respondStateless(tx, createResponse(req, 403))).toThrow(expect.objectContaining({ code: 'SIP_TX_BAD_STATE' }));
    mgr.drop(tx);
    expect(mgr.stats).toMatchObject({ serverTransactions: 1, dropped: 0, statelessResponses: 0 });
    expect(mgr.receiveRequest(req, send, false)).toBeNull();
    expect(wire).toHaveLength(2);
  });

  it('after a provisional, a retransmission gets the provisional; after the final, the final', () => {
    const req = keepalive();
    const { tx } = mgr.receiveRequest(req, send, false)!;
    mgr.respond(tx, createResponse(req, 100));
    mgr.receiveRequest(req, send, false);
    mgr.respond(tx, createResponse(req, 200, undefined, { toTag: 'gw' }));
    mgr.receiveRequest(req, send, false);
    expect(wire.map((w) => (w.msg as SipResponse).status)).toEqual([100, 100, 200, 200]);
  });

  it('close() ends the records too: no timer left, the transactions report Terminated', () => {
    const req = keepalive();
    const { tx } = mgr.receiveRequest(req, send, false)!;
    mgr.respond(tx, createResponse(req, 200));
    clock.advanceTo(10); // the bucket closed, its Timer J pending
    expect(clock.pending).toBe(1);
    mgr.close();
    expect(clock.pending).toBe(0);
    expect(mgr.size).toBe(0);
    expect(tx.state).toBe('Terminated');
  });

  it('a burst of completions in one turn costs one closing timer and one Timer J, not one timer each', () => {
    for (let i = 0; i < 1000; i++) answer(keepalive(`z9hG4bKburst${i}`));
    expect(clock.pending).toBe(1);
    clock.advanceTo(1);
    expect(clock.pending).toBe(1);
    expect(mgr.size).toBe(1000);
    clock.advanceTo(32_000);
    expect(mgr.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('TimerJBuckets', () => {
  it('expires records in completion order, a bucket per scheduler turn, each no earlier than its duration', () => {
    const expired: [number, string][] = [];
    const q = new TimerJBuckets(clock, 1000, (r) => expired.push([clock.now, r.id]));
    const rec = (id: string) => new CompletedServerTransaction(id, createResponse(keepalive(), 200));
    q.add(rec('a'));
    q.add(rec('b'));
    clock.advanceTo(300);
    q.add(rec('c'));
    clock.advanceTo(999);
    expect(expired).toEqual([]);
    expect(q.pendingTimers).toBe(2);
    clock.advanceTo(5000);
    expect(expired).toEqual([[1000, 'a'], [1000, 'b'], [1300, 'c']]);
    expect(q.pendingTimers).toBe(0);
  });

  it('clear() cancels the open bucket and every pending expiry', () => {
    const expired: string[] = [];
    const q = new TimerJBuckets(clock, 1000, (r) => expired.push(r.id));
    q.add(new CompletedServerTransaction('a', createResponse(keepalive(), 200)));
    clock.advanceTo(10);
    q.add(new CompletedServerTransaction('b', createResponse(keepalive(), 200)));
    q.clear();
    expect(clock.pending).toBe(0);
    clock.advanceTo(5000);
    expect(expired).toEqual([]);
  });
});
