import { parseCSeq, parseVia, type SipRequest, type SipResponse } from '@gb/gb28181';
import type { SimSipTransport } from './sim-transport';

/** RFC 3261 §17.1.1.1 defaults. */
export const T1_MS = 500;
export const T2_MS = 4000;

export class TransactionTimeoutError extends Error {
  readonly code = 'SIM_TRANSACTION_TIMEOUT';
  constructor(method: string, ms: number) {
    super(`${method}: no final response within ${ms} ms (Timer F)`);
  }
}

export class TransactionAbortedError extends Error {
  readonly code = 'SIM_TRANSACTION_ABORTED';
  constructor(method: string, reason: string) {
    super(`${method}: ${reason}`);
  }
}

interface Pending {
  method: string;
  resolve: (res: SipResponse) => void;
  reject: (e: Error) => void;
  retransmit?: NodeJS.Timeout;
  timeout: NodeJS.Timeout;
}

/**
 * Non-INVITE client transactions (RFC 3261 §17.1.2), simplified for a simulator: over UDP the
 * request is re-sent on Timer E (T1, doubling up to T2), the transaction fails at Timer F (64 × T1);
 * over TCP it is sent once. Provisional responses are ignored; the first final response settles it.
 * Responses are matched by the top Via branch and the CSeq method (§17.1.3).
 */
export class UacTransactions {
  private readonly pending = new Map<string, Pending>();
  constructor(
    private readonly transport: SimSipTransport,
    private readonly t1 = T1_MS,
    private readonly onRetransmit: () => void = () => undefined,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Timer F of these transactions, ms (64 × T1). */
  get timerF(): number {
    return 64 * this.t1;
  }

  /** Sends `req`; rejects with TransactionTimeoutError after `timeoutMs` (default Timer F) without a final response. */
  request(req: SipRequest, timeoutMs = this.timerF): Promise<SipResponse> {
    const key = this.keyOf(req.headers.getAll('Via')[0], req.method);
    if (key === undefined) return Promise.reject(new Error('request without a Via branch'));
    return new Promise<SipResponse>((resolve, reject) => {
      const timerF = timeoutMs;
      const p: Pending = {
        method: req.method,
        resolve,
        reject,
        timeout: setTimeout(() => {
          this.finish(key);
          reject(new TransactionTimeoutError(req.method, timerF));
        }, timerF),
      };
      this.pending.set(key, p);
      this.transport.send(req);
      if (!this.transport.reliable) {
        let interval = this.t1;
        const again = () => {
          p.retransmit = setTimeout(() => {
            if (!this.pending.has(key)) return;
            this.onRetransmit();
            this.transport.send(req);
            interval = Math.min(interval * 2, T2_MS);
            again();
          }, interval);
        };
        again();
      }
    });
  }

  /** Feeds a received response; returns true if it matched a pending transaction. */
  onResponse(res: SipResponse): boolean {
    let method: string;
    try {
      method = parseCSeq(res.headers.get('CSeq') ?? '').method;
    } catch {
      return false;
    }
    const key = this.keyOf(res.headers.getAll('Via')[0], method);
    if (key === undefined) return false;
    const p = this.pending.get(key);
    if (!p) return false;
    if (res.status < 200) {
      // Timer E keeps running at T2 after a provisional response (§17.1.2.2): good enough here.
      return true;
    }
    this.finish(key);
    p.resolve(res);
    return true;
  }

  /** Rejects and forgets every pending transaction (stop, connection lost). */
  abortAll(reason: string): void {
    for (const [key, p] of [...this.pending]) {
      this.finish(key);
      p.reject(new TransactionAbortedError(p.method, reason));
    }
  }

  private finish(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timeout);
    if (p.retransmit) clearTimeout(p.retransmit);
    this.pending.delete(key);
  }

  private keyOf(via: string | undefined, method: string): string | undefined {
    if (!via) return undefined;
    try {
      const branch = parseVia(via).params['branch'];
      return branch ? `${branch}|${method.toUpperCase()}` : undefined;
    } catch {
      return undefined;
    }
  }
}
