/**
 * The catalog a lower platform shows its superior (GB/T 28181-2016 §9.5, §A.2.4.5 catalog items; issue 11 item 3):
 * the shared channels plus the directory nodes they hang under, so that the superior can build the tree.
 *
 *   region (civil code, §D.1)   34 ─ 3402          from the channel's CivilCode, else its ID's centre code (digits
 *                                                  1-8); trailing "00" pairs are "not at this level" and dropped
 *   business group (215)        a channel's ParentID / BusinessGroupID, or its virtual organisation's
 *   virtual organisation (216)  a channel's ParentID, then up through ParentID (other 216s) to its 215
 *   channel                     CivilCode = its deepest region, ParentID = its 216/215 when it has one, else our
 *                               own ID towards the superior (the platform it registered: "directly under us")
 *
 * Other tree nodes a device reported (an NVR listed with its channels, a platform below a lower platform) are not
 * passed on: their channels hang under the region and group nodes above, or directly under us.
 * Pure: rows in, items out; reading rows and sending packets is the caller's.
 */
import type { ChannelRow } from '@gb/persistence';
import {
  canEncodeManscdpText,
  catalogItemKind,
  isDirectoryKind,
  encodeCatalogResponses,
  gbIdType,
  isCivilCode,
  isGbId,
  type EncodableCatalogItem,
  type ManscdpCharset,
} from '@gb/gb28181';

/** Most levels walked up from a channel through virtual organisations (a hostile catalog may loop or nest deep). */
export const MAX_GROUP_DEPTH = 16;
/** Longest name passed upward (characters); device names are peer-controlled. */
export const MAX_UPWARD_NAME_CHARS = 128;
/** Most bytes of one catalog MESSAGE body over UDP: with the SIP headers it stays in one 1500-byte Ethernet frame. */
export const MAX_CATALOG_BODY_BYTES_UDP = 1_000;
/** Most bytes of one catalog MESSAGE body over TCP (no MTU; bounded so one packet is never a burden to parse). */
export const MAX_CATALOG_BODY_BYTES_TCP = 32_000;
/** Most items in one catalog MESSAGE, whatever their size (the standard allows up to 10,000). */
export const MAX_CATALOG_ITEMS_PER_PACKET = 50;

/**
 * A stored catalog row (a channel, or a directory node a device reported) as the tree builder needs it: the stored
 * columns (ChannelRow) it reads, with the device whose catalog listed it.
 */
export type SourceItem = Pick<
  ChannelRow,
  'channelId' | 'manufacturer' | 'model' | 'owner' | 'civilCode' | 'block' | 'address' | 'parental' | 'parentId' | 'businessGroupId' | 'status' | 'longitude' | 'latitude' | 'ptzType'
> & {
  /** The device whose catalog listed it. */
  deviceId: string;
  name: string | null;
};

/** A shared channel and whether it is online now (its device online and its own status ON). */
export interface SharedChannel extends SourceItem {
  online: boolean;
}

/** Whether a catalog `<Status>` means the channel works: ON (also ONLINE, OK, 1); absent counts as on. */
export function isOnStatus(status: string | null | undefined): boolean {
  if (status === null || status === undefined || status.trim() === '') return true;
  return /^(on|online|ok|1)$/i.test(status.trim());
}

/**
 * Whether a stored row is a directory node rather than a channel: its stored `kind`, else libs/gb28181
 * catalogItemKind() from its ID (a civil code; type 200, 215, 216; a 111-130 device with children).
 */
export function isDirectoryItem(row: { channelId: string; parental?: number | null; kind?: string | null }): boolean {
  if (row.kind) return row.kind !== 'channel';
  return isDirectoryKind(catalogItemKind(row.channelId, row.parental));
}

/**
 * The region a channel hangs under: its CivilCode when it is one, else its ID's centre code; trailing "00" pairs
 * dropped ('34020000' → '3402'). Null when nothing is left.
 */
export function regionOf(c: Pick<SourceItem, 'channelId' | 'civilCode'>): string | null {
  const cc = c.civilCode?.trim();
  const raw = cc && isCivilCode(cc) ? cc : isGbId(c.channelId) ? c.channelId.slice(0, 8) : null;
  if (!raw) return null;
  let code = raw;
  while (code.length > 2 && code.endsWith('00')) code = code.slice(0, -2);
  return code === '00' ? null : code;
}

/** The region and its ancestors, top first: '340201' → ['34', '3402', '340201']. */
export function regionChain(code: string): string[] {
  const out: string[] = [];
  for (let n = 2; n <= code.length; n += 2) out.push(code.slice(0, n));
  return out;
}

/** The parent a ParentID names: the last segment of a path `a/b/c` (some platforms send the whole path). */
export function parentOf(parentId: string | null | undefined): string | null {
  if (!parentId) return null;
  const last = parentId.split('/').filter((s) => s.trim() !== '').pop();
  return last ? last.trim() : null;
}

const isGroupId = (id: string | null | undefined): id is string =>
  !!id && isGbId(id) && (gbIdType(id) === 'business-group' || gbIdType(id) === 'virtual-organisation');

/**
 * Text as the charset can carry it: each character it cannot encode becomes '?', and at most
 * MAX_UPWARD_NAME_CHARS characters are kept. (The encoders refuse unencodable text rather than send '?' silently;
 * for names passed on from devices a '?' is better than no catalog at all.)
 */
export function fitText(text: string, charset: ManscdpCharset): string {
  const cut = [...text].slice(0, MAX_UPWARD_NAME_CHARS);
  const whole = cut.join('');
  if (canEncodeManscdpText(whole, charset)) return whole;
  return cut.map((ch) => (canEncodeManscdpText(ch, charset) ? ch : '?')).join('');
}

export interface SharedCatalogInput {
  channels: readonly SharedChannel[];
  /** Directory rows the devices reported, by ID (names of regions and groups, a virtual organisation's parents). */
  directories: ReadonlyMap<string, SourceItem>;
  /** Our ID towards the superior: the ParentID of channels with no group. */
  localId: string;
  charset: ManscdpCharset;
}

/**
 * The items of the catalog: regions (top first), business groups, virtual organisations (parents first), then the
 * channels, each ID once. Channel Status is ON/OFF from `online`.
 */
export function buildSharedCatalog(input: SharedCatalogInput): EncodableCatalogItem[] {
  const { charset, directories } = input;
  const name = (id: string, fallback: string | null) => fitText(directories.get(id)?.name ?? fallback ?? id, charset);
  const regions = new Map<string, EncodableCatalogItem>();
  const groups = new Map<string, EncodableCatalogItem>();
  /** Depth of each group below its top (for parents-first order). */
  const depth = new Map<string, number>();
  const channels: EncodableCatalogItem[] = [];
  const seen = new Set<string>();

  const addRegion = (code: string) => {
    for (const [i, c] of regionChain(code).entries()) {
      if (regions.has(c)) continue;
      regions.set(c, { deviceId: c, name: name(c, null), parental: 1, ...(i > 0 ? { parentId: c.slice(0, -2) } : {}) });
    }
  };

  /** Adds group `id` and its ancestors; returns the depth of `id` (0 = a top group). */
  const addGroup = (id: string, level = 0): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const row = directories.get(id);
    const isVo = gbIdType(id) === 'virtual-organisation';
    let parent: string | null = null;
    let bg: string | null = null;
    let d = 0;
    depth.set(id, 0); // a cycle back to here ends at this entry
    if (isVo && level < MAX_GROUP_DEPTH) {
      const p = parentOf(row?.parentId);
      bg = isGroupId(row?.businessGroupId) && gbIdType(row!.businessGroupId!) === 'business-group' ? row!.businessGroupId! : null;
      parent = isGroupId(p) && p !== id ? p : bg;
      if (parent) d = addGroup(parent, level + 1) + 1;
      if (bg && bg !== parent) addGroup(bg, level + 1);
    }
    depth.set(id, d);
    groups.set(id, { deviceId: id, name: name(id, null), parental: 1, ...(parent ? { parentId: parent } : {}), ...(bg ? { businessGroupId: bg } : {}) });
    return d;
  };

  for (const c of input.channels) {
    if (seen.has(c.channelId)) continue;
    seen.add(c.channelId);
    const region = regionOf(c);
    if (region) addRegion(region);
    const p = parentOf(c.parentId);
    const group = isGroupId(p) ? p : null;
    if (group) addGroup(group);
    const bg = isGroupId(c.businessGroupId) ? c.businessGroupId : null;
    if (bg) addGroup(bg);
    channels.push({
      deviceId: c.channelId,
      name: fitText(c.name ?? c.channelId, charset),
      manufacturer: c.manufacturer ? fitText(c.manufacturer, charset) : null,
      model: c.model ? fitText(c.model, charset) : null,
      owner: c.owner ? fitText(c.owner, charset) : '0',
      civilCode: region,
      address: c.address ? fitText(c.address, charset) : '',
      parental: 0,
      parentId: group ?? bg ?? input.localId,
      ...(bg ? { businessGroupId: bg } : {}),
      safetyWay: '0',
      registerWay: '1',
      secrecy: '0',
      status: c.online ? 'ON' : 'OFF',
      longitude: finite(c.longitude),
      latitude: finite(c.latitude),
      ptzType: c.ptzType ?? null,
    });
  }
  const sortedRegions = [...regions.values()].sort((a, b) => a.deviceId!.length - b.deviceId!.length || a.deviceId!.localeCompare(b.deviceId!));
  const sortedGroups = [...groups.values()].sort((a, b) => {
    const ka = gbIdType(a.deviceId!) === 'business-group' ? 0 : 1;
    const kb = gbIdType(b.deviceId!) === 'business-group' ? 0 : 1;
    return ka - kb || depth.get(a.deviceId!)! - depth.get(b.deviceId!)! || a.deviceId!.localeCompare(b.deviceId!);
  });
  return [...sortedRegions.filter((r) => !seen.has(r.deviceId!)), ...sortedGroups.filter((g) => !seen.has(g.deviceId!)), ...channels];
}

function finite(n: number | null | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

export interface PacketLimits {
  charset: ManscdpCharset;
  /** Most body bytes per packet (an item larger than this alone still goes, alone). */
  maxBodyBytes: number;
  maxItems: number;
}

/** Packet limits for a transport: UDP keeps each MESSAGE in one Ethernet frame; TCP packs more. */
export function catalogPacketLimits(transport: 'udp' | 'tcp', charset: ManscdpCharset): PacketLimits {
  return { charset, maxBodyBytes: transport === 'udp' ? MAX_CATALOG_BODY_BYTES_UDP : MAX_CATALOG_BODY_BYTES_TCP, maxItems: MAX_CATALOG_ITEMS_PER_PACKET };
}

/**
 * Splits items into packets: greedily, each packet's body within `maxBodyBytes` (measured with a 10-digit SN and
 * SumNum) and `maxItems`. At least one packet (empty for no items: SumNum 0 is an answer too, §9.5.2).
 */
export function packItems(items: readonly EncodableCatalogItem[], deviceId: string, limits: PacketLimits): EncodableCatalogItem[][] {
  const measure = (part: EncodableCatalogItem[]) =>
    encodeCatalogResponses({ sn: 9_999_999_999, sumNum: 9_999_999_999, deviceId, items: part, perMessage: Math.max(1, part.length), charset: limits.charset, notify: true })[0]!.length;
  const empty = measure([]);
  const packets: EncodableCatalogItem[][] = [];
  let current: EncodableCatalogItem[] = [];
  let size = empty;
  for (const item of items) {
    const itemBytes = measure([item]) - empty;
    if (current.length > 0 && (size + itemBytes > limits.maxBodyBytes || current.length >= limits.maxItems)) {
      packets.push(current);
      current = [];
      size = empty;
    }
    current.push(item);
    size += itemBytes;
  }
  packets.push(current);
  return packets;
}

/** A catalog change for a NOTIFY (§A.2.5): the item with its `<Event>`. */
export type CatalogChangeEvent = 'ON' | 'OFF' | 'ADD' | 'DEL' | 'UPDATE';

/**
 * What changed between two catalogs we showed the superior: an item now and not before is ADD (the whole item), one
 * gone is DEL (its ID), a channel whose Status alone changed is ON/OFF (its ID), any other change UPDATE (the whole
 * item). Directory nodes come before channels for ADD (parents first) and after them for DEL.
 */
export function diffCatalog(before: readonly EncodableCatalogItem[], after: readonly EncodableCatalogItem[]): EncodableCatalogItem[] {
  const prev = new Map(before.map((i) => [i.deviceId!, i]));
  const next = new Map(after.map((i) => [i.deviceId!, i]));
  const adds: EncodableCatalogItem[] = [];
  const changes: EncodableCatalogItem[] = [];
  const dels: EncodableCatalogItem[] = [];
  for (const [id, item] of next) {
    const old = prev.get(id);
    if (!old) {
      adds.push({ ...item, event: 'ADD' });
      continue;
    }
    const { status: s1, ...rest1 } = old;
    const { status: s2, ...rest2 } = item;
    if (JSON.stringify(rest1) !== JSON.stringify(rest2)) changes.push({ ...item, event: 'UPDATE' });
    else if (s1 !== s2) changes.push({ deviceId: id, event: s2 === 'ON' ? 'ON' : 'OFF' });
  }
  for (const id of prev.keys()) if (!next.has(id)) dels.push({ deviceId: id, event: 'DEL' });
  return [...adds, ...changes, ...dels.reverse()];
}
