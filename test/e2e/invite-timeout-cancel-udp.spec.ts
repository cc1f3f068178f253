import * as dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  createRequest,
  createResponse,
  getTag,
  newBranch,
  newTag,
  parseSipMessage,
  serializeSipMessage,
  type SipMessage,
  type SipRequest,
} from '@gb/gb28181';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';

const PASSWORD = '12345678';
const INVITE_TIMEOUT_MS = 1500;
const DEVICE_ID = '34020000001320000951';
// A camera registered on its own is its only channel (channel ID = device ID): no catalog needed.
const CHANNEL_ID = DEVICE_ID;

/**
 * A camera of our own on a raw UDP socket: it registers with digest, answers the gateway's MESSAGE/SUBSCRIBE with
 * 200, and keeps every INVITE, CANCEL, ACK and BYE for the test to answer by hand.
 */
class RawUdpCamera {
  private readonly sock = dgram.createSocket('udp4');
  private readonly inbox: { at: number; msg: SipMessage }[] = [];
  private waiters: (() => void)[] = [];
  port = 0;

  constructor(private readonly gatewayPort: number) {}

  async open(): Promise<void> {
    await new Promise<void>((done, fail) => {
      this.sock.once('error', fail);
      this.sock.bind(0, '127.0.0.1', () => done());
    });
    this.port = this.sock.address().port;
    this.sock.on('message', (buf) => {
      let msg: SipMessage;
      try {
        msg = parseSipMessage(buf);
      } catch {
        return;
      }
      if (msg.type === 'request' && !['INVITE', 'CANCEL', 'ACK', 'BYE'].includes(msg.method)) {
        this.send(createResponse(msg, 200)); // queries, subscriptions: accepted, not the subject here
        return;
      }
      this.inbox.push({ at: Date.now(), msg });
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(msg: SipMessage): void {
    this.sock.send(serializeSipMessage(msg), this.gatewayPort, '127.0.0.1');
  }

  /** The first message (not yet taken) that `pred` accepts, removed from the inbox. */
  async take(what: string, pred: (m: SipMessage) => boolean, timeoutMs = 5000): Promise<{ at: number; msg: SipMessage }> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((e) => pred(e.msg));
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; inbox: ${this.inbox.map((e) => summary(e.msg)).join(', ') || 'empty'}`);
      await new Promise<void>((done) => {
        const t = setTimeout(done, left);
        this.waiters.push(() => (clearTimeout(t), done()));
      });
    }
  }

  /** Requests of `method` that arrived and were not taken. */
  pending(method: string): SipRequest[] {
    return this.inbox.filter((e) => e.msg.type === 'request' && e.msg.method === method).map((e) => e.msg as SipRequest);
  }

  async register(): Promise<void> {
    const callId = `${newTag()}@127.0.0.1`;
    const fromTag = newTag();
    const uri = 'sip:34020000002000000001@3402000000';
    const reg = (cseq: number, auth?: string) =>
      createRequest({
        method: 'REGISTER', uri,
        via: { transport: 'UDP', host: '127.0.0.1', port: this.port, branch: newBranch(), rport: true },
        from: { uri: `sip:${DEVICE_ID}@3402000000`, tag: fromTag }, to: { uri: `sip:${DEVICE_ID}@3402000000` },
        callId, cseq, contact: `sip:${DEVICE_ID}@127.0.0.1:${this.port}`,
        headers: [['Expires', '3600'], ...(auth ? [['Authorization', auth] as [string, string]] : [])],
      });
    const isRegisterAnswer = (m: SipMessage) => m.type === 'response' && m.headers.get('Call-ID') === callId && m.status >= 200;
    this.send(reg(1));
    const challenge = (await this.take('401 to REGISTER', isRegisterAnswer)).msg;
    if (challenge.type !== 'response' || challenge.status !== 401) throw new Error(`REGISTER answered ${summary(challenge)}`);
    const auth = buildAuthorization({ challenge: challenge.headers.get('WWW-Authenticate')!, method: 'REGISTER', uri, username: DEVICE_ID, password: PASSWORD, cnonce: newTag(), nc: 1 });
    this.send(reg(2, auth));
    const ok = (await this.take('200 to REGISTER', isRegisterAnswer)).msg;
    if (ok.type !== 'response' || ok.status !== 200) throw new Error(`authorized REGISTER answered ${summary(ok)}`);
  }

  close(): void {
    this.sock.close();
  }
}

function summary(m: SipMessage): string {
  return m.type === 'request' ? m.method : `${m.status} (${m.headers.get('CSeq')})`;
}
const isRequest = (method: string, callId?: string) => (m: SipMessage) =>
  m.type === 'request' && m.method === method && (callId === undefined || m.headers.get('Call-ID') === callId);

describe('INVITE answer timeout over UDP (RFC 3261 §9.1, §15)', () => {
  let gw: TestGateway;
  let cam: RawUdpCamera;

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD, INVITE_TIMEOUT_MS: String(INVITE_TIMEOUT_MS) });
    cam = new RawUdpCamera(gw.sipPort);
    await cam.open();
    await cam.register();
    await waitFor('device online', async () => {
      const r = await gw.api<{ deviceId: string; online: boolean }[]>('/api/devices');
      return r.body?.find((d) => d.deviceId === DEVICE_ID)?.online;
    });
  }, 60_000);

  afterAll(async () => {
    cam?.close();
    await gw?.stop();
  });

  it('a device that sends 100 Trying and no answer gets CANCEL at INVITE_TIMEOUT_MS; its 2xx sent after the CANCEL gets ACK then BYE', async () => {
    const play = gw.api<{ code?: string }>(`/api/devices/${DEVICE_ID}/channels/${CHANNEL_ID}/play`, { method: 'POST', body: JSON.stringify({ transport: 'udp' }) });

    const { at: invitedAt, msg: invite } = await cam.take('INVITE', isRequest('INVITE'), 10_000);
    const inv = invite as SipRequest;
    const callId = inv.headers.get('Call-ID')!;
    cam.send(createResponse(inv, 100));

    const { at: cancelledAt, msg: cancel } = await cam.take('CANCEL', isRequest('CANCEL', callId), INVITE_TIMEOUT_MS + 3000);
    expect(cancelledAt - invitedAt).toBeGreaterThanOrEqual(INVITE_TIMEOUT_MS - 100);
    expect((cancel as SipRequest).uri).toBe(inv.uri);
    expect(cancel.headers.get('Via')).toBe(inv.headers.getAll('Via')[0]);
    expect(cancel.headers.get('CSeq')).toBe(`${inv.headers.get('CSeq')!.split(' ')[0]} CANCEL`);
    cam.send(createResponse(cancel as SipRequest, 200));

    // The device answers the INVITE anyway (it had already accepted, or ignores CANCEL): the gateway must end it.
    const contact = `sip:${CHANNEL_ID}@127.0.0.1:${cam.port}`;
    const sdp = `v=0\r\no=${CHANNEL_ID} 0 0 IN IP4 127.0.0.1\r\ns=Play\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 40000 RTP/AVP 96\r\na=sendonly\r\na=rtpmap:96 PS/90000\r\ny=0200000001\r\n`;
    const ok = createResponse(inv, 200, 'OK', { toTag: 'late2xx', headers: [['Contact', `<${contact}>`]], body: Buffer.from(sdp), contentType: 'APPLICATION/SDP' });
    cam.send(ok);

    const { at: ackedAt, msg: ack } = await cam.take('ACK', isRequest('ACK', callId), 5000);
    const { at: byeAt, msg: bye } = await cam.take('BYE', isRequest('BYE', callId), 5000);
    expect(byeAt).toBeGreaterThanOrEqual(ackedAt);
    expect((ack as SipRequest).uri).toBe(contact); // §12.1.2: the remote target is the 2xx's Contact
    expect(ack.headers.get('CSeq')).toBe(`${inv.headers.get('CSeq')!.split(' ')[0]} ACK`);
    expect(getTag(ack.headers.get('To')!)).toBe('late2xx');
    expect((bye as SipRequest).uri).toBe(contact);
    expect(getTag(bye.headers.get('To')!)).toBe('late2xx');
    expect(getTag(bye.headers.get('From')!)).toBe(getTag(inv.headers.get('From')!));
    cam.send(createResponse(bye as SipRequest, 200));

    // A retransmission of the 2xx is ACKed again, without a second BYE.
    cam.send(ok);
    await cam.take('second ACK', isRequest('ACK', callId), 3000);
    await new Promise((r) => setTimeout(r, 300));
    expect(cam.pending('BYE')).toHaveLength(0);

    const r = await play;
    expect(r.status, JSON.stringify(r.body)).toBeGreaterThanOrEqual(400);
    expect(r.body.code).toBe('DEVICE_NO_ANSWER');
  }, 30_000);
});
