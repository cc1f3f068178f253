import {
  SipTransactionManager,
  createResponse,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  type SipScheduler,
  type ServerTransaction,
} from '@gb/gb28181';
import type { SipFlow } from './sip-flow';
import type { SipTransport } from './sip-transport';

export interface IncomingRequest {
  req: SipRequest;
  flow: SipFlow;
  /** Sends the final (or provisional) response through the server transaction. */
  respond(status: number, reason?: string, opts?: Parameters<typeof createResponse>[3]): void;
}

export type RequestHandler = (r: IncomingRequest) => void | Promise<void>;

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
  private readonly handlers = new Map<string, RequestHandler>();
  private closed = false;
  onHandlerError: (e: unknown, req: SipRequest) => void = () => undefined;

  constructor(
    private readonly transport: SipTransport,
    scheduler: SipScheduler = realScheduler,
  ) {
    this.transactions = new SipTransactionManager({ scheduler });
    transport.on('message', (m, f) => this.onMessage(m, f));
    transport.on('badRequest', (req, f, code) => {
      if (!this.closed) transport.send(createResponse(req, 400, `Bad Request (${code})`), f);
    });
  }

  on(method: string, handler: RequestHandler): void {
    this.handlers.set(method.toUpperCase(), handler);
  }

  private onMessage(msg: SipMessage, flow: SipFlow): void {
    if (this.closed) return;
    if (msg.type === 'response') {
      this.transactions.receiveResponse(msg);
      return;
    }
    // RFC 3261 §18.2.2 / RFC 3581: replies go to the source address and port (UDP) or back on the connection (TCP).
    const send = (m: SipMessage) => this.transport.send(m, flow);
    const reliable = flow.transport === 'tcp';
    const r = this.transactions.receiveRequest(msg, send, reliable);
    if (!r) return; // retransmission or absorbed ACK
    const tx: ServerTransaction = r.tx;
    const respond: IncomingRequest['respond'] = (status, reason, opts) => {
      this.transactions.respond(tx, createResponse(msg, status, reason, opts));
    };
    if (msg.method === 'ACK') return;
    const handler = this.handlers.get(msg.method);
    if (!handler) {
      respond(405, 'Method Not Allowed', { headers: [['Allow', [...this.handlers.keys()].join(', ')]] });
      return;
    }
    try {
      const p = handler({ req: msg, flow, respond });
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

  close(): void {
    this.closed = true;
    this.transactions.close();
  }
}

