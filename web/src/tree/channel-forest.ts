/**
 * The channel tree of many devices, DOM-free: grouped by device (then the catalog's ParentID links: business groups,
 * virtual organisations, NVR cascades) or by administrative region (civil-code prefixes), with online counts per node,
 * flattened into rows for a virtualised list.
 */
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { buildChannelTree, type TreeNode } from '../channel-tree';
import { deviceName } from '../proxies/proxy-form';

export type ForestNodeKind = 'device' | 'region' | 'group' | 'channel';

export interface ForestNode {
  /** Unique in the forest: the expanded set and the DOM rows key on it. */
  key: string;
  kind: ForestNodeKind;
  label: string;
  /** Device or catalog item ID, civil code for a region. */
  code: string;
  children: ForestNode[];
  channel?: ChannelDto;
  device?: DeviceDto;
  /** Camera channels under this node (itself included) whose Status is ON, and all of them. */
  on: number;
  total: number;
}

/**
 * Whether a catalog item is a tree node rather than a camera: the gateway's `isDirectory` (GB/T 28181-2016 Annex D:
 * a civil-code region, a platform (200), a business group (215), a virtual organisation (216), an NVR listed with its
 * channels). Directories are never played and not counted in the online totals.
 */
export function isDirectory(c: Pick<ChannelDto, 'isDirectory'>): boolean {
  return c.isDirectory === true;
}

export function isOnline(c: Pick<ChannelDto, 'status'>): boolean {
  const s = (c.status ?? '').toUpperCase();
  return s === 'ON' || s === 'ONLINE' || s === '1';
}

/**
 * The administrative levels of a civil code (GB/T 2260 pairs: province, city, district, then the 8-digit
 * grassroots unit), trailing "00" pairs dropped: "110105" -> ["11", "1101", "110105"], "340200" -> ["34", "3402"].
 */
export function civilLevels(code: string | null | undefined): string[] {
  if (!code || !/^\d{2,8}$/.test(code) || code.length % 2) return [];
  const pairs = code.match(/\d\d/g)!;
  while (pairs.length > 1 && pairs[pairs.length - 1] === '00') pairs.pop();
  return pairs.map((_, i) => pairs.slice(0, i + 1).join(''));
}

/** The civil code of a channel: its CivilCode, else the first 8 digits of a 20-digit ID (§D.1 centre code). */
export function civilCodeOf(c: ChannelDto): string | null {
  if (c.civilCode && civilLevels(c.civilCode).length) return c.civilCode;
  return /^\d{20}$/.test(c.channelId) ? c.channelId.slice(0, 8) : null;
}

const label = (c: ChannelDto) => c.name || c.channelId;

function countUp(n: ForestNode): void {
  let on = 0;
  let total = 0;
  if (n.kind === 'channel') {
    total = 1;
    on = isOnline(n.channel!) ? 1 : 0;
  }
  for (const k of n.children) {
    countUp(k);
    on += k.on;
    total += k.total;
  }
  n.on = on;
  n.total = total;
}

function fromChannelTree(deviceId: string, t: TreeNode<ChannelDto>): ForestNode {
  const c = t.item;
  return {
    key: `c:${deviceId}:${c.channelId}`,
    kind: isDirectory(c) ? 'group' : 'channel',
    label: label(c),
    code: c.channelId,
    channel: c,
    children: t.children.map((k) => fromChannelTree(deviceId, k)),
    on: 0,
    total: 0,
  };
}

function byDeviceId(channels: readonly ChannelDto[]): Map<string, ChannelDto[]> {
  const m = new Map<string, ChannelDto[]>();
  for (const c of channels) {
    let list = m.get(c.deviceId);
    if (!list) m.set(c.deviceId, (list = []));
    list.push(c);
  }
  return m;
}

/** One node per device (devices without channels too), by device ID, each holding its ParentID tree. */
export function forestByDevice(devices: readonly DeviceDto[], channels: readonly ChannelDto[]): ForestNode[] {
  const per = byDeviceId(channels);
  const ids = [...new Set([...devices.map((d) => d.deviceId), ...per.keys()])].sort();
  const known = new Map(devices.map((d) => [d.deviceId, d]));
  const roots = ids.map((id): ForestNode => {
    const d = known.get(id);
    return { key: `d:${id}`, kind: 'device', label: (d && deviceName(d)) || id, code: id, device: d, children: buildChannelTree(per.get(id) ?? []).map((t) => fromChannelTree(id, t)), on: 0, total: 0 };
  });
  roots.forEach(countUp);
  return roots;
}

/**
 * Administrative regions from civil-code prefixes, each region's cameras under its deepest level; a catalog item
 * whose ID is the civil code names the region. Cameras without a civil code go under one "unknown" region.
 */
export function forestByRegion(channels: readonly ChannelDto[]): ForestNode[] {
  const names = new Map<string, string>();
  for (const c of channels) if (/^\d{2,8}$/.test(c.channelId) && c.name) for (const l of civilLevels(c.channelId).slice(-1)) names.set(l, c.name);
  const regions = new Map<string, ForestNode>();
  const roots: ForestNode[] = [];
  const region = (code: string, parent: ForestNode | null): ForestNode => {
    let n = regions.get(code);
    if (!n) {
      n = { key: `r:${code}`, kind: 'region', label: names.get(code) ?? code, code, children: [], on: 0, total: 0 };
      regions.set(code, n);
      (parent ? parent.children : roots).push(n);
    }
    return n;
  };
  for (const c of channels) {
    if (isDirectory(c)) continue;
    const levels = civilLevels(civilCodeOf(c));
    let at: ForestNode | null = null;
    for (const l of levels) at = region(l, at);
    at ??= region('', null);
    at.children.push({ key: `c:${c.deviceId}:${c.channelId}`, kind: 'channel', label: label(c), code: c.channelId, channel: c, children: [], on: 0, total: 0 });
  }
  const sort = (ns: ForestNode[]) => {
    ns.sort((a, b) => (a.kind === b.kind ? (a.kind === 'region' ? a.code.localeCompare(b.code) : 0) : a.kind === 'region' ? -1 : 1));
    for (const n of ns) sort(n.children);
  };
  sort(roots);
  roots.forEach(countUp);
  return roots;
}

/** One line of the flattened tree. */
export interface TreeRow {
  node: ForestNode;
  depth: number;
  /** Has children to show (an expander). */
  branch: boolean;
  expanded: boolean;
}

/** Does a channel match a search (name or ID, case-insensitive substring)? */
export function matchesSearch(c: ChannelDto | undefined, q: string): boolean {
  if (!c || !q) return false;
  return c.channelId.toLowerCase().includes(q) || (c.name ?? '').toLowerCase().includes(q);
}

/**
 * The rows to show, in order. Without a search: every node whose ancestors are not collapsed. With one (`q`, lower case): only
 * matching nodes and their ancestors, every ancestor open. O(nodes); the DOM is not touched here.
 */
export function flatten(roots: readonly ForestNode[], collapsed: ReadonlySet<string>, q = ''): TreeRow[] {
  const out: TreeRow[] = [];
  if (!q) {
    const walk = (ns: readonly ForestNode[], depth: number) => {
      for (const n of ns) {
        const open = n.children.length > 0 && !collapsed.has(n.key);
        out.push({ node: n, depth, branch: n.children.length > 0, expanded: open });
        if (open) walk(n.children, depth + 1);
      }
    };
    walk(roots, 0);
    return out;
  }
  // Returns the rows of a subtree when something in it matches.
  const visit = (n: ForestNode, depth: number): TreeRow[] | null => {
    const below: TreeRow[] = [];
    for (const k of n.children) {
      const r = visit(k, depth + 1);
      if (r) below.push(...r);
    }
    const self = matchesSearch(n.channel, q) || (n.kind !== 'channel' && n.label.toLowerCase().includes(q));
    if (!self && !below.length) return null;
    return [{ node: n, depth, branch: below.length > 0, expanded: below.length > 0 }, ...below];
  };
  for (const r of roots) {
    const rows = visit(r, 0);
    if (rows) out.push(...rows);
  }
  return out;
}
