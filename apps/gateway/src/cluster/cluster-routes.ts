/**
 * Which API requests belong to the node that owns a device, and how to find that device. Pure: a method and a
 * path in, a target out. Reads (device rows, channel lists, alerts) are answered by any node from the database;
 * what talks to a device or its media goes to its owner; lists of per-node state are gathered from every node.
 */
export type ClusterTarget =
  | { kind: 'device'; deviceId: string }
  | { kind: 'channel'; channelId: string }
  | { kind: 'alert'; alertId: string }
  | { kind: 'download'; downloadId: string }
  /** Every live node's answer, arrays concatenated (streams, watched channels, downloads). */
  | { kind: 'gather' };

type Rule = [methods: readonly string[], pattern: RegExp, target: (m: RegExpExecArray) => ClusterTarget];

const seg = '([^/?#]+)';
const device = (m: RegExpExecArray): ClusterTarget => ({ kind: 'device', deviceId: decodeURIComponent(m[1]!) });

const RULES: readonly Rule[] = [
  [['POST'], new RegExp(`^/api/devices/${seg}/catalog$`), device],
  [['GET'], new RegExp(`^/api/devices/${seg}/status$`), device],
  [['PATCH', 'DELETE'], new RegExp(`^/api/devices/${seg}$`), device],
  [['GET', 'POST'], new RegExp(`^/api/devices/${seg}/channels/${seg}/(?:play|playback|ptz|records|snapshot|downloads|presets)$`), device],
  // DeviceControl, reboot and BasicParam: MESSAGEs whose answers come back to the node that holds the device.
  [['POST'], new RegExp(`^/api/devices/${seg}/(?:control|reboot)$`), device],
  [['GET', 'PUT'], new RegExp(`^/api/devices/${seg}/config$`), device],
  // Stream IDs are <deviceId>_<channelId>[_<kind><n>] (StreamsService.streamIdOf); device IDs have no '_'.
  [['POST', 'DELETE'], new RegExp(`^/api/streams/${seg}(?:/control)?$`), (m) => ({ kind: 'device', deviceId: decodeURIComponent(m[1]!).split('_')[0]! })],
  [['POST', 'DELETE', 'PUT'], new RegExp(`^/api/channels/${seg}/(?:watch|rois)$`), (m) => ({ kind: 'channel', channelId: decodeURIComponent(m[1]!) })],
  // Recording on the platform: the plan's state and the recordings' signed URLs come from the node that records the
  // channel (the owner of its device), whose disk holds the files. The MP4 download is fetched from that node's URL.
  [['GET'], new RegExp(`^/api/channels/${seg}/(?:record-plan|recordings)$`), (m) => ({ kind: 'channel', channelId: decodeURIComponent(m[1]!) })],
  [['GET'], new RegExp(`^/api/alerts/${seg}/snapshot$`), (m) => ({ kind: 'alert', alertId: decodeURIComponent(m[1]!) })],
  [['GET', 'DELETE'], new RegExp(`^/api/downloads/${seg}(?:/file)?$`), (m) => ({ kind: 'download', downloadId: decodeURIComponent(m[1]!) })],
  [['GET'], /^\/api\/(?:streams|congestion|downloads)$/, () => ({ kind: 'gather' })],
];

/** The target of a request, or null when any node answers it alone. A malformed escape is left to the router. */
export function clusterTargetOf(method: string, url: string): ClusterTarget | null {
  const path = url.split('?')[0]!;
  for (const [methods, pattern, target] of RULES) {
    if (!methods.includes(method)) continue;
    const m = pattern.exec(path);
    if (!m) continue;
    try {
      return target(m);
    } catch {
      return null;
    }
  }
  return null;
}
