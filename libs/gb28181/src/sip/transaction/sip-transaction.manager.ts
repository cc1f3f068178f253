import { Gb28181Error } from '../../errors';
import { SipMessage, SipRequest, SipResponse } from '../sip-message';
import { parseCSeq, parseNameAddr, parseVia } from '../sip-header-values';
import { ClientTransaction, ClientTransactionHandlers } from './client-transaction';
import { ServerTransaction } from './server-transaction';
import { DEFAULT_SIP_TIMERS, SipScheduler, SipTimerValues } from './sip-timers';

/** RFC 3261 §8.1.1.7 magic cookie: branches starting with it are globally unique. */
export const RFC3261_BRANCH_COOKIE = 'z9hG4bK';

export interface SipTransactionManagerOptions {
  scheduler: SipScheduler;
  timers?: Partial<SipTimerValues>;
}

/**
 * Owns every live transaction, matches messages to them (§17.1.3, §17.2.3) and removes them when
 * they terminate. Pure: the transport's `send` and the scheduler are passed in.
 */
export class SipTransactionManager {
  private readonly scheduler: SipScheduler;
  private readonly timers: SipTimerValues;
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  /** INVITE server transactions in Accepted, by Call-ID + CSeq number, waiting for the 2xx ACK. */
  private readonly accepted = new Map<string, ServerTransaction>();
  private closed = false;

  constructor(opts: SipTransactionManagerOptions) {
    this.scheduler = opts.scheduler;
    this.timers = { ...DEFAULT_SIP_TIMERS, ...opts.timers };
  }

  get size(): number {
    return this.servers.size + this.clients.size;
  }

  /**
   * A request from the transport. Returns `{ tx }` for a new request (or for an ACK that matched
   * no transaction: the ACK of a 2xx, `tx.kind === 'ack'`), and `null` when the transaction layer
   * absorbed it: a retransmission (the last response is re-sent) or the ACK of a non-2xx final.
   */
  receiveRequest(req: SipRequest, send: (m: SipMessage) => void, reliable: boolean): { tx: ServerTransaction } | null {
    this.assertOpen();
    const id = serverKey(req);
    const existing = this.servers.get(id);
    if (existing) {
      existing.receive(req);
      return null;
    }
    if (req.method === 'ACK') {
      const key = dialogAckKey(req);
      const inv = key !== undefined ? this.accepted.get(key) : undefined;
      if (inv) inv.ackFor2xx();
      const tx = new ServerTransaction(id, 'ack', req, send, reliable, this.scheduler, this.timers, () => undefined);
      return { tx };
    }
    const tx = new ServerTransaction(id, req.method === 'INVITE' ? 'invite' : 'non-invite', req, send, reliable, this.scheduler, this.timers, (t) =>
      this.onServerTerminated(t),
    );
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
    for (const tx of [...this.servers.values()]) tx.terminate();
    for (const tx of [...this.clients.values()]) tx.terminate();
    this.servers.clear();
    this.clients.clear();
    this.accepted.clear();
  }

  private onServerTerminated(tx: ServerTransaction): void {
    if (this.servers.get(tx.id) === tx) this.servers.delete(tx.id);
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
    return `${branch}|${via.host.toLowerCase()}:${via.port ?? ''}|${method}`;
  }
  const cseq = parseCSeq(req.headers.get('CSeq') ?? '');
  let fromTag = '';
  try {
    fromTag = parseNameAddr(req.headers.get('From') ?? '').params['tag'] ?? '';
  } catch {
    // unparsable From: match on the rest
  }
  return `2543|${req.headers.get('Call-ID') ?? ''}|${cseq.seq}|${fromTag}|${top}|${method}`;
}

function dialogAckKey(req: SipRequest): string | undefined {
  try {
    return `${req.headers.get('Call-ID') ?? ''}|${parseCSeq(req.headers.get('CSeq') ?? '').seq}`;
  } catch {
    return undefined;
  }
}
