import { beforeEach, describe, expect, it } from 'vitest';
import { StreamFailure } from '../../errors';
import { createRequest, createResponse } from '../sip-builders';
import { parseVia } from '../sip-header-values';
import type { SipMessage, SipRequest, SipResponse } from '../sip-message';
import { FakeScheduler } from '../testing/fake-scheduler';
import { SipTransactionManager } from '../transaction/sip-transaction.manager';
import { ABANDONED_INVITE_LINGER_MS, AbandonedInvites } from './abandoned-invites';
import type { InviteUsageEvent } from './invite-events';
import { InviteClientUsage, type InviteClientUsageOptions } from './invite-client.usage';

const T1 = 500;
const ANSWER_TIMEOUT = 8000;
const DEVICE_CONTACT = '<sip:34020000001320000001@10.0.0.64:5060>';

let clock: FakeScheduler;
let mgr: SipTransactionManager;
let registry: AbandonedInvites;
let wire: { at: number; msg: SipMessage }[];
let events: InviteUsageEvent[];
const send = (m: SipMessage) => wire.push({ at: clock.now, msg: m });
const requests = (method: string) => wire.filter((w) => w.msg.type === 'request' && w.msg.method === method).map((w) => w.msg as SipRequest);
const times = (method: string) => wire.filter((w) => w.msg.type === 'request' && w.msg.method === method).map((w) => w.at);
const branchOf = (r: SipRequest) => parseVia(r.headers.get('Via')!).params['branch'];

function invite(): SipRequest {
  return createRequest({
    method: 'INVITE', uri: 'sip:34020000001320000001@198.51.100.7:5060',
    via: { transport: 'UDP', host: '192.0.2.10', port: 5060, branch: 'z9hG4bKinv' },
    from: { uri: 'sip:34020000002000000001@3402000000', tag: 'gw1' },
    to: { uri: 'sip:34020000001320000001@3402000000' },
    callId: 'call-usage', cseq: 7,
    body: Buffer.from('v=0\r\n'), contentType: 'APPLICATION/SDP',
  });
}

/** What the device sends back for the INVITE. */
function answer(inv: SipRequest, status: number, toTag = 'dev1'): SipResponse {
  return createResponse(inv, status, undefined, { toTag, headers: status >= 200 && status < 300 ? [['Contact', DEVICE_CONTACT]] : [] });
}

function start(over: Partial<InviteClientUsageOptions> = {}) {
  const inv = invite();
  const usage = new InviteClientUsage(inv, {
    transactions: mgr, send, reliable: false, scheduler: clock, answerTimeoutMs: ANSWER_TIMEOUT, abandonedInvites: registry,
    onEvent: (e) => events.push(e), ...over,
  });
  const result = usage.start();
  return { inv, usage, result };
}

/** Lets every timer run out, then checks that nothing is left anywhere. */
function expectNothingLeft(): void {
  clock.advanceBy(ABANDONED_INVITE_LINGER_MS + 64 * T1);
  expect(mgr.size).toBe(0);
  expect(registry.size).toBe(0);
  expect(clock.pending).toBe(0);
}

beforeEach(() => {
  clock = new FakeScheduler();
  mgr = new SipTransactionManager({ scheduler: clock });
  registry = new AbandonedInvites({ transactions: mgr, scheduler: clock });
  wire = [];
  events = [];
});

describe('InviteClientUsage answered in time', () => {
  it('with a 2xx resolves with the dialog, sends the ACK to the Contact, and re-sends the same ACK for each retransmitted 2xx', async () => {
    const { inv, result, usage } = start();
    clock.advanceTo(300);
    mgr.receiveResponse(answer(inv, 180));
    const ok = answer(inv, 200);
    mgr.receiveResponse(ok);
    const { dialog, response } = await result;
    expect(response).toBe(ok);
    expect(usage.state).toBe('established');
    expect(dialog.remoteTag).toBe('dev1');
    expect(dialog.remoteTarget).toBe('sip:34020000001320000001@10.0.0.64:5060');
    const [ack] = requests('ACK');
    expect(ack!.uri).toBe('sip:34020000001320000001@10.0.0.64:5060');
    expect(ack!.headers.get('CSeq')).toBe('7 ACK');
    mgr.receiveResponse(ok);
    mgr.receiveResponse(ok);
    expect(requests('ACK')).toHaveLength(3);
    expect(new Set(requests('ACK').map(branchOf)).size).toBe(1);
    expect(requests('BYE')).toHaveLength(0);
    expect(requests('CANCEL')).toHaveLength(0);
    expect(events.filter((e) => e.type === 'ack-resent')).toHaveLength(2);
    clock.advanceTo(ANSWER_TIMEOUT + 1); // the answer timeout was cleared: nothing happens
    expect(requests('CANCEL')).toHaveLength(0);
    expectNothingLeft();
  });

  it('with a 486 rejects DEVICE_REFUSED with sipStatus 486; the transaction ACKs it and nothing is left', async () => {
    const { inv, result } = start();
    mgr.receiveResponse(answer(inv, 100));
    mgr.receiveResponse(answer(inv, 486));
    const e = await result.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StreamFailure);
    expect(e).toMatchObject({ code: 'DEVICE_REFUSED', sipStatus: 486 });
    expect(requests('ACK')).toHaveLength(1);
    expect(requests('ACK')[0]!.headers.get('CSeq')).toBe('7 ACK');
    expect(requests('CANCEL')).toHaveLength(0);
    expectNothingLeft();
  });

  it('with a second forked 2xx after the first keeps the first dialog and sends the fork its own ACK and a BYE', async () => {
    const { inv, result } = start();
    mgr.receiveResponse(answer(inv, 200, 'dev1'));
    const { dialog } = await result;
    mgr.receiveResponse(answer(inv, 200, 'dev2'));
    mgr.receiveResponse(answer(inv, 200, 'dev2'));
    mgr.receiveResponse(answer(inv, 200, 'dev1'));
    const byes = requests('BYE');
    expect(byes).toHaveLength(1);
    expect(byes[0]!.headers.get('To')).toContain('tag=dev2');
    expect(requests('ACK').map((a) => a.headers.get('To')!.split('tag=')[1])).toEqual(['dev1', 'dev2', 'dev2', 'dev1']);
    expect(dialog.remoteTag).toBe('dev1');
    expectNothingLeft();
  });
});

describe('InviteClientUsage giving up', () => {
  it('with a 180 before the answer timeout sends CANCEL at the timeout, rejects DEVICE_NO_ANSWER, and after the 487 nothing is left', async () => {
    const { inv, result, usage } = start();
    clock.advanceTo(200);
    mgr.receiveResponse(answer(inv, 180));
    clock.advanceTo(ANSWER_TIMEOUT - 1);
    expect(requests('CANCEL')).toHaveLength(0);
    clock.advanceTo(ANSWER_TIMEOUT);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    expect(usage.state).toBe('abandoned');
    const [cancel] = requests('CANCEL');
    expect(times('CANCEL')).toEqual([ANSWER_TIMEOUT]);
    expect(cancel!.uri).toBe(inv.uri);
    expect(branchOf(cancel!)).toBe('z9hG4bKinv');
    expect(cancel!.headers.get('CSeq')).toBe('7 CANCEL');
    mgr.receiveResponse(createResponse(cancel!, 200));
    mgr.receiveResponse(answer(inv, 487));
    expect(requests('ACK')).toHaveLength(1); // the INVITE transaction ACKs the 487
    expect(requests('BYE')).toHaveLength(0);
    expect(events.map((e) => e.type)).toEqual(['provisional', 'cancel-sent', 'cancel-answered', 'abandoned-final']);
    expectNothingLeft();
  });

  it('with no provisional at the answer timeout sends no CANCEL until a 100 arrives, then sends it at once', async () => {
    const { inv, result } = start();
    clock.advanceTo(ANSWER_TIMEOUT);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    clock.advanceTo(ANSWER_TIMEOUT + 3000);
    expect(requests('CANCEL')).toHaveLength(0);
    expect(times('INVITE')).toEqual([0, 500, 1500, 3500, 7500]); // Timer A goes on until a response (RFC 3261 §17.1.1.2)
    expect(events.map((e) => e.type)).toEqual(['cancel-deferred']);
    mgr.receiveResponse(answer(inv, 100));
    expect(times('CANCEL')).toEqual([ANSWER_TIMEOUT + 3000]);
    mgr.receiveResponse(answer(inv, 100)); // a second provisional: still one CANCEL
    expect(requests('CANCEL')).toHaveLength(1);
    mgr.receiveResponse(createResponse(requests('CANCEL')[0]!, 200));
    mgr.receiveResponse(answer(inv, 487));
    expectNothingLeft();
  });

  it('abandon() while proceeding rejects with the caller\'s cause and sends CANCEL; abandon() again or after settling is a no-op', async () => {
    const { inv, result, usage } = start();
    mgr.receiveResponse(answer(inv, 100));
    const cause = new Error('stream stopped');
    expect(usage.abandon(cause)).toBe(true);
    expect(usage.abandon()).toBe(false);
    await expect(result).rejects.toBe(cause);
    expect(requests('CANCEL')).toHaveLength(1);
    clock.advanceTo(ANSWER_TIMEOUT);
    // one CANCEL transaction (Timer E retransmits it over UDP), none started by the answer timeout
    expect(times('CANCEL')).toEqual([0, 500, 1500, 3500, 7500]);
    expect(new Set(requests('CANCEL').map(branchOf))).toEqual(new Set(['z9hG4bKinv']));
  });

  it('with a 2xx that races the CANCEL ACKs it and sends one BYE; its retransmissions are ACKed again without a second BYE', async () => {
    const { inv, result } = start();
    mgr.receiveResponse(answer(inv, 180));
    clock.advanceTo(ANSWER_TIMEOUT);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    const ok = answer(inv, 200);
    mgr.receiveResponse(ok); // the device answered before it saw the CANCEL
    mgr.receiveResponse(createResponse(requests('CANCEL')[0]!, 481)); // too late to cancel: 481 (or 200) for the CANCEL
    mgr.receiveResponse(ok);
    const acks = requests('ACK');
    expect(acks).toHaveLength(2);
    expect(acks[0]!.uri).toBe('sip:34020000001320000001@10.0.0.64:5060');
    const [bye] = requests('BYE');
    expect(requests('BYE')).toHaveLength(1);
    expect(bye!.uri).toBe('sip:34020000001320000001@10.0.0.64:5060');
    expect(bye!.headers.get('CSeq')).toBe('8 BYE');
    expect(bye!.headers.get('To')).toContain('tag=dev1');
    mgr.receiveResponse(createResponse(bye!, 200));
    expect(events.map((e) => e.type)).toEqual(['provisional', 'cancel-sent', 'late-2xx-ack-bye', 'cancel-answered', 'late-2xx-ack-resent', 'bye-answered']);
    expectNothingLeft();
  });

  it('with a 2xx 30 s late (the INVITE transaction still alive, the CANCEL unanswered) ACKs it and sends BYE', async () => {
    const { inv, result } = start();
    clock.advanceTo(100);
    mgr.receiveResponse(answer(inv, 100));
    clock.advanceTo(30_000);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    expect(mgr.receiveResponse(answer(inv, 200))).toBe(true); // matched by the INVITE transaction
    expect(requests('ACK')).toHaveLength(1);
    expect(requests('BYE')).toHaveLength(1);
    expect(events.some((e) => e.type === 'late-2xx-ack-bye')).toBe(true);
    expectNothingLeft();
  });

  it('with the CANCEL unanswered and no final response terminates the INVITE transaction 64*T1 after the CANCEL (§9.1)', async () => {
    const { inv, usage } = start();
    mgr.receiveResponse(answer(inv, 180));
    clock.advanceTo(ANSWER_TIMEOUT);
    expect(mgr.size).toBe(2); // INVITE + CANCEL
    clock.advanceTo(ANSWER_TIMEOUT + 64 * T1 - 1);
    expect(usage.state).toBe('abandoned');
    expect(events.some((e) => e.type === 'cancel-expired')).toBe(false);
    clock.advanceTo(ANSWER_TIMEOUT + 64 * T1);
    expect(events.some((e) => e.type === 'cancel-expired')).toBe(true);
    expect(mgr.size).toBe(0); // the CANCEL's own Timer F ended at the same moment
    expect(registry.size).toBe(1); // a 2xx may still come: the registry answers it
    expectNothingLeft();
  });

  it('with a 2xx after Timer B ended the INVITE transaction lets the AbandonedInvites registry ACK it and send BYE', async () => {
    const { inv, result } = start({ answerTimeoutMs: 60_000 });
    clock.advanceTo(64 * T1);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    expect(mgr.size).toBe(0);
    clock.advanceTo(64 * T1 + 10_000);
    const late = answer(inv, 200);
    expect(mgr.receiveResponse(late)).toBe(false); // no transaction matches any more
    expect(registry.handleResponse(late)).toBe(true);
    expect(registry.handleResponse(late)).toBe(true);
    expect(requests('ACK')).toHaveLength(2);
    expect(requests('BYE')).toHaveLength(1);
    expect(requests('CANCEL')).toHaveLength(0);
    expect(registry.handleResponse(answer(invite(), 200))).toBe(true); // same Call-ID + From tag + CSeq: the same INVITE
    const stranger = answer(invite(), 200);
    stranger.headers.set('Call-ID', 'someone-else');
    expect(registry.handleResponse(stranger)).toBe(false);
    expectNothingLeft();
  });

  it('the AbandonedInvites registry forgets an INVITE ABANDONED_INVITE_LINGER_MS after its transaction ended', () => {
    const { inv } = start({ answerTimeoutMs: 60_000 });
    clock.advanceTo(64 * T1);
    expect(registry.size).toBe(1);
    clock.advanceTo(64 * T1 + ABANDONED_INVITE_LINGER_MS - 1);
    expect(registry.size).toBe(1);
    clock.advanceTo(64 * T1 + ABANDONED_INVITE_LINGER_MS);
    expect(registry.size).toBe(0);
    expect(registry.handleResponse(answer(inv, 200))).toBe(false);
    expect(clock.pending).toBe(0);
  });
});

describe('InviteClientUsage lifecycle', () => {
  it('close() of the usage, the registry and the transaction manager leaves no timer, and is idempotent', async () => {
    const a = start();
    mgr.receiveResponse(answer(a.inv, 180));
    clock.advanceTo(ANSWER_TIMEOUT); // CANCEL sent, guard armed, registry entry lingering
    const b = new InviteClientUsage(createRequest({
      method: 'INVITE', uri: 'sip:x@198.51.100.7', via: { transport: 'UDP', host: '192.0.2.10', port: 5060, branch: 'z9hG4bKinv2' },
      from: { uri: 'sip:gw@3402000000', tag: 'gw2' }, to: { uri: 'sip:x@3402000000' }, callId: 'call-2', cseq: 1,
    }), { transactions: mgr, send, reliable: false, scheduler: clock, answerTimeoutMs: ANSWER_TIMEOUT, abandonedInvites: registry });
    const pending = b.start();
    expect(clock.pending).toBeGreaterThan(0);
    b.close();
    b.close();
    await expect(pending).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    a.usage.close();
    registry.close();
    registry.close();
    mgr.close();
    expect(clock.pending).toBe(0);
    expect(registry.size).toBe(0);
  });

  it('new InviteClientUsage() refuses a request that is not an INVITE, an INVITE without From tag, and a non-positive answer timeout', () => {
    const opts = { transactions: mgr, send, reliable: false, scheduler: clock, answerTimeoutMs: ANSWER_TIMEOUT, abandonedInvites: registry };
    const noTag = invite();
    noTag.headers.set('From', '<sip:34020000002000000001@3402000000>');
    expect(() => new InviteClientUsage({ ...invite(), method: 'MESSAGE' }, opts)).toThrow(expect.objectContaining({ code: 'SIP_DIALOG_BAD_METHOD' }));
    expect(() => new InviteClientUsage(noTag, opts)).toThrow(expect.objectContaining({ code: 'SIP_MISSING_HEADER' }));
    expect(() => new InviteClientUsage(invite(), { ...opts, answerTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'SIP_BAD_TIMEOUT' }));
    expect(mgr.size).toBe(0);
  });

  it('a throwing event listener does not break the usage', async () => {
    const { inv, result } = start({ onEvent: () => { throw new Error('listener bug'); } });
    mgr.receiveResponse(answer(inv, 180));
    mgr.receiveResponse(answer(inv, 200));
    await expect(result).resolves.toMatchObject({ dialog: expect.anything() });
    expect(requests('ACK')).toHaveLength(1);
  });

  it('over TCP (reliable) never retransmits the INVITE and still cancels at the timeout', async () => {
    const { inv, result } = start({ reliable: true });
    mgr.receiveResponse(answer(inv, 100));
    clock.advanceTo(ANSWER_TIMEOUT);
    await expect(result).rejects.toMatchObject({ code: 'DEVICE_NO_ANSWER' });
    expect(times('INVITE')).toEqual([0]);
    expect(requests('CANCEL')).toHaveLength(1);
  });
});
