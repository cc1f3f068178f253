import { describe, it, expect, afterEach } from 'vitest';
import * as iconv from 'iconv-lite';
import { encodeControl, encodePtzCmd, type SipRequest } from '@gb/gb28181';
import { FakePlatform, SERVER_ID, DOMAIN, DEVICE_ID, PASSWORD, NONCE, digestOk, digestParams } from '../test/fake-platform';
import { SimulatedDevice } from './simulated-device';
import { buildChannels, channelId, channelName, type SimulatedDeviceOptions, type SimTransport } from './sim-options';
import type { InviteHook } from './media/invite-hook';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(over: Partial<SimulatedDeviceOptions> = {}, transport: SimTransport = 'udp', tweak?: (p: FakePlatform) => void, onInvite?: InviteHook) {
  const platform = new FakePlatform(transport);
  tweak?.(platform);
  await platform.listen();
  cleanups.push(() => platform.close());
  const device = new SimulatedDevice({
    deviceId: DEVICE_ID, serverHost: '127.0.0.1', serverPort: platform.port, serverId: SERVER_ID, domain: DOMAIN, password: PASSWORD,
    transport, localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 60, charset: 'GB2312', catalogPerMessage: 2,
    channels: buildChannels(DEVICE_ID, 0, 5), manufacturer: 'GBSIM', model: 'SIM', firmware: '1.0', name: '模拟设备1',
    t1Ms: 50, retryDelayMs: 0, ...over,
  }, { onInvite });
  device.on('error', () => undefined);
  cleanups.push(() => device.stop({ unregister: false, timeoutMs: 500 }));
  return { platform, device };
}

function catalogQuery(sn: number): Buffer {
  return iconv.encode(
    `<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${DEVICE_ID}</DeviceID>\r\n</Query>\r\n`,
    'gb2312',
  );
}

describe('SimulatedDevice over UDP', () => {
  it('start() answers a 401 qop=auth challenge with a digest the platform verifies, then resolves registered', async () => {
    const { platform, device } = await setup();
    const events: string[] = [];
    device.on('registered', () => events.push('registered'));
    expect(await device.start()).toBe('registered');
    const regs = platform.requests('REGISTER');
    expect(regs).toHaveLength(2);
    expect(regs[0]!.headers.get('Authorization')).toBeUndefined();
    const auth = regs[1]!.headers.get('Authorization')!;
    expect(digestOk(auth, PASSWORD)).toBe(true);
    const p = digestParams(auth);
    expect(p).toMatchObject({ username: DEVICE_ID, realm: DOMAIN, nonce: NONCE, uri: `sip:${SERVER_ID}@${DOMAIN}`, qop: 'auth', nc: '00000001' });
    expect(p.cnonce).toMatch(/^[0-9a-f]{16}$/);
    expect(regs[1]!.headers.get('Expires')).toBe('3600');
    expect(regs[1]!.headers.get('Call-ID')).toBe(regs[0]!.headers.get('Call-ID'));
    expect(regs[1]!.headers.get('CSeq')).toBe('2 REGISTER');
    expect(events).toEqual(['registered']);
    expect(device.state).toBe('registered');
  });

  it('a challenge without qop yields the response of the GB28181 notes test vector', async () => {
    const { platform, device } = await setup({}, 'udp', (p) => (p.qop = false));
    expect(await device.start()).toBe('registered');
    const p = digestParams(platform.requests('REGISTER')[1]!.headers.get('Authorization')!);
    expect(p.response).toBe('dcb484b405fb3c5c7c78c25bec9cdcdd');
    expect(p.qop).toBeUndefined();
  });

  it('a wrong password gets 403 and start() resolves forbidden with a forbidden event', async () => {
    const { device } = await setup({ password: 'wrong' });
    let forbidden = 0;
    device.on('forbidden', () => forbidden++);
    expect(await device.start()).toBe('forbidden');
    expect(forbidden).toBe(1);
    expect(device.state).toBe('failed');
  });

  it('REGISTER unanswered is retransmitted with the same branch on Timer E, and registration still completes', async () => {
    const { platform, device } = await setup({}, 'udp', (p) => (p.dropRegisters = 2));
    expect(await device.start()).toBe('registered');
    const regs = platform.received.filter((r) => r.req.method === 'REGISTER');
    expect(regs.length).toBe(4);
    expect(regs[1]!.req.headers.get('Via')).toBe(regs[0]!.req.headers.get('Via'));
    const gap1 = regs[1]!.at - regs[0]!.at;
    const gap2 = regs[2]!.at - regs[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(40);
    expect(gap2).toBeGreaterThanOrEqual(gap1 * 1.5);
    expect(device.stats.retransmissions).toBe(2);
  });

  it('stop() while REGISTER is unanswered returns at once instead of waiting for Timer F, and start() resolves stopped', async () => {
    const { device } = await setup({ t1Ms: 500 }, 'udp', (p) => (p.dropRegisters = 100));
    const started = device.start();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await device.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await started).toBe('stopped');
    expect(device.state).toBe('stopped');
  });

  it('answers a Catalog query with 200, then ceil(5/2) GB2312 MESSAGEs, each sent only after the previous 200', async () => {
    // T1 above the platform's delay, so no retransmission blurs the count.
    const { platform, device } = await setup({ t1Ms: 500 }, 'udp', (p) => (p.messageDelayMs = 120));
    await device.start();
    const queries: number[] = [];
    device.on('query', (q) => queries.push(q.packetsSent));
    const q = platform.sendRequest('MESSAGE', catalogQuery(4711));
    await platform.until('200 to the query', () => platform.responses.find((r) => r.headers.get('Call-ID') === q.headers.get('Call-ID')));
    const answers = await platform.until('3 catalog MESSAGEs', () => {
      const m = platform.received.filter((r) => r.req.method === 'MESSAGE' && r.req.body.includes(Buffer.from('<CmdType>Catalog</CmdType>')));
      return m.length >= 3 && queries.length === 1 && m;
    });
    expect(answers).toHaveLength(3);
    for (let i = 1; i < answers.length; i++) expect(answers[i]!.at - answers[i - 1]!.at).toBeGreaterThanOrEqual(100);
    const names: string[] = [];
    for (const a of answers) {
      const text = iconv.decode(a.req.body, 'gb2312');
      expect(text).toMatch(/^<\?xml version="1.0" encoding="GB2312"\?>/);
      expect(text).toContain('<SN>4711</SN>');
      expect(text).toContain('<SumNum>5</SumNum>');
      expect(a.req.headers.get('Content-Type')).toBe('Application/MANSCDP+xml');
      for (const m of text.matchAll(/<Name>([^<]*)<\/Name>/g)) names.push(m[1]!);
      for (const m of text.matchAll(/<ParentID>([^<]*)<\/ParentID>/g)) expect(m[1]).toBe(DEVICE_ID);
    }
    expect(answers.map((a) => /<DeviceList Num="(\d+)">/.exec(iconv.decode(a.req.body, 'gb2312'))![1])).toEqual(['2', '2', '1']);
    expect(names).toEqual([1, 2, 3, 4, 5].map((i) => channelName(0, i)));
    expect(names[0]).toBe('东门路口一号');
    expect(queries).toEqual([3]);
  });

  it('a retransmitted query (same Call-ID and CSeq) gets the 200 again but is answered only once', async () => {
    const { platform, device } = await setup();
    await device.start();
    const body = catalogQuery(9);
    platform.sendRequest('MESSAGE', body, 'dup-1@127.0.0.1', 5);
    platform.sendRequest('MESSAGE', body, 'dup-1@127.0.0.1', 5);
    await platform.until('two 200s', () => platform.responses.filter((r) => r.headers.get('Call-ID') === 'dup-1@127.0.0.1').length === 2);
    await platform.until('catalog answers', () => platform.requests('MESSAGE').filter((r) => r.body.includes(Buffer.from('<SN>9</SN>'))).length === 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(platform.requests('MESSAGE').filter((r) => r.body.includes(Buffer.from('<SN>9</SN>')))).toHaveLength(3);
    expect(device.stats.queries).toBe(1);
  });

  it('answers DeviceInfo with its manufacturer and channel count, OPTIONS with 200 and SUBSCRIBE with 501', async () => {
    const { platform, device } = await setup();
    await device.start();
    platform.sendRequest('MESSAGE', Buffer.from(`<?xml version="1.0"?><Query><CmdType>DeviceInfo</CmdType><SN>3</SN><DeviceID>${DEVICE_ID}</DeviceID></Query>`));
    const info = await platform.until('DeviceInfo answer', () => platform.requests('MESSAGE').find((r) => r.body.includes(Buffer.from('<CmdType>DeviceInfo</CmdType>'))));
    const text = iconv.decode(info.body, 'gb2312');
    expect(text).toContain('<Manufacturer>GBSIM</Manufacturer>');
    expect(text).toContain('<Channel>5</Channel>');
    expect(text).toContain('<DeviceName>模拟设备1</DeviceName>');
    const opt = platform.sendRequest('OPTIONS');
    const sub = platform.sendRequest('SUBSCRIBE');
    const status = (r: SipRequest) => platform.responses.find((x) => x.headers.get('Call-ID') === r.headers.get('Call-ID'))?.status;
    await platform.until('OPTIONS and SUBSCRIBE answers', () => status(opt) && status(sub));
    expect(status(opt)).toBe(200);
    expect(status(sub)).toBe(501);
  });

  it('sends keepalives every interval with SN incrementing', async () => {
    const { platform, device } = await setup({ keepaliveSeconds: 1 });
    const seen: number[] = [];
    device.on('keepalive', (k) => k.ok && seen.push(k.sn));
    await device.start();
    const kas = await platform.until('2 keepalives', () => {
      const k = platform.requests('MESSAGE').filter((r) => r.body.includes(Buffer.from('<CmdType>Keepalive</CmdType>')));
      return k.length >= 2 && seen.length >= 2 && k;
    }, 4000);
    const sns = kas.map((k) => Number(/<SN>(\d+)<\/SN>/.exec(k.body.toString('latin1'))![1]));
    expect(sns[1]).toBe(sns[0]! + 1);
    expect(seen.slice(0, 2)).toEqual(sns.slice(0, 2));
    expect(kas[0]!.body.toString('latin1')).toContain('<Status>OK</Status>');
  });

  it('stop() unregisters with Expires 0 and a fresh nc, is idempotent and closes the socket', async () => {
    const { platform, device } = await setup();
    await device.start();
    let unregistered = 0;
    device.on('unregistered', () => unregistered++);
    await Promise.all([device.stop(), device.stop()]);
    await device.stop();
    const regs = platform.requests('REGISTER');
    expect(regs).toHaveLength(3);
    expect(regs[2]!.headers.get('Expires')).toBe('0');
    const auth = digestParams(regs[2]!.headers.get('Authorization')!);
    expect(auth.nc).toBe('00000002');
    expect(digestOk(regs[2]!.headers.get('Authorization')!, PASSWORD)).toBe(true);
    expect(unregistered).toBe(1);
    expect(device.state).toBe('stopped');
    const before = platform.received.length;
    platform.sendRequest('OPTIONS');
    await new Promise((r) => setTimeout(r, 100));
    expect(platform.received.length).toBe(before);
    expect(platform.responses.filter((r) => r.headers.get('CSeq')?.endsWith('OPTIONS'))).toHaveLength(0);
  });
});

describe('SimulatedDevice counts what the platform asks of it', () => {
  const status = (p: FakePlatform, callId: string) => p.responses.filter((r) => r.headers.get('Call-ID') === callId).map((r) => r.status);

  it('an INVITE without a media hook is counted with an invite event naming the channel, and its retransmission is not', async () => {
    const { platform, device } = await setup();
    await device.start();
    const invites: { channelId: string; callId: string }[] = [];
    device.on('invite', (i) => invites.push({ channelId: i.channelId, callId: i.callId }));
    const ch = channelId(DEVICE_ID, 1);
    platform.sendRequest('INVITE', undefined, 'inv-1@127.0.0.1', 1, `sip:${ch}@${DOMAIN}`);
    await platform.until('501', () => status(platform, 'inv-1@127.0.0.1').length === 1);
    platform.sendRequest('INVITE', undefined, 'inv-1@127.0.0.1', 1, `sip:${ch}@${DOMAIN}`);
    await platform.until('501 again', () => status(platform, 'inv-1@127.0.0.1').length === 2);
    expect(status(platform, 'inv-1@127.0.0.1')).toEqual([501, 501]);
    expect(invites).toEqual([{ channelId: ch, callId: 'inv-1@127.0.0.1' }]);
    expect(device.stats.invitesReceived).toBe(1);
  });

  it('an INVITE retransmitted while the media hook prepares its answer gets 100 again and reaches the hook once', async () => {
    let calls = 0;
    const hook: InviteHook = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 300));
      return { status: 488, reason: 'Not Acceptable Here' };
    };
    const { platform, device } = await setup({}, 'udp', undefined, hook);
    await device.start();
    platform.sendRequest('INVITE', undefined, 'inv-2@127.0.0.1', 1);
    await new Promise((r) => setTimeout(r, 100));
    platform.sendRequest('INVITE', undefined, 'inv-2@127.0.0.1', 1);
    await platform.until('final answer', () => status(platform, 'inv-2@127.0.0.1').includes(488));
    expect(status(platform, 'inv-2@127.0.0.1')).toEqual([100, 100, 488]);
    expect(calls).toBe(1);
    expect(device.stats.invitesReceived).toBe(1);
  });

  it('a DeviceControl PTZCmd to a channel gets 200, is counted in ptzCommands and emitted as a ptz event', async () => {
    const { platform, device } = await setup();
    await device.start();
    const ptz: { channelId: string; ptzCmd: string; sn: number }[] = [];
    device.on('ptz', (p) => ptz.push({ channelId: p.channelId, ptzCmd: p.ptzCmd, sn: p.sn }));
    const ch = channelId(DEVICE_ID, 1);
    const cmd = encodePtzCmd({ kind: 'move', pan: 1, tilt: 0, zoom: 0, speed: 0x80, zoomSpeed: 0 });
    const q = platform.sendRequest('MESSAGE', encodeControl('DeviceControl', 55, ch, { PTZCmd: cmd }), 'ptz-1@127.0.0.1', 1, `sip:${ch}@${DOMAIN}`);
    await platform.until('ptz event', () => ptz.length === 1);
    expect(status(platform, q.headers.get('Call-ID')!)).toEqual([200]);
    expect(ptz).toEqual([{ channelId: ch, ptzCmd: cmd, sn: 55 }]);
    expect(device.stats.ptzCommands).toBe(1);
    // A DeviceControl without PTZCmd (e.g. TeleBoot) is a query, not a PTZ command.
    platform.sendRequest('MESSAGE', encodeControl('DeviceControl', 56, DEVICE_ID, { TeleBoot: 'Boot' }));
    await platform.until('2 queries', () => device.stats.queries === 2);
    expect(device.stats.ptzCommands).toBe(1);
  });
});

describe('SimulatedDevice over TCP', () => {
  it('registers over one TCP connection and answers a Catalog query in UTF-8 when configured so', async () => {
    const { platform, device } = await setup({ charset: 'UTF-8', catalogPerMessage: 10 }, 'tcp');
    expect(await device.start()).toBe('registered');
    expect(platform.requests('REGISTER')[0]!.headers.get('Via')).toMatch(/^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+/);
    platform.sendRequest('MESSAGE', catalogQuery(77));
    const answer = await platform.until('catalog answer', () => platform.requests('MESSAGE').find((r) => r.body.includes(Buffer.from('<SN>77</SN>'))));
    const text = answer.body.toString('utf8');
    expect(text).toContain('encoding="UTF-8"');
    expect(text).toContain('<DeviceList Num="5">');
    expect(text).toContain(`<Name>${channelName(0, 3)}</Name>`);
  });
});
