import { Gb28181Error } from '../../errors';
import { SipMessage, SipRequest, SipResponse } from '../sip-message';
import { parseCSeq, parseNameAddr, parseVia } from '../sip-header-values';
import { createResponse } from '../sip-builders';
import { ClientTransaction, ClientTransactionHandlers } from './client-transaction';
import { ServerTransaction } from './server-transaction';
import { CompletedServerTransaction, TimerJBuckets } from './completed-server-transactions';
import { DEFAULT_SIP_TIMERS, SipScheduler, SipTimerValues } from './sip-timers';

/** RFC 3261 §8.1.1.7 magic cookie: branches starting with it are globally unique. */
export const RFC3261_BRANCH_COOKIE = 'z9hG4bK';

/**
 * Most live server transactions (issue #16: floods). A non-INVITE server transaction lives 64*T1 = 32 s after its
 * final response over UDP (Timer J), so N requests/s keep 32*N transactions: a 160k/s REGISTER flood held ~5M
 * (2.9 GB). 100,000 covers 3,000 legitimate requests/s (the registration target) with room, at roughly 60 MB.
 * Past the cap a new request is answered 503 statelessly and nothing is kept. Completed non-INVITE transactions
 * over UDP (kept as CompletedServerTransaction records) count against the cap like the others.
 */
export const MAX_SERVER_TRANSACTIONS = 100_000;

/** Retry-After (seconds) on the stateless 503 sent when the cap is reached (RFC 3261 §21.5.4, §20.33). */
export const OVERLOAD_RETRY_AFTER_S = 5;

export interface SipTransactionManagerOptions {
  scheduler: SipScheduler;
  timers?: Partial<SipTimerValues>;
  /** Default MAX_SERVER_TRANSACTIONS. */
  maxServerTransactions?: number;
  /** Default OVERLOAD_RETRY_AFTER_S. */
  overloadRetryAfterS?: number;
}

export interface SipTransactionStats {
  /** Live server transactions (incoming requests), Completed non-INVITE records included. */
  serverTransactions: number;
  /** Live client transactions (our requests). */
  clientTransactions: number;
  /** Responses sent without a transaction kept: `respondStateless()` plus the 503s of the cap. */
  statelessResponses: number;
  /** New requests refused with a stateless 503 because `maxServerTransactions` were live. */
  capHits: number;
  /** Requests the TU chose not to answer at all (`drop()`), their transactions ended at once. */
  dropped: number;
}

/**
 * Owns every live transaction, matches messages to them (§17.1.3, §17.2.3) and removes them when
 * they terminate. Pure: the transport's `send` and the scheduler are passed in.
 */
export class SipTransactionManager {
  private readonly scheduler: SipScheduler;
  private readonly timers: SipTimerValues;
  /** Server transactions by §17.2.3 key; a non-INVITE one in Completed over UDP is replaced by its compact record. */
  private readonly servers = new Map<string, ServerTransaction | CompletedServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  /** INVITE server transactions in Accepted, by Call-ID + CSeq number, waiting for the 2xx ACK. */
  private readonly accepted = new Map<string, ServerTransaction>();
  private closed = false;
  private readonly maxServers: number;
  private readonly retryAfterS: number;
  private statelessCount = 0;
  private capHitCount = 0;
  private droppedCount = 0;
  /** Timer J of the Completed non-INVITE records. */
  private readonly timerJ: TimerJBuckets;
  /** Shared by every server transaction (one closure per manager, not per transaction). */
  private readonly serverTerminated = (tx: ServerTransaction): void => this.onServerTerminated(tx);
  private readonly serverCompleted = (tx: ServerTransaction, res: SipResponse): CompletedServerTransaction => this.onServerCompleted(tx, res);

  constructor(opts: SipTransactionManagerOptions) {
    this.scheduler = opts.scheduler;
    this.timers = { ...DEFAULT_SIP_TIMERS, ...opts.timers };
    this.maxServers = opts.maxServerTransactions ?? MAX_SERVER_TRANSACTIONS;
    this.retryAfterS = opts.overloadRetryAfterS ?? OVERLOAD_RETRY_AFTER_S;
    this.timerJ = new TimerJBuckets(this.scheduler, 64 * this.timers.T1, (rec) => this.onCompletedExpired(rec));
  }

  get size(): number {
    return this.servers.size + this.clients.size;
  }

  /** T1, T2, T4 in use (transaction users such as the INVITE client usage derive 64*T1 from them). */
  get timerValues(): Readonly<SipTimerValues> {
    return this.timers;
  }

  get stats(): SipTransactionStats {
    return { serverTransactions: this.servers.size, clientTransactions: this.clients.size, statelessResponses: this.statelessCount, capHits: this.capHitCount, dropped: this.droppedCount };
  }

  /**
   * A request from the transport. Returns `{ tx }` for a new request (or for an ACK that matched
   * no transaction: the ACK of a 2xx, `tx.kind === 'ack'`), and `null` when the transaction layer
   * absorbed it: a retransmission (the last response is re-sent), the ACK of a non-2xx final, or a new
   * request refused with a stateless 503 (+ Retry-After) because `maxServerTransactions` are live.
   */
  receiveRequest(req: SipRequest, send: (m: SipMessage) => void, reliable: boolean): { tx: ServerTransaction } | null {
    this.assertOpen();
    const id = serverKey(req);
    const existing = this.servers.get(id);
    if (existing instanceof ServerTransaction) {
      existing.receive(req);
      return null;
    }
    if (existing) {
      existing.receive(send);
      return null;
    }
    if (req.method === 'ACK') {
      const key = dialogAckKey(req);
      const inv = key !== undefined ? this.accepted.get(key) : undefined;
      if (inv) inv.ackFor2xx();
      const tx = new ServerTransaction(id, 'ack', req, send, reliable, this.scheduler, this.timers, () => undefined);
      return { tx };
    }
    if (this.servers.size >= this.maxServers) {
      this.capHitCount++;
      this.sendStateless(createResponse(req, 503, 'Service Unavailable', { headers: [['Retry-After', String(this.retryAfterS)]] }), send);
      return null;
    }
    const tx =
      req.method === 'INVITE'
        ? new ServerTransaction(id, 'invite', req, send, reliable, this.scheduler, this.timers, this.serverTerminated)
        : new ServerTransaction(id, 'non-invite', req, send, reliable, this.scheduler, this.timers, this.serverTerminated, this.serverCompleted);
    this.servers.set(id, tx);
    tx.start();
    return { tx };
  }

  /** The TU's response on a server transaction. */
  respond(tx: ServerTransaction, res: SipResponse): void {
    if (tx.kind === 'ack') throw new Gb28181Error('SIP_TX_BAD_STATE', 'an ACK is never answered');
    tx.respond(res);
    if (tx.kind === 'invite' && tx.state === 'Accepted') {
      const key = dialogAckKey(tx.request);
      if (key !== undefined) this.accepted.set(key, tx);
    }
  }

  /**
   * Answers a request without keeping its transaction (RFC 3261 §8.2.7 stateless UAS behaviour): the response is
   * sent and the server transaction, if any, is dropped at once, so a retransmission of the request is handled
   * as a new request. Meant for final refusals that cost nothing to repeat (400, 401, 403, 429, 503) under load:
   * a flood of them then keeps no state. Provisional responses and INVITE 2xx need a transaction: refused.
   */
  respondStateless(tx: ServerTransaction, res: SipResponse): void {
    if (tx.kind === 'ack') throw new Gb28181Error('SIP_TX_BAD_STATE', 'an ACK is never answered');
    if (res.status < 200) throw new Gb28181Error('SIP_TX_BAD_STATE', `a provisional ${res.status} is never sent statelessly`);
    if (tx.kind === 'invite' && res.status < 300) throw new Gb28181Error('SIP_TX_BAD_STATE', 'an INVITE 2xx needs its transaction (retransmission until the ACK)');
    if (tx.state !== 'Trying' && tx.state !== 'Proceeding') throw new Gb28181Error('SIP_TX_BAD_STATE', `cannot send ${res.status} in state ${tx.state}`);
    tx.terminate();
    this.sendStateless(res, tx.sendFn);
  }

  /**
   * The TU will not answer this request at all (a banned source, a flood over its rate): the transaction ends now,
   * sends nothing and keeps nothing. A non-INVITE server transaction in Trying has no timer of its own (RFC 3261
   * §17.2.2), so an unanswered one would otherwise live, and count against the cap, forever. Its retransmissions come
   * to the TU again, which drops them again.
   */
  drop(tx: ServerTransaction): void {
    if (tx.kind === 'ack') return;
    if (tx.state !== 'Trying' && tx.state !== 'Proceeding') return;
    tx.terminate();
    this.droppedCount++;
  }

  /** Starts a client transaction and sends the request. ACK is not a transaction: send it directly. */
  sendRequest(req: SipRequest, send: (m: SipMessage) => void, reliable: boolean, handlers: ClientTransactionHandlers): ClientTransaction {
    this.assertOpen();
    if (req.method === 'ACK') throw new Gb28181Error('SIP_TX_BAD_STATE', 'ACK does not create a client transaction');
    const top = req.headers.getAll('Via')[0];
    if (top === undefined) throw new Gb28181Error('SIP_MISSING_HEADER', 'request without Via');
    const branch = parseVia(top).params['branch'];
    if (!branch) throw new Gb28181Error('SIP_TX_NO_BRANCH', 'client request without Via branch');
    const id = `${branch}|${req.method}`;
    if (this.clients.has(id)) throw new Gb28181Error('SIP_TX_EXISTS', `a client transaction ${id} already exists`);
    const tx = new ClientTransaction(id, req, send, reliable, this.scheduler, this.timers, handlers, (t) => {
      if (this.clients.get(t.id) === t) this.clients.delete(t.id);
    });
    this.clients.set(id, tx);
    tx.start();
    return tx;
  }

  /**
   * Ends a client transaction now: RFC 3261 §9.1 lets the UAC consider an INVITE cancelled and destroy its client
   * transaction when no final response came within 64*T1 of the CANCEL. Idempotent.
   */
  terminateClient(tx: ClientTransaction): void {
    tx.terminate();
  }

  /** A response from the transport; false when it matches no client transaction (stray, or the TU's to handle). */
  receiveResponse(res: SipResponse): boolean {
    if (this.closed) return false;
    const top = res.headers.getAll('Via')[0];
    const cseq = res.headers.get('CSeq');
    if (top === undefined || cseq === undefined) return false;
    let branch: string | null | undefined;
    let method: string;
    try {
      branch = parseVia(top).params['branch'];
      method = parseCSeq(cseq).method;
    } catch {
      return false;
    }
    if (!branch) return false;
    const tx = this.clients.get(`${branch}|${method}`);
    if (!tx) return false;
    tx.receive(res);
    return true;
  }

  /** Terminates every transaction and clears every timer. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timerJ.clear();
    for (const tx of [...this.servers.values()]) {
      if (tx instanceof ServerTransaction) tx.terminate();
      else tx.expired = true;
    }
    for (const tx of [...this.clients.values()]) tx.terminate();
    this.servers.clear();
    this.clients.clear();
    this.accepted.clear();
  }

  private sendStateless(res: SipResponse, send: (m: SipMessage) => void): void {
    this.statelessCount++;
    send(res);
  }

  /**
   * §17.2.2 Completed over UDP: the transaction's place in the table goes to a record holding the key and the final
   * response; the transaction object (request, `send`, timers, the TU's references) is no longer ours to keep.
   */
  private onServerCompleted(tx: ServerTransaction, res: SipResponse): CompletedServerTransaction {
    const rec = new CompletedServerTransaction(tx.id, res);
    if (this.servers.get(tx.id) === tx) {
      this.servers.set(tx.id, rec);
      this.timerJ.add(rec);
    } else rec.expired = true; // not in the table (the manager closed): nothing to absorb
    return rec;
  }

  /** Timer J fired for a record: Terminated (§17.2.2). */
  private onCompletedExpired(rec: CompletedServerTransaction): void {
    rec.expired = true;
    if (this.servers.get(rec.id) === rec) this.servers.delete(rec.id);
  }

  private onServerTerminated(tx: ServerTransaction): void {
    if (this.servers.get(tx.id) === tx) this.servers.delete(tx.id);
    if (tx.kind !== 'invite') return;
    const key = dialogAckKey(tx.request);
    if (key !== undefined && this.accepted.get(key) === tx) this.accepted.delete(key);
  }

  private assertOpen(): void {
    if (this.closed) throw new Gb28181Error('SIP_TX_CLOSED', 'transaction manager is closed');
  }
}

/**
 * §17.2.3: branch + sent-by + method (ACK matches the INVITE). Requests without the magic cookie
 * (RFC 2543 peers) fall back to Call-ID + CSeq number + From tag + top Via + method.
 */
function serverKey(req: SipRequest): string {
  const top = req.headers.getAll('Via')[0];
  if (top === undefined) throw new Gb28181Error('SIP_MISSING_HEADER', 'request without Via');
  const via = parseVia(top);
  const method = req.method === 'ACK' ? 'INVITE' : req.method;
  const branch = via.params['branch'];
  if (branch && branch.startsWith(RFC3261_BRANCH_COOKIE) && branch.length > RFC3261_BRANCH_COOKIE.length) {
    // join() builds one flat string; a template literal leaves a chain of six cons strings, which the table would
    // keep for 64*T1 per transaction (issue 14: ~7 heap objects of each Completed record).
    return [branch, '|', via.host.toLowerCase(), ':', via.port ?? '', '|', method].join('');
  }
  const cseq = parseCSeq(req.headers.get('CSeq') ?? '');
  let fromTag = '';
  try {
    fromTag = parseNameAddr(req.headers.get('From') ?? '').params['tag'] ?? '';
  } catch {
    // unparsable From: match on the rest
  }
  return ['2543', req.headers.get('Call-ID') ?? '', cseq.seq, fromTag, top, method].join('|');
}

function dialogAckKey(req: SipRequest): string | undefined {
  try {
    return `${req.headers.get('Call-ID') ?? ''}|${parseCSeq(req.headers.get('CSeq') ?? '').seq}`;
  } catch {
    return undefined;
  }
}
