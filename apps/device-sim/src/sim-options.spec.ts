import { describe, it, expect } from 'vitest';
import { canEncodeManscdpText, isGbId } from '@gb/gb28181';
import { buildChannels, channelId, channelName, chineseOrdinal, deviceOptionsAt, offsetGbId, type FleetDeviceTemplate } from './sim-options';

describe('sim-options', () => {
  it('offsetGbId() adds to the 6-digit serial and rejects overflow or non-IDs', () => {
    expect(offsetGbId('34020000001320000001', 0)).toBe('34020000001320000001');
    expect(offsetGbId('34020000001320000001', 41)).toBe('34020000001320000042');
    expect(offsetGbId('34020000001320999998', 1)).toBe('34020000001320999999');
    expect(() => offsetGbId('34020000001320999999', 1)).toThrow(/out of range/);
    expect(() => offsetGbId('3402', 1)).toThrow(/20-digit/);
  });

  it('channelId() keeps the centre code, uses type 131/132 and gives distinct 20-digit IDs per device and index', () => {
    const ids = new Set<string>();
    for (let d = 0; d < 20; d++) {
      const dev = offsetGbId('34020000001320000001', d);
      for (let i = 1; i <= 16; i++) {
        const id = channelId(dev, i);
        expect(id).toMatch(/^3402000000(131|132)\d{7}$/);
        expect(isGbId(id)).toBe(true);
        ids.add(id);
      }
    }
    expect(ids.size).toBe(20 * 16);
    expect(channelId('34020000001320000001', 1).slice(10, 13)).toBe('131');
    expect(channelId('34020000001320000001', 2).slice(10, 13)).toBe('132');
  });

  it('channelName() gives Chinese names with a Chinese ordinal up to ten, all encodable in GB2312', () => {
    expect(channelName(0, 1)).toBe('东门路口一号');
    expect(channelName(1, 10)).toBe('西湖大道十号');
    expect(chineseOrdinal(11)).toBe('11号');
    for (const c of buildChannels('34020000001320000001', 3, 12)) {
      expect(canEncodeManscdpText(c.name!, 'GB2312')).toBe(true);
      expect(canEncodeManscdpText(c.address!, 'GB2312')).toBe(true);
    }
  });

  it('buildChannels() sets ParentID to the device, the civil code, status ON and leaf Parental', () => {
    const items = buildChannels('34020000001320000007', 0, 3, '110101');
    expect(items).toHaveLength(3);
    for (const it of items) expect(it).toMatchObject({ parentId: '34020000001320000007', civilCode: '110101', status: 'ON', parental: 0 });
  });

  it('deviceOptionsAt() derives the nth device ID, name and channels from the template', () => {
    const t = { firstDeviceId: '34020000001320000001', channelsPerDevice: 2 } as FleetDeviceTemplate;
    const o = deviceOptionsAt(t, 4);
    expect(o.deviceId).toBe('34020000001320000005');
    expect(o.name).toBe('模拟设备5');
    expect(o.channels.map((c) => c.parentId)).toEqual(['34020000001320000005', '34020000001320000005']);
    expect('firstDeviceId' in o).toBe(false);
  });
});
