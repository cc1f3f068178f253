import type { SipScheduler } from '@gb/gb28181';

/**
 * One catalog subscription: this gateway (the subscriber) towards one device or lower platform (the notifier),
 * GB/T 28181-2016 §9.11 (event subscription and notification, `Event: Catalog`) on RFC 6665 SUBSCRIBE / NOTIFY.
 *
 *   start ──► subscribing ──SUBSCRIBE──► 2xx ──► active ──refresh in the dialog at 2/3 of the granted Expires──┐
 *                 ▲   │ 405 / 489 / 501 / 403 / … ──► refused (the peer does not do catalog subscriptions)       │
 *                 │   │ no answer / 408 / 5xx ──► retrying (back-off) ──► … MAX_SUBSCRIBE_FAILURES ──► failed   │
 *                 └───┴── 481 or no answer to a refresh; NOTIFY Subscription-State: terminated (timeout, …) ◄────┘
 *   stop() ──► stopped, nothing sent (the device went offline or away); a new registration starts a new one.
 *   end()  ──► SUBSCRIBE Expires: 0 in the dialog, waiting at most UNSUBSCRIBE_TIMEOUT_MS (shutdown).
 *
 * Refused and failed subscriptions are not retried (no loop against a device that cannot do them) until the
 * device registers again. The wire, the clock and the timers are injected (CatalogSubscriptionIo).
 */

/** First retry delay after a failure; doubles per failure in a row. */
export const SUBSCRIBE_BACKOFF_MS = 30_000;
/** Failures in a row (no answer, 408/5xx, terminations) before giving up until the next registration. */
export const MAX_SUBSCRIBE_FAILURES = 3;
/** Refresh when this fraction of the granted Expires has passed. */
export const SUBSCRIBE_REFRESH_FRACTION = 2 / 3;
/** Never refresh sooner than this after a 2xx, whatever Expires the peer grants. */
export const MIN_SUBSCRIBE_REFRESH_MS = 1_000;
/** Longest wait for the answer to SUBSCRIBE Expires: 0 (shutdown must not hang on Timer F). */
export const UNSUBSCRIBE_TIMEOUT_MS = 2_000;
/** Longest cause kept (it quotes the peer's reason phrase). */
export const MAX_SUBSCRIPTION_CAUSE_CHARS = 200;
/** Final answers that may go away by themselves: retried with back-off. Every other non-2xx is a refusal. */
const RETRYABLE = new Set([408, 429, 480, 486, 500, 503, 504]);

export type SubscriptionState = 'subscribing' | 'active' | 'retrying' | 'refused' | 'failed' | 'stopped';

/** A final answer to a SUBSCRIBE (`expiresS`: its Expires header), or no answer at all. */
export type SubscribeOutcome = { status: number; reason: string; expiresS: number | null } | { error: string };

export interface CatalogSubscriptionIo {
  /**
   * Sends SUBSCRIBE with `Expires: expiresS`: `initial` outside any dialog (a new Call-ID; a 2xx makes the dialog the
   * refreshes use), `refresh` in the dialog of the last 2xx (the io falls back to `initial` when it holds none).
   */
  subscribe(mode: 'initial' | 'refresh', expiresS: number): Promise<SubscribeOutcome>;
  scheduler: SipScheduler;
  now(): number;
  /** Each state change. */
  onChange?(status: SubscriptionStatus): void;
}

export interface SubscriptionStatus {
  state: SubscriptionState;
  /** Why it is refused, failed or retrying (the peer's answer); null while fine. */
  cause: string | null;
  since: number;
  /** When the granted subscription runs out (ms); null unless active. */
  activeUntil: number | null;
  /** When the next SUBSCRIBE goes out (ms): the refresh or the retry; null when none is planned. */
  nextAttemptAt: number | null;
}

export class CatalogSubscription {
  private statusValue: SubscriptionStatus;
  private timer: unknown;
  /** Increments on every attempt and on stop: answers to an older attempt are ignored. */
  private epoch = 0;
  private failures = 0;
  private hasDialog = false;

  constructor(
    private readonly io: CatalogSubscriptionIo,
    /** The Expires we ask for (CATALOG_SUBSCRIBE_EXPIRES_S). */
    private readonly expiresS: number,
  ) {
    this.statusValue = { state: 'stopped', cause: null, since: io.now(), activeUntil: null, nextAttemptAt: null };
  }

  get status(): SubscriptionStatus {
    return { ...this.statusValue };
  }

  start(): void {
    if (this.statusValue.state !== 'stopped') return;
    this.failures = 0;
    this.attempt('initial');
  }

  /** Stops without a message (the device is gone): timers cleared, late answers ignored. Idempotent. */
  stop(): void {
    this.epoch++;
    this.clearTimer();
    this.hasDialog = false;
    if (this.statusValue.state !== 'stopped') this.set('stopped', null);
  }

  /** Ends an active subscription with SUBSCRIBE Expires: 0 (waiting at most UNSUBSCRIBE_TIMEOUT_MS), then stops. */
  async end(): Promise<void> {
    const active = this.statusValue.state === 'active' && this.hasDialog;
    this.stop();
    if (!active) return;
    let timer: unknown;
    await Promise.race([
      this.io.subscribe('refresh', 0).catch(() => undefined),
      new Promise<void>((done) => (timer = this.io.scheduler.setTimer(UNSUBSCRIBE_TIMEOUT_MS, done))),
    ]);
    this.io.scheduler.clearTimer(timer);
  }

  /**
   * A NOTIFY of this subscription said `Subscription-State: terminated` (RFC 6665 §4.1.3): `rejected`, `noresource`
   * and `invariant` mean it will not work (refused); any other reason (timeout, deactivated, probation, giveup, none)
   * subscribes again: at once the first time, else after `retry-after` or the back-off. Counts as a failure.
   */
  onTerminated(reason: string | null, retryAfterS: number | null): void {
    const st = this.statusValue.state;
    if (st === 'stopped' || st === 'refused' || st === 'failed') return;
    this.epoch++;
    this.clearTimer();
    this.hasDialog = false;
    const cause = `terminated by the peer${reason ? ` (${reason})` : ''}`;
    if (reason === 'rejected' || reason === 'noresource' || reason === 'invariant') return this.set('refused', cause);
    this.fail(cause, retryAfterS !== null ? retryAfterS * 1000 : this.failures === 0 ? 0 : undefined);
  }

  private attempt(mode: 'initial' | 'refresh'): void {
    const epoch = ++this.epoch;
    this.clearTimer();
    if (mode === 'initial') {
      this.hasDialog = false;
      this.set('subscribing', this.statusValue.state === 'retrying' ? this.statusValue.cause : null);
    }
    this.io.subscribe(mode, this.expiresS).then(
      (o) => {
        if (epoch === this.epoch) this.onOutcome(mode, o);
      },
      (e: unknown) => {
        if (epoch === this.epoch) this.onOutcome(mode, { error: (e as Error)?.message ?? String(e) });
      },
    );
  }

  private onOutcome(mode: 'initial' | 'refresh', o: SubscribeOutcome): void {
    if ('error' in o) return this.fail(`no answer${mode === 'refresh' ? ' to a refresh' : ''}: ${o.error}`);
    const answer = clip(`${o.status} ${o.reason}`);
    if (o.status >= 200 && o.status < 300) {
      const granted = o.expiresS === null ? this.expiresS : Math.min(o.expiresS, this.expiresS);
      // RFC 6665 §4.1.2.1: a 2xx granting Expires 0 ends the subscription at once (a one-time fetch).
      if (granted <= 0) return this.set('refused', `${answer} granting Expires 0`);
      if (mode === 'refresh') this.failures = 0;
      this.hasDialog = true;
      const now = this.io.now();
      const refreshIn = Math.max(MIN_SUBSCRIBE_REFRESH_MS, Math.floor(granted * 1000 * SUBSCRIBE_REFRESH_FRACTION));
      this.statusValue = { state: 'active', cause: null, since: this.statusValue.state === 'active' ? this.statusValue.since : now, activeUntil: now + granted * 1000, nextAttemptAt: now + refreshIn };
      this.timer = this.io.scheduler.setTimer(refreshIn, () => this.attempt('refresh'));
      this.io.onChange?.(this.status);
      return;
    }
    // 481 to a refresh: the peer forgot the dialog (it restarted): subscribe anew, at once.
    if (mode === 'refresh' && o.status === 481) return this.fail(answer, 0);
    if (RETRYABLE.has(o.status)) return this.fail(answer);
    this.set('refused', answer);
  }

  /** One more failure: retry after `delayMs` (default: the back-off), or give up at MAX_SUBSCRIBE_FAILURES. */
  private fail(cause: string, delayMs?: number): void {
    this.failures++;
    this.hasDialog = false;
    if (this.failures >= MAX_SUBSCRIBE_FAILURES) return this.set('failed', `${clip(cause)} (${this.failures} failures in a row)`);
    const wait = Math.max(0, Math.min(delayMs ?? SUBSCRIBE_BACKOFF_MS * 2 ** (this.failures - 1), SUBSCRIBE_BACKOFF_MS * 2 ** MAX_SUBSCRIBE_FAILURES));
    this.set('retrying', clip(cause), this.io.now() + wait);
    this.timer = this.io.scheduler.setTimer(wait, () => this.attempt('initial'));
  }

  private set(state: SubscriptionState, cause: string | null, nextAttemptAt: number | null = null): void {
    if (state !== 'retrying' && state !== 'active') this.clearTimer();
    this.statusValue = { state, cause, since: this.io.now(), activeUntil: null, nextAttemptAt };
    this.io.onChange?.(this.status);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.io.scheduler.clearTimer(this.timer);
    this.timer = undefined;
  }
}

function clip(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > MAX_SUBSCRIPTION_CAUSE_CHARS ? `${clean.slice(0, MAX_SUBSCRIPTION_CAUSE_CHARS)}…` : clean;
}
