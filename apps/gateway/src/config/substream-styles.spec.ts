import { describe, expect, it } from 'vitest';
import { configSchema, substreamStylesByDevice } from './config.schema';

describe('SUBSTREAM_SDP_STYLE_BY_DEVICE', () => {
  it('reads deviceId=style pairs; empty is none', () => {
    expect(substreamStylesByDevice('')).toEqual({});
    expect(substreamStylesByDevice(' 34020000001320000001=streamprofile , 34020000001320000002=streamMode')).toEqual({
      '34020000001320000001': 'streamprofile',
      '34020000001320000002': 'streamMode',
    });
  });

  it.each(['34020000001320000001', '3402=gb2022', '34020000001320000001=hik', '34020000001320000001=all=all', '=gb2022'])('%j is refused at boot', (v) => {
    expect(substreamStylesByDevice(v)).toBeNull();
    expect(configSchema.shape.SUBSTREAM_SDP_STYLE_BY_DEVICE.safeParse(v).success).toBe(false);
  });

  it('SUBSTREAM_SDP_STYLE defaults to gb2022 and knows only the listed styles', () => {
    expect(configSchema.shape.SUBSTREAM_SDP_STYLE.parse(undefined)).toBe('gb2022');
    expect(configSchema.shape.SUBSTREAM_SDP_STYLE.safeParse('hikvision').success).toBe(false);
  });
});
