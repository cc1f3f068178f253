import {
  AbandonedInvites,
  InviteClientUsage,
  SipTransactionManager,
  createResponse,
  type Dialog,
  type DialogRequestOptions,
  type InviteUsageListener,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipScheduler,
  type SipTransactionStats,
  type ServerTransaction,
} from '@gb/gb28181';
import type { SipFlow } from './sip-flow';

/**
 * What the endpoint needs of a transport (SipTransport implements it; specs pass an in-memory one): its events,
 * `send` along a flow, and the port it listens on (the Via sent-by port of our requests).
 */
export interface SipEndpointTransport {
  on(event: 'message', listener: (msg: SipMessage, flow: SipFlow) => void): unknown;
  on(event: 'badRequest', listener: (req: SipRequest, flow: SipFlow, code: string) => void): unknown;
  send(msg: SipMessage, flow: SipFlow): void;
  readonly port: number;
}

type ResponseOptions = Parameters<typeof createResponse>[3];

export interface IncomingRequest {
  req: SipRequest;
  flow: SipFlow;
  /** Sends the final (or provisional) response through the server transaction. */
  respond(status: number, reason?: string, opts?: ResponseOptions): void;
  /**
   * Sends a final refusal without keeping the transaction (RFC 3261 §8.2.7): nothing lingers 32 s per request, so
   * a flood of bad REGISTERs costs no memory. For 400, 401, 403, 429, 503; a retransmission of the request comes
   * to the handler again. Throws SIP_TX_BAD_STATE for a provisional or an INVITE 2xx. Always set by SipEndpoint;
   * optional so that hand-made IncomingRequests (specs) need not provide it.
   */
  respondStateless?(status: number, reason?: string, opts?: ResponseOptions): void;
  /**
   * No answer at all (a banned source, a flood over its rate): the server transaction ends now and keeps nothing.
   * A handler that returns without answering must call this, or the transaction lives on (RFC 3261 §17.2.2 gives a
   * non-INVITE server transaction in Trying no timer) and counts against the transaction cap.
   */
  drop?(): void;
}

export interface SipEndpointOptions {
  /** Cap on live server transactions (default MAX_SERVER_TRANSACTIONS); past it, new requests get a stateless 503. */
  maxServerTransactions?: number;
}

export interface InviteOptions {
  /** How long to wait for a final answer before giving up (CANCEL after a provisional). */
  answerTimeoutMs: number;
  /** Our Contact for the ACK and BYE of late 2xx. */
  contact?: string;
  onProvisional?(res: SipResponse): void;
  /** Events of this INVITE (default: the endpoint's `onInviteEvent`). */
  onEvent?: InviteUsageListener;
}

export interface InDialogOptions {
  /** Our Contact (a URI or name-addr). */
  contact?: string;
  headers?: [string, string][];
  body?: Buffer;
  contentType?: string;
}

export type RequestHandler = (r: IncomingRequest) => void | Promise<void>;
/**
 * Looks at a request before the method's handler and claims it by returning true (it then answers it, now or
 * later). The cascade claims what a superior platform sends and what arrives in its upward dialogs; the rest goes on
 * to the device handlers. Must not throw; a claimed request that fails asynchronously is the claimer's to answer.
 */
export type RequestInterceptor = (r: IncomingRequest) => boolean;

export class SipRequestTimeoutError extends Error {
  readonly code = 'SIP_REQUEST_TIMEOUT';
}

const realScheduler: SipScheduler = {
  setTimer: (ms, fn) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Transaction layer glued to a transport: requests go to handlers by method inside a server transaction
 * (retransmissions absorbed), outgoing requests get a client transaction (UDP retransmission, Timer F).
 */
export class SipEndpoint {
  readonly transactions: SipTransactionManager;
  /** INVITEs we gave up on: the 2xx that still come for them (matching no transaction any more) get ACK + BYE. */
  readonly abandonedInvites: AbandonedInvites;
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly interceptors = new Map<string, RequestInterceptor[]>();
  private closed = false;
  /** Set by `stopRequests()`: requests are dropped, responses still reach their transactions and the registry. */
  private requestsStopped = false;
  onHandlerError: (e: unknown, req: SipRequest) => void = () => undefined;
  /** Events of INVITEs without a listener of their own, and of the abandoned-INVITE registry (the app logs them). */
  onInviteEvent: InviteUsageListener = () => undefined;
  /** Responses that matched no transaction and no abandoned INVITE (strays; counted, dropped). */
  strayResponses = 0;
  /** Requests other than ACK that the transaction layer absorbed: retransmissions, plus the 503s of the cap (capHits). */
  private absorbedRequests = 0;

  constructor(
    private readonly transport: SipEndpointTransport,
    private readonly scheduler: SipScheduler = realScheduler,
    opts: SipEndpointOptions = {},
  ) {
    this.transactions = new SipTransactionManager({ scheduler, maxServerTransactions: opts.maxServerTransactions });
    this.abandonedInvites = new AbandonedInvites({ transactions: this.transactions, scheduler, onEvent: (e) => this.onInviteEvent(e) });
    transport.on('message', (m, f) => this.onMessage(m, f));
    transport.on('badRequest', (req, f, code) => {
      if (!this.closed && !this.requestsStopped) transport.send(createResponse(req, 400, `Bad Request (${code})`), f);
    });
  }

  on(method: string, handler: RequestHandler): void {
    this.handlers.set(method.toUpperCase(), handler);
  }

  /** Adds an interceptor for `method`, asked in the order added before the handler (see RequestInterceptor). */
  intercept(method: string, fn: RequestInterceptor): void {
    const m = method.toUpperCase();
    this.interceptors.set(m, [...(this.interceptors.get(m) ?? []), fn]);
  }

  private onMessage(msg: SipMessage, flow: SipFlow): void {
    if (this.closed) return;
    if (msg.type === 'response') {
      // A 2xx to an INVITE whose transaction already ended (Timer B/M, or 64*T1 after our CANCEL) matches nothing
      // here; if we gave that INVITE up, the registry ACKs and BYEs it (RFC 3261 §15).
      if (!this.transactions.receiveResponse(msg) && !this.abandonedInvites.handleResponse(msg)) this.strayResponses++;
      return;
    }
    if (this.requestsStopped) return;
    // RFC 3261 §18.2.2 / RFC 3581: replies go to the source address and port (UDP) or back on the connection (TCP).
    const send = (m: SipMessage) => this.transport.send(m, flow);
    const reliable = flow.transport === 'tcp';
    const r = this.transactions.receiveRequest(msg, send, reliable);
    if (!r) {
      // A retransmission (answered with the last response), an absorbed ACK, or a 503 at the transaction cap.
      if (msg.method !== 'ACK') this.absorbedRequests++;
      return;
    }
    const tx: ServerTransaction = r.tx;
    const respond: IncomingRequest['respond'] = (status, reason, opts) => {
      this.transactions.respond(tx, createResponse(msg, status, reason, opts));
    };
    const respondStateless: IncomingRequest['respondStateless'] = (status, reason, opts) => {
      this.transactions.respondStateless(tx, createResponse(msg, status, reason, opts));
    };
    const drop = () => this.transactions.drop(tx);
    if (msg.method === 'ACK') return;
    const incoming: IncomingRequest = { req: msg, flow, respond, respondStateless, drop };
    for (const fn of this.interceptors.get(msg.method) ?? []) {
      try {
        if (fn(incoming)) return;
      } catch (e) {
        this.onHandlerError(e, msg);
        respond(500, 'Server Internal Error');
        return;
      }
    }
    const handler = this.handlers.get(msg.method);
    if (!handler) {
      const allow = new Set([...this.handlers.keys(), ...this.interceptors.keys()]);
      respond(405, 'Method Not Allowed', { headers: [['Allow', [...allow].join(', ')]] });
      return;
    }
    try {
      const p = handler(incoming);
      if (p && typeof p.then === 'function') {
        p.catch((e) => {
          this.onHandlerError(e, msg);
          try {
            respond(500, 'Server Internal Error');
          } catch {
            /* already answered */
          }
        });
      }
    } catch (e) {
      this.onHandlerError(e, msg);
      respond(500, 'Server Internal Error');
    }
  }

  /** Sends a request in a client transaction; resolves with the final response, rejects on Timer F/B. */
  request(
    req: SipRequest,
    flow: SipFlow,
    onProvisional?: (r: SipResponse) => void,
    /** INVITE: retransmitted 2xx after the first (the ACK was lost: send it again, RFC 3261 §13.2.2.4). */
    onRetransmitted2xx?: (r: SipResponse) => void,
  ): Promise<SipResponse> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('SIP endpoint closed'));
      let final = false;
      this.transactions.sendRequest(req, (m) => this.transport.send(m, flow), flow.transport === 'tcp', {
        onResponse: (res) => {
          if (res.status < 200) onProvisional?.(res);
          else if (final) {
            if (res.status < 300) onRetransmitted2xx?.(res);
          } else {
            final = true;
            resolve(res);
          }
        },
        onTimeout: () => reject(new SipRequestTimeoutError(`${req.method} to ${flow.remoteHost}:${flow.remotePort} timed out`)),
      });
    });
  }

  /**
   * An INVITE client usage for `invite` over `flow` (not started: call `start()`), using this endpoint's
   * transactions, scheduler and transport. It ACKs the 2xx, CANCELs on its answer timeout or `abandon()`, and
   * ACK + BYEs any 2xx that comes after it gave up, also after its transaction ended (via `abandonedInvites`).
   */
  invite(invite: SipRequest, flow: SipFlow, opts: InviteOptions): InviteClientUsage {
    if (this.closed) throw new Error('SIP endpoint closed');
    return new InviteClientUsage(invite, {
      transactions: this.transactions,
      send: (m) => this.transport.send(m, flow),
      reliable: flow.transport === 'tcp',
      scheduler: this.scheduler,
      answerTimeoutMs: opts.answerTimeoutMs,
      abandonedInvites: this.abandonedInvites,
      contact: opts.contact,
      onProvisional: opts.onProvisional,
      onEvent: opts.onEvent ?? ((e) => this.onInviteEvent(e)),
    });
  }

  /**
   * Sends a request inside `dialog` (BYE, INFO, ...) in a client transaction; resolves with the final response.
   *
   * Addressing (RFC 3261 §12.2.1.1 and NAT): the Request-URI is the dialog's remote target (the Contact of the
   * device's 2xx), but the packet goes over `flow`, which should be the flow the device REGISTERed from. Behind NAT
   * the Contact usually holds a private address (10.x, 192.168.x) we cannot reach; the registered flow (the source
   * address and port of its REGISTER and keepalives, or its TCP connection) is the pinhole the device keeps open.
   */
  sendInDialog(dialog: Dialog, method: string, flow: SipFlow, opts: InDialogOptions = {}): Promise<SipResponse> {
    let req: SipRequest;
    try {
      req = dialog.createRequest(method, { ...opts, via: this.viaFor(flow) } satisfies DialogRequestOptions);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.request(req, flow);
  }

  /** Our Via sent-by toward a flow: its transport, the local address the peer reached, our listening port. */
  viaFor(flow: SipFlow): DialogRequestOptions['via'] {
    return { transport: flow.transport.toUpperCase(), host: flow.localHost, port: this.transport.port || flow.localPort };
  }

  /** retransmittedRequests: request retransmissions a live server transaction absorbed (RFC 3261 §17.2.3 match). */
  get stats(): SipTransactionStats & { abandonedInvites: number; strayResponses: number; retransmittedRequests: number } {
    const t = this.transactions.stats;
    return { ...t, abandonedInvites: this.abandonedInvites.size, strayResponses: this.strayResponses, retransmittedRequests: this.absorbedRequests - t.capHits };
  }

  /**
   * First step of a shutdown: new requests are dropped (no handler runs on a closing application), while responses
   * still reach their transactions and the abandoned-INVITE registry until `close()`: a device's late 2xx to an INVITE
   * we gave up on as the gateway went down is ACKed and BYEd instead of leaving the camera streaming into nothing.
   */
  stopRequests(): void {
    this.requestsStopped = true;
  }

  /** Ends the abandoned-INVITE registry and every transaction (their usages' timers with them). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abandonedInvites.close();
    this.transactions.close();
  }
}

