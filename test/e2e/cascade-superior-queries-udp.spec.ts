import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeControl, encodePtzCmd, encodeQuery, newBranch, parseManscdp, type CatalogItem, type ManscdpMessage, type SipRequest } from '@gb/gb28181';
import { FakeSuperior } from '../support/fake-superior';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { buildChannels, channelId, SIM_RECORDS_PER_QUERY, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';

/**
 * The gateway as a lower platform answering its superior (issue 11 items 3 and 5), over UDP: a superior played by a
 * raw socket (test/support/fake-superior.ts) registered with, a simulated NVR (GB2312 names, a business group and a
 * virtual organisation in its catalog) whose three channels are shared, and a second camera that is not.
 */
const GATEWAY_ID = '34020000002000000001';
const DOMAIN = '3402000000';
const PLATFORM_PASSWORD = 'cascade-pass-1';
const DEVICE_PASSWORD = '12345678';
const NVR = '34020000001180000001';
const OTHER = '34020000001180000002';
const BG = '34020000002150000001';
const VO = '34020000002160000001';
const [CH1, CH2, CH3] = [1, 2, 3].map((i) => channelId(NVR, i)) as [string, string, string];

const decode = (req: SipRequest): ManscdpMessage => parseManscdp(req.body);
const isCmd = (req: SipRequest, cmdType: string, sn?: number) =>
  req.method === 'MESSAGE' && new RegExp(`<CmdType>${cmdType}</CmdType>`).test(req.body.toString('latin1')) && (sn === undefined || req.body.toString('latin1').includes(`<SN>${sn}</SN>`));

describe('cascade: the gateway answers its superior (UDP)', () => {
  let gw: TestGateway;
  let nvr: SimulatedDevice;
  let other: SimulatedDevice;
  let superior: FakeSuperior;
  const atNvr: QueryEvent[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_ID: GATEWAY_ID, SIP_DOMAIN: DOMAIN, SIP_PASSWORD: DEVICE_PASSWORD });
    // The NVR's catalog: a business group, a virtual organisation under it, three channels (the first under the VO).
    const channels: Partial<CatalogItem>[] = [
      { deviceId: BG, name: '交通分组', parental: 1 },
      { deviceId: VO, name: '东区', parental: 1, parentId: BG },
      ...buildChannels(NVR, 0, 3).map((c, i) => (i === 0 ? { ...c, parentId: VO } : c)),
    ];
    [nvr, other] = await Promise.all([
      startSimDevice(gw, { deviceId: NVR, password: DEVICE_PASSWORD, channels: 5, name: 'nvr', extra: { channels } }, (d) => d.on('query', (q: QueryEvent) => atNvr.push(q))),
      startSimDevice(gw, { deviceId: OTHER, password: DEVICE_PASSWORD, channels: 1, name: 'other' }),
    ]);
    superior = new FakeSuperior({ transport: 'udp', password: PLATFORM_PASSWORD, user: GATEWAY_ID, domain: DOMAIN });
    const port = await superior.start();
    const created = await gw.api<{ id: string }>('/api/platforms', {
      method: 'POST',
      body: JSON.stringify({ name: '市指挥中心', serverId: superior.serverId, domain: DOMAIN, host: '127.0.0.1', port, transport: 'udp', password: PLATFORM_PASSWORD, channels: [CH1, CH2, CH3] }),
    });
    expect(created.status).toBe(201);
    await waitFor('registered with the superior', async () => superior.isRegistered && (await gw.api<{ state: string }>(`/api/platforms/${created.body.id}`)).body.state === 'online', 5_000);
  }, 60_000);

  /** Sends a Catalog query and resolves with the answer packets once their items add up to SumNum. */
  async function askCatalog(sn: number): Promise<SipRequest[]> {
    expect((await superior.message(encodeQuery('Catalog', sn, GATEWAY_ID))).status).toBe(200);
    return waitFor(`the whole catalog SN ${sn}`, () => {
      const got = superior.seen.filter((s) => isCmd(s.req, 'Catalog', sn)).map((s) => s.req);
      const items = got.flatMap((r) => (decode(r) as Extract<ManscdpMessage, { kind: 'CatalogResponse' }>).items);
      const sum = got[0] ? (decode(got[0]) as Extract<ManscdpMessage, { kind: 'CatalogResponse' }>).sumNum : -1;
      return items.length === sum ? got : undefined;
    }, 5_000);
  }

  afterAll(async () => {
    await Promise.all([nvr?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined), other?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined)]);
    await gw?.stop();
    await superior?.close();
  });

  it('Catalog: 200, then every shared channel with its GB2312 name and the regions and groups it hangs under, in packets that add up to SumNum', async () => {
    const packets = await askCatalog(101);
    expect(packets.length).toBeGreaterThan(1);
    const all = packets.map((r) => decode(r) as Extract<ManscdpMessage, { kind: 'CatalogResponse' }>);
    expect(all.every((m) => m.root === 'Response' && m.deviceId === GATEWAY_ID && m.sumNum === 7)).toBe(true);
    const items = new Map(all.flatMap((m) => m.items).map((i) => [i.deviceId, i]));
    // Regions top first, then the business group, the organisation under it, then the channels (by ID).
    expect([...items.keys()]).toEqual(['34', '3402', BG, VO, ...[CH1, CH2, CH3].sort()]);
    expect(items.get(VO)).toMatchObject({ name: '东区', parentId: BG, parental: 1 });
    expect(items.get(BG)).toMatchObject({ name: '交通分组' });
    expect(items.get(CH1)).toMatchObject({ name: '东门路口一号', parentId: VO, civilCode: '3402', status: 'ON', parental: 0 });
    expect(items.get(CH2)).toMatchObject({ name: '东门路口二号', parentId: GATEWAY_ID, status: 'ON' });
    // The names travel as GB2312 bytes, in bodies that say so.
    const bytes = Buffer.concat(packets.map((r) => r.body));
    expect(bytes.includes(iconv.encode('东门路口一号', 'gb2312'))).toBe(true);
    expect(packets.every((r) => r.body.toString('latin1').startsWith('<?xml version="1.0" encoding="GB2312"?>'))).toBe(true);
    // Nothing of the camera that is not shared.
    expect(bytes.includes(Buffer.from(channelId(OTHER, 1)))).toBe(false);
  });

  it('DeviceInfo and DeviceStatus of the platform itself and of a shared channel', async () => {
    expect((await superior.message(encodeQuery('DeviceInfo', 201, GATEWAY_ID))).status).toBe(200);
    expect((await superior.message(encodeQuery('DeviceStatus', 202, GATEWAY_ID))).status).toBe(200);
    expect((await superior.message(encodeQuery('DeviceStatus', 203, CH2))).status).toBe(200);
    expect((await superior.message(encodeQuery('DeviceInfo', 204, CH1))).status).toBe(200);
    const info = decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceInfo', 201), 3_000, true));
    expect(info).toMatchObject({ kind: 'DeviceInfoResponse', deviceId: GATEWAY_ID, result: 'OK', channel: 3 });
    const status = decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceStatus', 202), 3_000, true));
    expect(status).toMatchObject({ kind: 'DeviceStatusResponse', deviceId: GATEWAY_ID, online: 'ONLINE', result: 'OK' });
    expect(decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceStatus', 203), 3_000, true))).toMatchObject({ deviceId: CH2, online: 'ONLINE', status: 'OK' });
    expect(decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceInfo', 204), 3_000, true))).toMatchObject({ deviceId: CH1, deviceName: '东门路口一号', manufacturer: 'GBSIM' });
    // A superior that addresses the channel itself in the Request-URI and To is answered the same way.
    const toChannel = superior.buildRequest('MESSAGE', encodeQuery('DeviceStatus', 205, CH2), 'Application/MANSCDP+xml');
    toChannel.uri = `sip:${CH2}@${DOMAIN}`;
    toChannel.headers.set('To', `<sip:${CH2}@${DOMAIN}>`);
    expect((await superior.send(toChannel)).status).toBe(200);
    expect(decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceStatus', 205), 3_000, true))).toMatchObject({ deviceId: CH2, online: 'ONLINE' });
  });

  it('RecordInfo for a shared channel goes to the NVR and its recordings come back under the superior\'s SN, SumNum as found', async () => {
    const q = encodeQuery('RecordInfo', 301, CH1, { StartTime: '2026-11-29T08:00:00', EndTime: '2026-11-29T09:00:00', Secrecy: 0, Type: 'all' });
    expect((await superior.message(q)).status).toBe(200);
    const answers = await waitFor('the recordings', () => {
      const got = superior.seen.filter((s) => isCmd(s.req, 'RecordInfo', 301)).map((s) => decode(s.req) as Extract<ManscdpMessage, { kind: 'RecordInfoResponse' }>);
      return got.flatMap((m) => m.items).length === SIM_RECORDS_PER_QUERY ? got : undefined;
    }, 15_000);
    expect(answers.every((m) => m.deviceId === CH1 && m.sumNum === SIM_RECORDS_PER_QUERY)).toBe(true);
    expect(answers.flatMap((m) => m.items).map((i) => i.startTime)).toEqual(['2026-11-29T08:00:00', '2026-11-29T08:20:00', '2026-11-29T08:40:00']);
    expect(atNvr.some((e) => e.kind === 'RecordInfoQuery' && e.targetId === CH1)).toBe(true);
  });

  it('a PTZ DeviceControl reaches the simulated camera and is answered OK; one for the platform itself is answered ERROR', async () => {
    const cmd = encodePtzCmd({ kind: 'move', pan: 1, tilt: 0, zoom: 0, speed: 0x80, zoomSpeed: 0 });
    expect((await superior.message(encodeControl('DeviceControl', 401, CH1, { PTZCmd: cmd }))).status).toBe(200);
    const atCamera = await waitFor('the PTZ command at the NVR', () => atNvr.find((e) => e.cmdType === 'DeviceControl' && e.ptzCmd === cmd), 5_000);
    expect(atCamera.targetId).toBe(CH1);
    const answer = decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceControl', 401), 5_000, true));
    expect(answer).toMatchObject({ root: 'Response', deviceId: CH1, fields: { Result: 'OK' } });

    expect((await superior.message(encodeControl('DeviceControl', 402, GATEWAY_ID, { TeleBoot: 'Boot' }))).status).toBe(200);
    expect(decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceControl', 402), 5_000, true))).toMatchObject({ deviceId: GATEWAY_ID, fields: { Result: 'ERROR' } });
  });

  it('hostile or foreign: an unshared or unknown channel is 404, malformed MANSCDP is 400, and the next query is answered as before', async () => {
    const otherChannel = channelId(OTHER, 1);
    expect((await superior.message(encodeQuery('DeviceStatus', 501, otherChannel))).status).toBe(404);
    expect((await superior.message(encodeControl('DeviceControl', 502, otherChannel, { PTZCmd: encodePtzCmd({ kind: 'stop' }) }))).status).toBe(404);
    expect((await superior.message(encodeQuery('DeviceStatus', 503, '99999999991310000009'))).status).toBe(404);
    for (const bad of [
      Buffer.from('not xml at all'),
      Buffer.from('<?xml version="1.0"?><Query><CmdType>Catalog</CmdType></Query>'),
      Buffer.from('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Query><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>x</DeviceID></Query>'),
      Buffer.from(`<?xml version="1.0"?><Query><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>${GATEWAY_ID}</DeviceID>${'<Item/>'.repeat(500)}</Query>`),
    ]) {
      expect((await superior.message(bad)).status).toBe(400);
    }
    expect((await superior.message(encodeQuery('RecordInfo', 504, CH1, { StartTime: 'yesterday', EndTime: 'today' }))).status).toBe(400);
    expect((await superior.message(encodeQuery('DeviceStatus', 505, GATEWAY_ID))).status).toBe(200);
    expect(decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceStatus', 505), 3_000, true))).toMatchObject({ online: 'ONLINE' });
  });

  it('a camera alarm reaches the superior as an Alarm Notify of the channel, description in GB2312', async () => {
    expect(await nvr.sendAlarm({ channelId: CH2, priority: 2, method: 5, description: '视频丢失', time: '2026-11-29T08:00:00' })).toBe(200);
    const alarm = await superior.waitForRequest((r) => isCmd(r, 'Alarm') && r.body.toString('latin1').includes(CH2), 5_000, true);
    expect(decode(alarm)).toMatchObject({ kind: 'Alarm', root: 'Notify', deviceId: CH2, alarmPriority: '2', alarmMethod: '5', alarmTime: '2026-11-29T08:00:00', alarmDescription: '视频丢失' });
    expect(alarm.body.includes(iconv.encode('视频丢失', 'gb2312'))).toBe(true);
    // The camera's alarm of a channel not shared goes nowhere.
    expect(await other.sendAlarm({ channelId: channelId(OTHER, 1), description: '越界' })).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(superior.seen.some((s) => isCmd(s.req, 'Alarm') && s.req.body.toString('latin1').includes(channelId(OTHER, 1)))).toBe(false);
  });

  it('Catalog SUBSCRIBE: 200 with Expires; the NVR going offline reaches the superior by NOTIFY (OFF for each channel); Expires 0 ends it', async () => {
    expect((await superior.request('SUBSCRIBE', undefined, undefined, [['Event', 'Alarm'], ['Expires', '600']])).status).toBe(489);
    const sub = superior.buildRequest('SUBSCRIBE', encodeQuery('Catalog', 601, GATEWAY_ID), 'Application/MANSCDP+xml', [['Event', 'Catalog;id=7'], ['Expires', '600']]);
    const ok = await superior.send(sub);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('Expires')).toBe('600');
    const toTag = /;tag=([^;]+)/.exec(ok.headers.get('To') ?? '')?.[1];
    expect(toTag).toBeTruthy();
    // As superiors do after subscribing: the whole catalog, which later changes are told against.
    await askCatalog(600);

    await nvr.stop({ unregister: true, timeoutMs: 2_000 });
    const notify = await superior.waitForRequest((r) => r.method === 'NOTIFY' && r.body.toString('latin1').includes('<Event>OFF</Event>'), 5_000, true);
    expect(notify.headers.get('Event')).toBe('Catalog;id=7');
    expect(notify.headers.get('Subscription-State')).toMatch(/^active;expires=\d+$/);
    expect(notify.headers.get('Call-ID')).toBe(sub.headers.get('Call-ID'));
    expect(notify.headers.get('From')).toContain(`tag=${toTag}`);
    const m = decode(notify) as Extract<ManscdpMessage, { kind: 'CatalogNotify' }>;
    expect(m).toMatchObject({ root: 'Notify', deviceId: GATEWAY_ID });
    await waitFor('OFF for the three channels', () => {
      const offs = superior.seen.filter((s) => s.req.method === 'NOTIFY').flatMap((s) => (decode(s.req) as Extract<ManscdpMessage, { kind: 'CatalogNotify' }>).items);
      return [CH1, CH2, CH3].every((id) => offs.some((i) => i.deviceId === id && i.event === 'OFF'));
    }, 5_000);
    expect(superior.seen.some((s) => isCmd(s.req, 'Catalog') && s.req.body.toString('latin1').includes('<Notify>'))).toBe(false);

    // With the NVR gone: its channel reads OFFLINE, and a record search is answered at once with nothing and ERROR.
    expect((await superior.message(encodeQuery('DeviceStatus', 602, CH3))).status).toBe(200);
    expect(decode(await superior.waitForRequest((r) => isCmd(r, 'DeviceStatus', 602), 3_000, true))).toMatchObject({ deviceId: CH3, online: 'OFFLINE', status: 'ERROR' });
    expect((await superior.message(encodeQuery('RecordInfo', 603, CH3, { StartTime: '2026-11-29T08:00:00', EndTime: '2026-11-29T09:00:00' }))).status).toBe(200);
    expect(decode(await superior.waitForRequest((r) => isCmd(r, 'RecordInfo', 603), 3_000, true))).toMatchObject({ kind: 'RecordInfoResponse', deviceId: CH3, sumNum: 0, items: [], fields: { Result: 'ERROR' } });

    // Unsubscribe in the dialog: 200 with Expires 0, then a NOTIFY that ends it.
    const unsub = superior.buildRequest('SUBSCRIBE', undefined, undefined, [['Event', 'Catalog;id=7'], ['Expires', '0']]);
    unsub.headers.set('Call-ID', sub.headers.get('Call-ID')!);
    unsub.headers.set('From', sub.headers.get('From')!);
    unsub.headers.set('To', `${sub.headers.get('To')!};tag=${toTag}`);
    unsub.headers.set('CSeq', '9999 SUBSCRIBE');
    unsub.headers.set('Via', `SIP/2.0/UDP 127.0.0.1:${superior.port};rport;branch=${newBranch()}`);
    expect((await superior.send(unsub)).status).toBe(200);
    await superior.waitForRequest((r) => r.method === 'NOTIFY' && /^terminated/.test(r.headers.get('Subscription-State') ?? ''), 3_000, true);
  });
});
