import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRequest, createResponse, parseSipMessage, serializeSipMessage, type SipMessage, type SipRequest, type SipResponse } from '@gb/gb28181';
import { FakeScheduler } from '../../../../libs/gb28181/src/sip/testing/fake-scheduler';
import { SipEndpoint, type IncomingRequest, type SipEndpointTransport } from './sip-endpoint';
import type { SipFlow } from './sip-flow';

/** An in-memory transport: what the endpoint sends is kept as bytes with the flow it went to; the test injects what peers send. */
class FakeTransport extends EventEmitter implements SipEndpointTransport {
  readonly port = 5060;
  readonly wire: { msg: SipMessage; flow: SipFlow }[] = [];
  send(msg: SipMessage, flow: SipFlow): void {
    this.wire.push({ msg: parseSipMessage(serializeSipMessage(msg)), flow: { ...flow } }); // real bytes, both ways
  }
  deliver(msg: SipMessage, flow: SipFlow): void {
    this.emit('message', parseSipMessage(serializeSipMessage(msg)), flow);
  }
  requests(method: string): { req: SipRequest; flow: SipFlow }[] {
    return this.wire.filter((w) => w.msg.type === 'request' && w.msg.method === method).map((w) => ({ req: w.msg as SipRequest, flow: w.flow }));
  }
  responses(): SipResponse[] {
    return this.wire.filter((w) => w.msg.type === 'response').map((w) => w.msg as SipResponse);
  }
}

/** The flow the device registered from: its public NAT address, not the private one in its Contact. */
const REGISTERED: SipFlow = { transport: 'udp', remoteHost: '203.0.113.5', remotePort: 40000, localHost: '192.0.2.10', localPort: 5060 };
const PRIVATE_CONTACT = '<sip:34020000001320000001@10.0.0.64:5060>';
const T1 = 500;

let clock: FakeScheduler;
let transport: FakeTransport;
let endpoint: SipEndpoint;

function invite(): SipRequest {
  return createRequest({
    method: 'INVITE', uri: 'sip:34020000001320000001@203.0.113.5:40000',
    via: { transport: 'UDP', host: '192.0.2.10', port: 5060, branch: 'z9hG4bKepinv' },
    from: { uri: 'sip:34020000002000000001@3402000000', tag: 'gwtag' },
    to: { uri: 'sip:34020000001320000001@3402000000' },
    callId: 'ep-call@192.0.2.10', cseq: 3,
    body: Buffer.from('v=0\r\n'), contentType: 'APPLICATION/SDP',
  });
}

function answer(inv: SipRequest, status: number): SipResponse {
  return createResponse(inv, status, undefined, { toTag: 'devtag', headers: status === 200 ? [['Contact', PRIVATE_CONTACT]] : [] });
}

function message(branch: string, method = 'MESSAGE'): SipRequest {
  return createRequest({
    method, uri: 'sip:34020000002000000001@3402000000',
    via: { transport: 'UDP', host: '10.0.0.64', port: 5060, branch },
    from: { uri: 'sip:34020000001320000001@3402000000', tag: 'd' }, to: { uri: 'sip:34020000002000000001@3402000000' },
    callId: `c-${branch}`, cseq: 1,
  });
}

beforeEach(() => {
  clock = new FakeScheduler();
  transport = new FakeTransport();
  endpoint = new SipEndpoint(transport, clock);
});

describe('SipEndpoint.invite()', () => {
  it('with a 100 Trying and no final answer sends CANCEL on the wire to the flow at the answer timeout', async () => {
    const inv = invite();
    const result = endpoint.invite(inv, REGISTERED, { answerTimeoutMs: 4000 }).start();
    transport.deliver(answer(inv, 100), REGISTERED);
    clock.advanceTo(3999);
    expect(transport.requests('CANCEL')).toHaveLength(0);
    clock.advanceTo(4000);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    const [cancel] = transport.requests('CANCEL');
    expect(cancel!.flow).toEqual(REGISTERED);
    expect(cancel!.req.uri).toBe(inv.uri);
    expect(cancel!.req.headers.get('Via')).toBe(inv.headers.get('Via'));
  });

  it('with a 2xx after the CANCEL sends ACK then BYE on the wire to the flow given; the endpoint reports it', async () => {
    const events: string[] = [];
    endpoint.onInviteEvent = (e) => events.push(e.type);
    const inv = invite();
    const result = endpoint.invite(inv, REGISTERED, { answerTimeoutMs: 4000 }).start();
    transport.deliver(answer(inv, 180), REGISTERED);
    clock.advanceTo(4000);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    transport.deliver(createResponse(transport.requests('CANCEL')[0]!.req, 200), REGISTERED);
    transport.deliver(answer(inv, 200), REGISTERED);
    const order = transport.wire.filter((w) => w.msg.type === 'request' && (w.msg.method === 'ACK' || w.msg.method === 'BYE'));
    expect(order.map((w) => (w.msg as SipRequest).method)).toEqual(['ACK', 'BYE']);
    for (const w of order) {
      expect(w.flow).toEqual(REGISTERED);
      expect((w.msg as SipRequest).uri).toBe('sip:34020000001320000001@10.0.0.64:5060'); // §12.2.1.1: remote target
    }
    expect(events).toEqual(expect.arrayContaining(['cancel-sent', 'late-2xx-ack-bye']));
  });

  it('with a 2xx after Timer B ended the INVITE transaction routes it to the AbandonedInvites registry: ACK + BYE', async () => {
    const inv = invite();
    const result = endpoint.invite(inv, REGISTERED, { answerTimeoutMs: 60_000 }).start();
    clock.advanceTo(64 * T1);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    expect(endpoint.transactions.size).toBe(0);
    expect(endpoint.stats.abandonedInvites).toBe(1);
    transport.deliver(answer(inv, 200), REGISTERED);
    expect(transport.requests('ACK').map((r) => r.flow)).toEqual([REGISTERED]);
    expect(transport.requests('BYE').map((r) => r.flow)).toEqual([REGISTERED]);
    expect(endpoint.stats.strayResponses).toBe(0);
  });
});

describe('SipEndpoint.sendInDialog()', () => {
  it('sends the BYE built from the Dialog with the remote target as Request-URI over the registered flow, not to the Contact address', async () => {
    const inv = invite();
    const pending = endpoint.invite(inv, REGISTERED, { answerTimeoutMs: 4000 }).start();
    transport.deliver(answer(inv, 200), REGISTERED);
    const { dialog } = await pending;
    const bye = endpoint.sendInDialog(dialog, 'BYE', REGISTERED, { contact: '<sip:34020000002000000001@192.0.2.10:5060>' });
    const [sent] = transport.requests('BYE');
    expect(sent!.req.uri).toBe('sip:34020000001320000001@10.0.0.64:5060');
    expect(sent!.flow).toEqual(REGISTERED);
    expect(sent!.req.headers.get('Via')).toMatch(/^SIP\/2\.0\/UDP 192\.0\.2\.10:5060;branch=z9hG4bK/);
    expect(sent!.req.headers.get('CSeq')).toBe('4 BYE');
    expect(sent!.req.headers.get('To')).toBe('<sip:34020000001320000001@3402000000>;tag=devtag');
    transport.deliver(createResponse(sent!.req, 200), REGISTERED);
    await expect(bye).resolves.toMatchObject({ status: 200 });
  });
});

describe('SipEndpoint server side (issue #16: floods)', () => {
  it('past maxServerTransactions answers a new request 503 with Retry-After statelessly, without calling the handler', () => {
    transport = new FakeTransport();
    endpoint = new SipEndpoint(transport, clock, { maxServerTransactions: 1 });
    const seen: string[] = [];
    endpoint.on('MESSAGE', ({ req }) => void seen.push(req.headers.get('Call-ID')!)); // never answers: the transaction stays
    transport.deliver(message('z9hG4bKm1'), REGISTERED);
    transport.deliver(message('z9hG4bKm2'), REGISTERED);
    expect(seen).toEqual(['c-z9hG4bKm1']);
    const [busy] = transport.responses();
    expect(busy!.status).toBe(503);
    expect(busy!.headers.get('Retry-After')).toBeDefined();
    expect(endpoint.stats).toMatchObject({ serverTransactions: 1, capHits: 1, statelessResponses: 1 });
  });

  it('respondStateless() sends the 401 and keeps no transaction; the retransmitted REGISTER reaches the handler again', () => {
    const calls: IncomingRequest[] = [];
    endpoint.on('REGISTER', (r) => {
      calls.push(r);
      r.respondStateless!(401, 'Unauthorized', { headers: [['WWW-Authenticate', 'Digest realm="3402000000", nonce="n", algorithm=MD5']] });
    });
    const reg = message('z9hG4bKr1', 'REGISTER');
    transport.deliver(reg, REGISTERED);
    expect(transport.responses().map((r) => r.status)).toEqual([401]);
    expect(endpoint.transactions.size).toBe(0);
    expect(clock.pending).toBe(0);
    transport.deliver(reg, REGISTERED);
    expect(calls).toHaveLength(2);
    expect(endpoint.stats.statelessResponses).toBe(2);
  });

  it('drop() sends nothing and keeps no transaction, so 10,000 dropped requests never reach the cap and a device still gets its 200', () => {
    transport = new FakeTransport();
    endpoint = new SipEndpoint(transport, clock, { maxServerTransactions: 100 });
    endpoint.on('REGISTER', (r) => (r.req.headers.get('Call-ID') === 'c-z9hG4bKok' ? r.respond(200) : r.drop!()));
    for (let i = 0; i < 10_000; i++) transport.deliver(message(`z9hG4bKf${i}`, 'REGISTER'), REGISTERED);
    expect(transport.responses()).toEqual([]);
    expect(endpoint.stats).toMatchObject({ serverTransactions: 0, dropped: 10_000, capHits: 0 });
    transport.deliver(message('z9hG4bKok', 'REGISTER'), REGISTERED);
    expect(transport.responses().map((r) => r.status)).toEqual([200]);
  });

  it('respond() still keeps the transaction (Timer J) and absorbs the retransmission', () => {
    endpoint.on('MESSAGE', (r) => r.respond(200));
    const m = message('z9hG4bKk1');
    transport.deliver(m, REGISTERED);
    transport.deliver(m, REGISTERED);
    expect(transport.responses().map((r) => r.status)).toEqual([200, 200]);
    expect(endpoint.transactions.size).toBe(1);
  });
});

describe('SipEndpoint.close()', () => {
  it('closes the abandoned-INVITE registry and every transaction: no timer is left, twice is fine', async () => {
    const inv = invite();
    const result = endpoint.invite(inv, REGISTERED, { answerTimeoutMs: 4000 }).start();
    transport.deliver(answer(inv, 100), REGISTERED);
    clock.advanceTo(4000);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    expect(clock.pending).toBeGreaterThan(0);
    endpoint.close();
    endpoint.close();
    expect(clock.pending).toBe(0);
    expect(endpoint.stats).toMatchObject({ abandonedInvites: 0, serverTransactions: 0, clientTransactions: 0 });
    expect(() => endpoint.invite(invite(), REGISTERED, { answerTimeoutMs: 1000 })).toThrow(/closed/);
  });

  it('stopRequests() (the first step of a shutdown): requests are dropped unanswered, a late 2xx to an INVITE given up on is still ACKed and BYEd', async () => {
    let handled = 0;
    endpoint.on('MESSAGE', (r) => {
      handled++;
      r.respond(200);
    });
    const inv = invite();
    const result = endpoint.invite(inv, REGISTERED, { answerTimeoutMs: 4000 }).start();
    transport.deliver(answer(inv, 100), REGISTERED);
    clock.advanceTo(4000);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    endpoint.stopRequests();
    transport.deliver(message('z9hG4bKstop1'), REGISTERED);
    transport.emit('badRequest', message('z9hG4bKstop2'), REGISTERED, 'SIP_BAD_HEADER');
    expect(handled).toBe(0);
    expect(transport.responses()).toEqual([]);
    transport.deliver(answer(inv, 200), REGISTERED);
    expect(transport.requests('ACK').map((r) => r.flow)).toEqual([REGISTERED]);
    expect(transport.requests('BYE').map((r) => r.flow)).toEqual([REGISTERED]);
    endpoint.close();
    expect(clock.pending).toBe(0);
  });
});

describe('interceptors (issue 11: a superior platform\'s requests are claimed before the device handlers)', () => {
  it('a claiming interceptor answers and the handler never sees the request; a declining one passes it on', () => {
    const handled: string[] = [];
    endpoint.on('MESSAGE', (r) => {
      handled.push(r.req.headers.get('call-id') ?? '');
      r.respond(200);
    });
    endpoint.intercept('MESSAGE', (r) => {
      if (r.req.headers.get('call-id') !== 'c-claimed') return false;
      r.respond(202, 'Taken');
      return true;
    });
    transport.deliver(message('claimed'), REGISTERED);
    transport.deliver(message('other'), REGISTERED);
    expect(handled).toEqual(['c-other']);
    expect(transport.responses().map((r) => r.status)).toEqual([202, 200]);
  });

  it('a method with only an interceptor: unclaimed requests get 405 whose Allow names it; a throwing interceptor gives 500', () => {
    endpoint.intercept('SUBSCRIBE', () => false);
    endpoint.intercept('INFO', () => {
      throw new Error('boom');
    });
    transport.deliver(message('s1', 'SUBSCRIBE'), REGISTERED);
    transport.deliver(message('i1', 'INFO'), REGISTERED);
    const [sub, info] = transport.responses();
    expect(sub.status).toBe(405);
    expect(sub.headers.get('allow')).toContain('SUBSCRIBE');
    expect(info.status).toBe(500);
  });
});
