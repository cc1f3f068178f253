import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ChannelDto, ChannelPageDto, DeviceDto, GatewayEvent, RecordListDto } from '@gb/contracts';
import { FakeLowerPlatform, gb2312 } from '../support/fake-lower-platform';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { buildSipRequest } from '../support/raw-sip';
import { e2eGatewayEnv, SIP_PASSWORD } from './e2e-fixture';

/**
 * Issue 11 item 6: a lower platform (ID type 200, e.g. another copy of this gateway, WVP or LiveGBS) registers with
 * the gateway as a device does. Played by a raw UDP socket (test/support/fake-lower-platform.ts): digest REGISTER,
 * a GB2312 catalog in three packets (sent out of order) holding a civil-code region, a business group, a virtual
 * organisation and three cameras under them; then the gateway's catalog SUBSCRIBE and the platform's NOTIFYs.
 */
const PLATFORM = '34020000002000000009';
const REGION = '340200';
const GROUP = '34020000002150000001';
const ORG = '34020000002160000001';
const CAM1 = '34020000001310000001';
const CAM2 = '34020000001310000002';
const CAM3 = '34020000001320000003';
const CAM4 = '34020000001310000004';

const item = (id: string, name: string, extra: string) => `<Item><DeviceID>${id}</DeviceID><Name>${name}</Name>${extra}</Item>`;
const CATALOG = [
  item(REGION, '合肥市', '<Parental>1</Parental>'),
  item(GROUP, '交通卡口', `<Parental>1</Parental><ParentID>${PLATFORM}</ParentID>`),
  item(ORG, '东门片区', `<Parental>1</Parental><ParentID>${GROUP}</ParentID><BusinessGroupID>${GROUP}</BusinessGroupID>`),
  item(CAM1, '东门一号', `<Manufacturer>Hikvision</Manufacturer><Parental>0</Parental><ParentID>${ORG}</ParentID><CivilCode>${REGION}</CivilCode><Status>ON</Status>`),
  item(CAM2, '东门二号', `<Parental>0</Parental><ParentID>${PLATFORM}/${GROUP}/${ORG}</ParentID><CivilCode>${REGION}</CivilCode><Status>ON</Status>`),
  item(CAM3, '南门', `<Parental>0</Parental><ParentID>${REGION}</ParentID><CivilCode>${REGION}</CivilCode><Status>ON</Status>`),
];

describe('a lower platform (ID type 200) registering with the gateway over UDP', () => {
  let gw: TestGateway;
  let platform: FakeLowerPlatform;
  let ws: WebSocket;
  const events: Array<GatewayEvent & { receivedAt: number }> = [];

  beforeAll(async () => {
    // Keepalives are not the subject here: the platform sends none, and stays online for the whole spec.
    gw = await startTestGateway(e2eGatewayEnv({ KEEPALIVE_INTERVAL_S: '60', KEEPALIVE_MAX_MISSED: '3' }));
    platform = new FakeLowerPlatform({ id: PLATFORM, password: SIP_PASSWORD, gatewayPort: gw.sipPort, catalog: CATALOG, perPacket: 2, packetOrder: [0, 2, 1] });
    await platform.start();
    const token = (await gw.auth()).authorization.slice('Bearer '.length);
    ws = new WebSocket(`${gw.httpUrl.replace('http', 'ws')}/api/events?access_token=${token}`);
    ws.on('message', (m) => events.push({ ...(JSON.parse(String(m)) as GatewayEvent), receivedAt: Date.now() }));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  });

  afterAll(async () => {
    ws?.close();
    await gw?.stop();
    await platform?.close();
  });

  const channels = async () => {
    const r = await gw.api<ChannelDto[]>(`/api/devices/${PLATFORM}/channels`);
    expect(r.status).toBe(200);
    return new Map(r.body.map((c) => [c.channelId, c]));
  };

  it('registers with digest, shows as a device whose catalog keeps the tree: directories marked, three cameras counted, GB2312 names', async () => {
    expect(await platform.register()).toBe(200);
    const device = await waitFor('the catalog stored', async () => {
      const d = (await gw.api<DeviceDto>(`/api/devices/${PLATFORM}`)).body;
      return d.online && d.catalogSyncedAt && d.name === '下级平台' ? d : undefined;
    }, 8_000);
    expect(device).toMatchObject({ channelCount: 3, manufacturer: 'WVP' });

    const byId = await channels();
    expect([...byId.keys()].sort()).toEqual([CAM1, CAM2, CAM3, GROUP, ORG, REGION].sort());
    expect([REGION, GROUP, ORG, CAM1, CAM2, CAM3].map((id) => [byId.get(id)!.kind, byId.get(id)!.isDirectory])).toEqual([
      ['region', true], ['business-group', true], ['virtual-organisation', true], ['channel', false], ['channel', false], ['channel', false],
    ]);
    expect(byId.get(ORG)).toMatchObject({ name: '东门片区', parentId: GROUP, businessGroupId: GROUP });
    expect(byId.get(CAM1)).toMatchObject({ name: '东门一号', parentId: ORG, civilCode: REGION, status: 'ON', manufacturer: 'Hikvision' });
    expect(byId.get(CAM2)!.parentId).toBe(`${PLATFORM}/${GROUP}/${ORG}`);
    expect(byId.get(CAM3)).toMatchObject({ name: '南门', parentId: REGION });

    // The all-channels list (the dashboard tree's source) carries the same marks.
    const page = (await gw.api<ChannelPageDto>('/api/channels?search=340200000021')).body;
    expect(page.items.map((c) => [c.channelId, c.kind, c.isDirectory])).toEqual([[GROUP, 'business-group', true], [ORG, 'virtual-organisation', true]]);
  });

  it('the gateway SUBSCRIBEs to the catalog; a NOTIFY OFF marks a camera offline in the API and on the event socket within 2 s; ADD adds one', async () => {
    const subscribe = await waitFor('the SUBSCRIBE', () => platform.received('SUBSCRIBE')[0], 5_000);
    expect(subscribe.uri).toBe(`sip:${PLATFORM}@127.0.0.1:${platform.port}`);
    expect(subscribe.headers.get('Event')).toBe('Catalog');
    expect(subscribe.headers.get('Expires')).toBe('3600');
    expect(subscribe.body.toString('latin1')).toMatch(new RegExp(`<Query>[\\s\\S]*<CmdType>Catalog</CmdType>[\\s\\S]*<DeviceID>${PLATFORM}</DeviceID>`));

    const sentAt = Date.now();
    const off = await platform.notify([item(CAM1, '东门一号', `<Event>OFF</Event>`)]);
    expect(off.status).toBe(200);
    const event = await waitFor('catalog.changed OFF', () => events.find((e) => e.type === 'catalog.changed' && e.data.changes.some((c) => c.channelId === CAM1 && c.event === 'OFF')), 2_000, 20);
    expect(event.receivedAt - sentAt).toBeLessThan(2_000);
    if (event.type !== 'catalog.changed') throw new Error(event.type);
    expect(event.data).toMatchObject({ deviceId: PLATFORM, channelCount: 3, more: 0 });
    expect(event.data.changes[0]!.channel).toMatchObject({ channelId: CAM1, status: 'OFF', name: '东门一号', parentId: ORG });
    const afterOff = await channels();
    expect(afterOff.get(CAM1)).toMatchObject({ status: 'OFF', name: '东门一号', manufacturer: 'Hikvision', parentId: ORG });

    const add = await platform.notify([item(CAM4, '北门', `<Parental>0</Parental><ParentID>${ORG}</ParentID><CivilCode>${REGION}</CivilCode><Status>ON</Status><Event>ADD</Event>`)]);
    expect(add.status).toBe(200);
    await waitFor('catalog.changed ADD', () => events.find((e) => e.type === 'catalog.changed' && e.data.changes.some((c) => c.channelId === CAM4 && c.event === 'ADD')), 2_000, 20);
    expect((await channels()).get(CAM4)).toMatchObject({ name: '北门', parentId: ORG, kind: 'channel', status: 'ON' });
    expect((await gw.api<DeviceDto>(`/api/devices/${PLATFORM}`)).body.channelCount).toBe(4);

    // The same change as a MESSAGE Notify (platforms that send changes without a subscription): DEL removes CAM4.
    const del = await platform.message(platform.catalogXml('Notify', 77, 1, [item(CAM4, '北门', '<Event>DEL</Event>')]));
    expect(del.status).toBe(200);
    await waitFor('CAM4 deleted', async () => !(await channels()).has(CAM4), 2_000, 50);
    expect((await gw.api<DeviceDto>(`/api/devices/${PLATFORM}`)).body.channelCount).toBe(3);
  });

  it('NOTIFY from an unknown peer → 481, with another Event → 489, with an unreadable body → 400, changing nothing; from the platform’s own flow without a subscription → applied', async () => {
    const callId = `${randomBytes(6).toString('hex')}@127.0.0.1`;
    const stranger = buildSipRequest({ method: 'NOTIFY', fromUser: '34020000002000000666', callId, viaPort: platform.port, extraHeaders: [['Event', 'Catalog'], ['Subscription-State', 'active']], contentType: 'Application/MANSCDP+xml', body: gb2312(platform.catalogXml('Notify', 1, 1, [item(CAM2, 'x', '<Event>DEL</Event>')])) });
    expect((await platform.sendRaw(stranger, callId))?.status).toBe(481);
    expect((await platform.notify([item(CAM2, 'x', '<Event>OFF</Event>')], { event: 'presence' })).status).toBe(489);
    expect((await platform.notify([], { body: Buffer.from('<Notify><CmdType>Catalog') })).status).toBe(400);
    expect((await channels()).get(CAM2)).toMatchObject({ status: 'ON' });

    // The platform itself, from the address it registered from, outside the subscription (a new Call-ID): applied.
    const ownCallId = `${randomBytes(6).toString('hex')}@127.0.0.1`;
    const own = buildSipRequest({ method: 'NOTIFY', fromUser: PLATFORM, callId: ownCallId, viaPort: platform.port, extraHeaders: [['Event', 'Catalog'], ['Subscription-State', 'active']], contentType: 'Application/MANSCDP+xml', body: gb2312(platform.catalogXml('Notify', 2, 1, [item(CAM2, '东门二号', '<Event>VLOST</Event>')])) });
    expect((await platform.sendRaw(own, ownCallId))?.status).toBe(200);
    await waitFor('CAM2 video lost', async () => (await channels()).get(CAM2)?.status === 'VLOST', 2_000, 50);
  });

  it('play: the INVITE for a camera goes to the platform’s address with the camera’s ID; a directory is refused with CHANNEL_IS_DIRECTORY', async () => {
    const r = await gw.api<{ code: string }>(`/api/devices/${PLATFORM}/channels/${CAM1}/play`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(502);
    const invite = platform.received('INVITE').at(-1)!;
    expect(invite.uri).toBe(`sip:${CAM1}@127.0.0.1:${platform.port}`);
    expect(invite.headers.get('Subject')).toMatch(new RegExp(`^${CAM1}:`));
    const dir = await gw.api<{ code: string }>(`/api/devices/${PLATFORM}/channels/${ORG}/play`, { method: 'POST', body: '{}' });
    expect([dir.status, dir.body.code]).toEqual([409, 'CHANNEL_IS_DIRECTORY']);
    expect(platform.received('INVITE')).toHaveLength(1);
  });

  it('records and PTZ of a camera go to the platform with the camera’s ID in the body, as for an NVR; a directory is refused', async () => {
    const records = await gw.api<RecordListDto>(`/api/devices/${PLATFORM}/channels/${CAM2}/records?start=2026-12-01T00:00:00Z&end=2026-12-01T06:00:00Z`);
    expect(records.status).toBe(200);
    expect(records.body).toMatchObject({ deviceId: PLATFORM, channelId: CAM2, sumNum: 1, complete: true });
    expect(records.body.records).toHaveLength(1);
    const query = platform.received('MESSAGE').find((m) => /RecordInfo/.test(m.body.toString('latin1')))!;
    expect(query.body.toString('latin1')).toContain(`<DeviceID>${CAM2}</DeviceID>`);

    expect((await gw.api(`/api/devices/${PLATFORM}/channels/${CAM1}/ptz`, { method: 'POST', body: JSON.stringify({ action: 'stop' }) })).status).toBe(200);
    const control = platform.received('MESSAGE').find((m) => /PTZCmd/.test(m.body.toString('latin1')))!;
    expect(control.body.toString('latin1')).toMatch(new RegExp(`<DeviceID>${CAM1}</DeviceID>[\\s\\S]*<PTZCmd>A50F0100000000B5</PTZCmd>`));
    const dir = await gw.api<{ code: string }>(`/api/devices/${PLATFORM}/channels/${GROUP}/ptz`, { method: 'POST', body: JSON.stringify({ action: 'stop' }) });
    expect([dir.status, dir.body.code]).toEqual([409, 'CHANNEL_IS_DIRECTORY']);
  });

  it('shutdown ends the subscription: SUBSCRIBE Expires: 0 in its dialog (same Call-ID, the To tag of our 200)', async () => {
    const first = platform.received('SUBSCRIBE')[0]!;
    await gw.stop();
    const last = platform.received('SUBSCRIBE').at(-1)!;
    expect(last.headers.get('Expires')).toBe('0');
    expect(last.headers.get('Call-ID')).toBe(first.headers.get('Call-ID'));
    expect(last.headers.get('To')).toContain(`tag=${platform.subscription!.localTag}`);
  });
});
