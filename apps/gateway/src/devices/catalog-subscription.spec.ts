import { describe, expect, it } from 'vitest';
import { FakeScheduler } from '../../../../libs/gb28181/src/sip/testing/fake-scheduler';
import {
  CatalogSubscription,
  MAX_SUBSCRIBE_FAILURES,
  SUBSCRIBE_BACKOFF_MS,
  UNSUBSCRIBE_TIMEOUT_MS,
  type SubscribeOutcome,
  type SubscriptionState,
} from './catalog-subscription';

/** A peer on a virtual clock: each SUBSCRIBE is recorded and answered by `answer` (or left pending). */
function harness(expiresS = 3600) {
  const clock = new FakeScheduler();
  const sent: Array<{ mode: 'initial' | 'refresh'; expiresS: number; at: number }> = [];
  const states: SubscriptionState[] = [];
  let answer: (n: number) => SubscribeOutcome | 'hang' = () => ({ status: 200, reason: 'OK', expiresS: null });
  const sub = new CatalogSubscription(
    {
      scheduler: clock,
      now: () => clock.now,
      subscribe: (mode, e) => {
        sent.push({ mode, expiresS: e, at: clock.now });
        const a = answer(sent.length);
        return a === 'hang' ? new Promise<SubscribeOutcome>(() => undefined) : Promise.resolve(a);
      },
      onChange: (s) => states.push(s.state),
    },
    expiresS,
  );
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { clock, sent, states, sub, settle, answerWith: (f: typeof answer) => (answer = f), advance: (ms: number) => clock.advanceBySettled(ms, settle) };
}

describe('CatalogSubscription (GB/T 28181-2016 §9.11, RFC 6665)', () => {
  it('2xx → active; refreshes in the dialog at 2/3 of the granted Expires (the smaller of asked and granted), again and again', async () => {
    const h = harness(3600);
    h.answerWith((n) => ({ status: 200, reason: 'OK', expiresS: n === 1 ? 600 : null }));
    h.sub.start();
    await h.settle();
    expect(h.sub.status).toMatchObject({ state: 'active', activeUntil: 600_000, nextAttemptAt: 400_000 });
    await h.advance(400_000);
    expect(h.sent.map((s) => [s.mode, s.expiresS, s.at])).toEqual([['initial', 3600, 0], ['refresh', 3600, 400_000]]);
    // The refresh's 200 had no Expires: the asked 3600 s hold.
    expect(h.sub.status).toMatchObject({ state: 'active', nextAttemptAt: 400_000 + 2_400_000 });
    await h.advance(2_400_000);
    expect(h.sent).toHaveLength(3);
  });

  it('405, 489 and 501 mark the peer as refusing catalog subscriptions: no retry, however long we wait', async () => {
    for (const status of [405, 489, 501, 403, 401]) {
      const h = harness();
      h.answerWith(() => ({ status, reason: 'Nope', expiresS: null }));
      h.sub.start();
      await h.settle();
      expect(h.sub.status).toMatchObject({ state: 'refused', cause: `${status} Nope`, nextAttemptAt: null });
      await h.advance(24 * 3600_000);
      expect(h.sent).toHaveLength(1);
      expect(h.clock.pending).toBe(0);
    }
  });

  it('no answer: retries after 30 s, 60 s, then gives up as failed after MAX_SUBSCRIBE_FAILURES; a later start() tries again', async () => {
    const h = harness();
    h.answerWith(() => ({ error: 'SIP_REQUEST_TIMEOUT' }));
    h.sub.start();
    await h.settle();
    expect(h.sub.status).toMatchObject({ state: 'retrying', nextAttemptAt: SUBSCRIBE_BACKOFF_MS });
    await h.advance(10 * 60_000);
    expect(h.sent.map((s) => s.at)).toEqual([0, SUBSCRIBE_BACKOFF_MS, 3 * SUBSCRIBE_BACKOFF_MS]);
    expect(h.sent).toHaveLength(MAX_SUBSCRIBE_FAILURES);
    expect(h.sub.status.state).toBe('failed');
    expect(h.sub.status.cause).toMatch(/^no answer: SIP_REQUEST_TIMEOUT \(3 failures in a row\)$/);
    h.sub.stop();
    h.answerWith(() => ({ status: 200, reason: 'OK', expiresS: 60 }));
    h.sub.start();
    await h.settle();
    expect(h.sub.status.state).toBe('active');
  });

  it('481 to a refresh (the peer restarted) subscribes anew at once, out of dialog; a 2xx to a refresh resets the failure count', async () => {
    const h = harness(90);
    h.answerWith((n) => (n === 2 ? { status: 481, reason: 'Call/Transaction Does Not Exist', expiresS: null } : { status: 200, reason: 'OK', expiresS: null }));
    h.sub.start();
    await h.advance(60_000);
    expect(h.sent.map((s) => [s.mode, s.at])).toEqual([['initial', 0], ['refresh', 60_000], ['initial', 60_000]]);
    expect(h.sub.status.state).toBe('active');
    expect(h.states).toEqual(['subscribing', 'active', 'retrying', 'subscribing', 'active']);
  });

  it('NOTIFY terminated;reason=timeout subscribes again at once; rejected refuses; terminations in a row end as failed (no loop)', async () => {
    const h = harness();
    h.sub.start();
    await h.settle();
    h.sub.onTerminated('timeout', null);
    await h.advance(0);
    expect(h.sent.map((s) => s.mode)).toEqual(['initial', 'initial']);
    expect(h.sub.status.state).toBe('active');
    h.sub.onTerminated('deactivated', null);
    await h.advance(0);
    expect(h.sub.status).toMatchObject({ state: 'retrying', nextAttemptAt: 2 * SUBSCRIBE_BACKOFF_MS });
    await h.advance(2 * SUBSCRIBE_BACKOFF_MS);
    h.sub.onTerminated('probation', 5);
    expect(h.sub.status.state).toBe('failed');
    await h.advance(3600_000);
    expect(h.sent).toHaveLength(3);

    const r = harness();
    r.sub.start();
    await r.settle();
    r.sub.onTerminated('rejected', null);
    expect(r.sub.status).toMatchObject({ state: 'refused', cause: 'terminated by the peer (rejected)' });
    expect(r.clock.pending).toBe(0);
  });

  it('a 2xx granting Expires 0 is a refusal; stop() clears every timer and an answer arriving after it changes nothing', async () => {
    const h = harness();
    h.answerWith(() => ({ status: 200, reason: 'OK', expiresS: 0 }));
    h.sub.start();
    await h.settle();
    expect(h.sub.status).toMatchObject({ state: 'refused', cause: '200 OK granting Expires 0' });

    const late = harness();
    let release!: (o: SubscribeOutcome) => void;
    late.answerWith(() => 'hang');
    const s2 = new CatalogSubscription({ scheduler: late.clock, now: () => late.clock.now, subscribe: () => new Promise((r) => (release = r)) }, 3600);
    s2.start();
    s2.stop();
    release({ status: 200, reason: 'OK', expiresS: null });
    await late.settle();
    expect(s2.status.state).toBe('stopped');
    expect(late.clock.pending).toBe(0);
    s2.stop();
  });

  it('end() sends Expires 0 in the dialog of an active subscription and waits at most UNSUBSCRIBE_TIMEOUT_MS; of an inactive one, nothing', async () => {
    const h = harness();
    h.sub.start();
    await h.settle();
    h.answerWith(() => 'hang');
    let ended = false;
    void h.sub.end().then(() => (ended = true));
    await h.settle();
    expect(h.sent.at(-1)).toMatchObject({ mode: 'refresh', expiresS: 0 });
    expect(ended).toBe(false);
    await h.advance(UNSUBSCRIBE_TIMEOUT_MS);
    expect(ended).toBe(true);
    expect(h.sub.status.state).toBe('stopped');

    const idle = harness();
    idle.answerWith(() => ({ status: 405, reason: 'Method Not Allowed', expiresS: null }));
    idle.sub.start();
    await idle.settle();
    await idle.sub.end();
    expect(idle.sent).toHaveLength(1);
  });
});
