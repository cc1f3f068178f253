import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * Raw UDP/TCP sockets for hostile-peer tests: send exactly the bytes given (no framing, no fixing) and
 * observe what comes back: a response, silence, or a dropped connection.
 */

export interface RawRequestOptions {
  method: string;
  /** Request-URI; default sip:34020000002000000001@3402000000. */
  uri?: string;
  fromUser: string;
  toUser?: string;
  domain?: string;
  transport?: 'UDP' | 'TCP';
  /** Address put in Via (the gateway answers to the source address anyway, RFC 3581). */
  viaHost?: string;
  viaPort?: number;
  callId?: string;
  cseq?: number;
  contentType?: string;
  body?: string | Buffer;
  /** Content-Length to write instead of the body's length (to lie about it). */
  contentLength?: number;
  extraHeaders?: [string, string][];
}

/** Builds a SIP request as bytes (CRLF line ends, a fresh branch, Content-Length from the body unless overridden). */
export function buildSipRequest(o: RawRequestOptions): Buffer {
  const domain = o.domain ?? '3402000000';
  const toUser = o.toUser ?? '34020000002000000001';
  const body = o.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body, 'utf8');
  const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
  const lines = [
    `${o.method} ${o.uri ?? `sip:${toUser}@${domain}`} SIP/2.0`,
    `Via: SIP/2.0/${o.transport ?? 'UDP'} ${o.viaHost ?? '127.0.0.1'}:${o.viaPort ?? 5060};rport;branch=${branch}`,
    `From: <sip:${o.fromUser}@${domain}>;tag=${randomBytes(4).toString('hex')}`,
    `To: <sip:${toUser}@${domain}>`,
    `Call-ID: ${o.callId ?? `${randomBytes(8).toString('hex')}@127.0.0.1`}`,
    `CSeq: ${o.cseq ?? 1} ${o.method}`,
    'Max-Forwards: 70',
    ...(o.extraHeaders ?? []).map(([k, v]) => `${k}: ${v}`),
    ...(o.contentType ? [`Content-Type: ${o.contentType}`] : []),
    `Content-Length: ${o.contentLength ?? body.length}`,
    '',
    '',
  ];
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}

/** The status code of a SIP response's first line, or undefined when the bytes are not a response. */
export function statusOf(bytes: Buffer | undefined): number | undefined {
  if (!bytes) return undefined;
  const m = /^SIP\/2\.0 (\d{3}) /.exec(bytes.subarray(0, 64).toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

/**
 * Sends one datagram from a fresh socket and waits for the first answer (undefined on silence).
 * Responses to requests the gateway itself sends later (queries) are not expected here.
 */
export async function udpExchange(port: number, bytes: Buffer, opts: { host?: string; timeoutMs?: number; localAddress?: string } = {}): Promise<Buffer | undefined> {
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise<void>((done, fail) => {
      sock.once('error', fail);
      sock.bind(0, opts.localAddress ?? '127.0.0.1', () => done());
    });
    const answer = new Promise<Buffer | undefined>((done) => {
      const t = setTimeout(() => done(undefined), opts.timeoutMs ?? 1000);
      sock.once('message', (m) => {
        clearTimeout(t);
        done(m);
      });
    });
    sock.send(bytes, port, opts.host ?? '127.0.0.1');
    return await answer;
  } finally {
    sock.close();
  }
}

export interface TcpOutcome {
  /** Everything the gateway sent back. */
  data: Buffer;
  /** Whether the gateway closed (or reset) the connection before we gave up. */
  closed: boolean;
  /** Milliseconds from the last byte we wrote to the close, when closed. */
  closedAfterMs?: number;
  /** The first response's status code, if any. */
  status?: number;
  /** How many of the chunks were written before the connection closed. */
  written: number;
}

/**
 * Connects, writes the chunks (with an optional pause between them), then waits until the gateway closes the
 * connection or `waitMs` passes. `untilResponse`: stop as soon as a whole response head has arrived.
 */
export async function tcpExchange(
  port: number,
  chunks: Buffer[],
  opts: { host?: string; waitMs?: number; gapMs?: number; untilResponse?: boolean } = {},
): Promise<TcpOutcome> {
  const sock = net.connect({ host: opts.host ?? '127.0.0.1', port });
  sock.on('error', () => undefined);
  await new Promise<void>((done, fail) => {
    sock.once('connect', () => done());
    sock.once('error', fail);
  });
  const received: Buffer[] = [];
  let closedAt: number | undefined;
  let wroteAt = Date.now();
  const closed = new Promise<void>((done) => sock.once('close', () => {
    closedAt = Date.now();
    done();
  }));
  let onHead: (() => void) | undefined;
  const head = new Promise<void>((done) => (onHead = done));
  sock.on('data', (d) => {
    received.push(d);
    if (Buffer.concat(received).includes('\r\n\r\n')) onHead?.();
  });
  let written = 0;
  for (const [i, c] of chunks.entries()) {
    if (sock.destroyed || closedAt !== undefined) break;
    written++;
    await new Promise<void>((done) => sock.write(c, () => done()));
    wroteAt = Date.now();
    if (opts.gapMs && i < chunks.length - 1) await new Promise((r) => setTimeout(r, opts.gapMs));
  }
  const waits: Promise<unknown>[] = [closed, new Promise((r) => setTimeout(r, opts.waitMs ?? 2000))];
  if (opts.untilResponse) waits.push(head);
  await Promise.race(waits);
  const data = Buffer.concat(received);
  const isClosed = closedAt !== undefined;
  sock.destroy();
  return { data, closed: isClosed, closedAfterMs: isClosed ? closedAt! - wroteAt : undefined, status: statusOf(data), written };
}

/** A keepalive body (GB/T 28181 §9.6). */
export function keepaliveBody(deviceId: string, sn = 1): string {
  return `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${deviceId}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;
}
