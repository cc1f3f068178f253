/**
 * Virtual GB/T 28181 IDs of stream proxies (issue 12 item 1). All proxies of a gateway are channels of one virtual
 * device, so that every channel route (play, snapshot, congestion watch, the wall) works on them unchanged:
 *
 *   device  <domain>1189000000        domain = the first 10 digits of SIP_ID; type 118 (NVR: a device with channels,
 *                                      Annex D), network digit 9 and serial 000000: a range no real device is given
 *   channel <domain>1319<serial:6>    type 131 (camera), network digit 9, the proxy's serial 000001..999999
 *
 * The serial is stored with the proxy (stream_proxies.serial) and never changes, so the IDs are stable across restarts.
 */
export const PROXY_DEVICE_SUFFIX = '1189000000';
export const PROXY_CHANNEL_INFIX = '1319';
export const MAX_PROXY_SERIAL = 999_999;

export function proxyDeviceId(sipId: string): string {
  return `${sipId.slice(0, 10)}${PROXY_DEVICE_SUFFIX}`;
}

export function proxyChannelId(sipId: string, serial: number): string {
  if (!Number.isInteger(serial) || serial < 1 || serial > MAX_PROXY_SERIAL) throw new RangeError(`proxy serial out of range: ${serial}`);
  return `${sipId.slice(0, 10)}${PROXY_CHANNEL_INFIX}${String(serial).padStart(6, '0')}`;
}

/** The serial of a proxy channel ID of this gateway, or null for any other ID. */
export function proxySerialOf(sipId: string, channelId: string): number | null {
  const prefix = `${sipId.slice(0, 10)}${PROXY_CHANNEL_INFIX}`;
  if (channelId.length !== 20 || !channelId.startsWith(prefix)) return null;
  const tail = channelId.slice(prefix.length);
  if (!/^\d{6}$/.test(tail)) return null;
  const n = Number(tail);
  return n >= 1 ? n : null;
}
