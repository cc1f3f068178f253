import { randomBytes } from 'node:crypto';
import { buildAuthorization } from '@gb/gb28181';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { buildSipRequest, keepaliveBody, statusOf, tcpExchange, udpExchange } from '../support/raw-sip';
import { countOf, describeSipp, deviceId, runSipp, stopAllSipp } from '../support/sipp';
import { e2eGatewayEnv, SIP_PASSWORD, sipTarget, SIPP_CATALOG } from './e2e-fixture';

/**
 * Hostile peers on raw sockets. Each case shows either an error response or a dropped connection (UDP: silence),
 * and after each a sipp device still registers and keepalives and /api/health answers.
 */
const MAX_MESSAGE_BYTES = 4096;
const TCP_IDLE_TIMEOUT_MS = 1000;
const MANSCDP = 'Application/MANSCDP+xml';

let nextDevice = 100;

/**
 * A fresh sipp device registers with digest and sends keepalives, all answered, and answers the gateway's
 * DeviceInfo/Catalog queries (so no query is left waiting on a device that went away); /api/health answers.
 */
async function expectGatewayServing(gw: TestGateway): Promise<string> {
  const id = deviceId(nextDevice++);
  const r = await runSipp({
    scenario: 'device-lifecycle',
    ooc: 'device-answers',
    encoding: 'gb2312',
    target: sipTarget(gw),
    transport: 'udp',
    devices: [{ id, password: SIP_PASSWORD }],
    keys: { ka_count: 3 },
    args: ['-d', '250'],
  });
  expect(r.code, describeSipp(r)).toBe(0);
  expect(countOf(r.counts, 'MESSAGE', 'Sent')).toBe(3);
  const health = await fetch(`${gw.httpUrl}/api/health`);
  expect(health.status).toBe(200);
  expect(((await health.json()) as { status: string }).status).toBe('ok');
  return id;
}

/** Registers a device with sipp (so MESSAGE bodies from it reach the MANSCDP parser) and returns its ID. */
async function registeredDevice(gw: TestGateway): Promise<string> {
  return expectGatewayServing(gw);
}

/**
 * A digest for a MESSAGE from `id` (a keepalive from a new address is challenged: issue #16). The hostile bodies below
 * come from raw sockets, not from where the device registered, so they must authenticate to reach the MANSCDP parser.
 */
async function messageAuthorization(gw: TestGateway, id: string): Promise<[string, string]> {
  const challenge = await udpExchange(gw.sipPort, buildSipRequest({ method: 'MESSAGE', fromUser: id, contentType: MANSCDP, body: keepaliveBody(id) }));
  const header = /\r\nWWW-Authenticate:\s*([^\r\n]+)/i.exec(challenge?.toString('latin1') ?? '')?.[1];
  if (!header) throw new Error(`expected a 401 challenge, got ${statusOf(challenge)}`);
  const value = buildAuthorization({ challenge: header, method: 'MESSAGE', uri: 'sip:34020000002000000001@3402000000', username: id, password: SIP_PASSWORD, cnonce: 'cafe', nc: 1 });
  return ['Authorization', value];
}

function billionLaughs(id: string): string {
  const ents = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i < 10; i++) ents.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0" encoding="GB2312"?>\r\n<!DOCTYPE Notify [\r\n${ents.join('\r\n')}\r\n]>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>1</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>&lol9;</Status>\r\n</Notify>\r\n`;
}

function hugeCatalog(id: string, items: number): string {
  const parts = [`<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>77</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<SumNum>${items}</SumNum>\r\n<DeviceList Num="${items}">\r\n`];
  for (let i = 0; i < items; i++) parts.push(`<Item><DeviceID>3402000000131${String(i).padStart(7, '0')}</DeviceID><Name>c${i}</Name></Item>\r\n`);
  parts.push('</DeviceList>\r\n</Response>\r\n');
  return parts.join('');
}

describe('hostile SIP peers (SIP_MAX_MESSAGE_BYTES 4096, SIP_TCP_IDLE_TIMEOUT_MS 1000)', () => {
  let gw: TestGateway;
  let big: TestGateway;

  beforeAll(async () => {
    [gw, big] = await Promise.all([
      startTestGateway(e2eGatewayEnv({ SIP_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES), SIP_TCP_IDLE_TIMEOUT_MS: String(TCP_IDLE_TIMEOUT_MS) })),
      // Frames up to 16 MB: lets a 100,000-item catalog reach the MANSCDP bounds.
      startTestGateway(e2eGatewayEnv({ SIP_MAX_MESSAGE_BYTES: String(16 * 1024 * 1024), SIP_TCP_IDLE_TIMEOUT_MS: String(TCP_IDLE_TIMEOUT_MS) })),
    ]);
  });
  afterEach(async () => {
    await stopAllSipp();
  });
  afterAll(async () => {
    await Promise.all([gw?.stop(), big?.stop()]);
  });

  it('UDP: a request cut off inside its headers is dropped without an answer', async () => {
    const whole = buildSipRequest({ method: 'MESSAGE', fromUser: deviceId(1), contentType: MANSCDP, body: keepaliveBody(deviceId(1)) });
    const cut = whole.subarray(0, whole.indexOf('Call-ID') + 12);
    expect(await udpExchange(gw.sipPort, cut)).toBeUndefined();
    await expectGatewayServing(gw);
  });

  it('UDP: a request whose body is shorter than its Content-Length is answered 400 (RFC 3261 §18.3)', async () => {
    const id = await registeredDevice(gw);
    const body = keepaliveBody(id);
    const short = buildSipRequest({ method: 'MESSAGE', fromUser: id, contentType: MANSCDP, body: body.slice(0, 40), contentLength: body.length });
    expect(statusOf(await udpExchange(gw.sipPort, short))).toBe(400);
    await expectGatewayServing(gw);
  });

  it('UDP: an 8 KB datagram over the 4 KB bound is dropped without an answer', async () => {
    const id = await registeredDevice(gw);
    const body = `${keepaliveBody(id)}<!-- ${'x'.repeat(8192)} -->`;
    const req = buildSipRequest({ method: 'MESSAGE', fromUser: id, contentType: MANSCDP, body });
    expect(req.length).toBeGreaterThan(8192);
    expect(await udpExchange(gw.sipPort, req)).toBeUndefined();
    await expectGatewayServing(gw);
  });

  it('UDP: binary garbage is dropped without an answer', async () => {
    for (let i = 0; i < 20; i++) expect(await udpExchange(gw.sipPort, randomBytes(64 + i * 50), { timeoutMs: 100 })).toBeUndefined();
    await expectGatewayServing(gw);
  });

  it('TCP: a Content-Length larger than the body, then silence -> the connection is dropped after the idle timeout', async () => {
    const id = deviceId(2);
    const body = keepaliveBody(id);
    const req = buildSipRequest({ method: 'MESSAGE', transport: 'TCP', fromUser: id, contentType: MANSCDP, body: body.slice(0, 30), contentLength: body.length });
    const out = await tcpExchange(gw.sipPort, [req], { waitMs: TCP_IDLE_TIMEOUT_MS + 4000 });
    expect(out.closed).toBe(true);
    expect(out.data.length).toBe(0);
    expect(out.closedAfterMs).toBeGreaterThanOrEqual(TCP_IDLE_TIMEOUT_MS - 100);
    expect(out.closedAfterMs).toBeLessThan(TCP_IDLE_TIMEOUT_MS + 3000);
    await expectGatewayServing(gw);
  });

  it('TCP: binary garbage -> the connection is dropped with no answer', async () => {
    const out = await tcpExchange(gw.sipPort, [randomBytes(2048)], { waitMs: TCP_IDLE_TIMEOUT_MS + 4000 });
    expect(out.closed).toBe(true);
    expect(out.data.length).toBe(0);
    await expectGatewayServing(gw);
  });

  it('TCP: a frame announcing a body over the 4 KB bound -> the connection is dropped at once, before the idle timeout', async () => {
    const id = deviceId(3);
    const req = buildSipRequest({ method: 'MESSAGE', transport: 'TCP', fromUser: id, contentType: MANSCDP, body: 'x'.repeat(8192) });
    const out = await tcpExchange(gw.sipPort, [req], { waitMs: TCP_IDLE_TIMEOUT_MS + 4000 });
    expect(out.closed).toBe(true);
    expect(out.status).toBeUndefined();
    expect(out.closedAfterMs).toBeLessThan(TCP_IDLE_TIMEOUT_MS);
    await expectGatewayServing(gw);
  });

  it('TCP: a header block that keeps growing past the 4 KB bound (faster than the idle timeout) -> the connection is dropped', async () => {
    // 64 chunks of 2 KB, 50 ms apart: the idle timer never fires, so only the size bound can stop it.
    const chunks = [Buffer.from('MESSAGE sip:34020000002000000001@3402000000 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKbig\r\n')];
    for (let i = 0; i < 64; i++) chunks.push(Buffer.from(`X-Filler-${i}: ${'a'.repeat(2048)}\r\n`));
    const out = await tcpExchange(gw.sipPort, chunks, { gapMs: 50, waitMs: 500 });
    expect(out.closed).toBe(true);
    expect(out.status).toBeUndefined();
    // Dropped once the header section passes SIP_MAX_MESSAGE_BYTES (about 3 chunks; slack for delivery lag),
    // long before all 64 chunks (130 KB) were written.
    expect(out.written).toBeLessThanOrEqual(8);
    await expectGatewayServing(gw);
  });

  it('UDP: a MESSAGE with XML entity declarations (billion laughs) from a registered device -> 400, answered at once', async () => {
    const id = await registeredDevice(gw);
    const body = billionLaughs(id);
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_MESSAGE_BYTES - 600);
    const started = Date.now();
    const auth = await messageAuthorization(gw, id);
    const answer = await udpExchange(gw.sipPort, buildSipRequest({ method: 'MESSAGE', fromUser: id, contentType: MANSCDP, body, extraHeaders: [auth] }), { timeoutMs: 2000 });
    expect(statusOf(answer)).toBe(400);
    expect(Date.now() - started).toBeLessThan(1000);
    await expectGatewayServing(gw);
  });

  it('TCP: a 100,000-item catalog in one MESSAGE over the 4 KB bound -> the connection is dropped', async () => {
    const id = await registeredDevice(gw);
    const req = buildSipRequest({ method: 'MESSAGE', transport: 'TCP', fromUser: id, contentType: MANSCDP, body: hugeCatalog(id, 100_000) });
    const out = await tcpExchange(gw.sipPort, [req], { waitMs: 5000 });
    expect(out.closed).toBe(true);
    expect(out.status).toBeUndefined();
    await expectGatewayServing(gw);
  });

  it('TCP: a 100,000-item catalog in one MESSAGE within a 16 MB frame bound -> 400 (MANSCDP bounds), the connection stays usable', async () => {
    const id = await registeredDevice(big);
    const auth = await messageAuthorization(big, id);
    const req = buildSipRequest({ method: 'MESSAGE', transport: 'TCP', fromUser: id, contentType: MANSCDP, body: hugeCatalog(id, 100_000), extraHeaders: [auth] });
    expect(req.length).toBeGreaterThan(4 * 1024 * 1024);
    const out = await tcpExchange(big.sipPort, [req], { waitMs: 10_000, untilResponse: true });
    expect(out.status).toBe(400);
    expect(out.closed).toBe(false);
    // Only the two channels of the device's own (sipp) catalog: nothing of the rejected one was stored.
    const channels = await big.api<{ name: string }[]>(`/api/devices/${id}/channels`);
    expect(channels.body.map((c) => c.name).sort()).toEqual(SIPP_CATALOG.map((c) => c.name).sort());
    await expectGatewayServing(big);
  });
});
