/**
 * What one catalog item is (GB/T 28181-2016 §A.2.4.5 catalog items, Annex D type codes): a channel (a camera or
 * another front-end peripheral: what can be played, queried for records or steered), or a directory node of the
 * tree a platform or NVR reports its channels under. A lower platform (type 200) sends both in one catalog.
 *
 *   ID                          kind                   a directory?
 *   2, 4, 6 or 8 digits         region (civil code)    yes   §D.1: administrative divisions, GB/T 2260
 *   20 digits, type 200         platform               yes   a platform below the one that reports it
 *   20 digits, type 215         business-group         yes   业务分组
 *   20 digits, type 216         virtual-organisation   yes   虚拟组织
 *   20 digits, type 111-130     device                 yes when Parental = 1 (a DVR / NVR / encoder listed with
 *                                                            its channels under it), else a channel
 *   anything else               channel                no    131 camera, 132 IPC, …, and non-standard IDs
 */
import { isCivilCode, isGbId } from './gb-id';

export const CATALOG_ITEM_KINDS = ['channel', 'region', 'platform', 'business-group', 'virtual-organisation', 'device'] as const;
export type CatalogItemKind = (typeof CATALOG_ITEM_KINDS)[number];

/** The kind of a catalog item from its ID and `<Parental>` (1 = has children). */
export function catalogItemKind(id: string, parental?: number | null): CatalogItemKind {
  if (isCivilCode(id)) return 'region';
  if (!isGbId(id)) return 'channel';
  const type = id.slice(10, 13);
  if (type === '200') return 'platform';
  if (type === '215') return 'business-group';
  if (type === '216') return 'virtual-organisation';
  const n = Number(type);
  if (n >= 111 && n <= 130 && parental === 1) return 'device';
  return 'channel';
}

/** Whether items of this kind are tree nodes rather than channels: never played, never counted as cameras. */
export function isDirectoryKind(kind: CatalogItemKind): boolean {
  return kind !== 'channel';
}

/** Whether a string is one of CATALOG_ITEM_KINDS (a value read back from storage). */
export function isCatalogItemKind(s: unknown): s is CatalogItemKind {
  return typeof s === 'string' && (CATALOG_ITEM_KINDS as readonly string[]).includes(s);
}

