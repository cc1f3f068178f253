/**
 * The channel tree of a device, from each catalog item's ParentID, BusinessGroupID and CivilCode (GB/T 28181-2016
 * Annex A catalog items: a lower platform reports regions, business groups and virtual organisations with its
 * cameras under them). DOM-free.
 */

export interface TreeNode<T> {
  item: T;
  children: TreeNode<T>[];
}

interface Treeable {
  channelId: string;
  parentId: string | null;
  /** `<BusinessGroupID>`: where a virtual organisation without a ParentID hangs. */
  businessGroupId?: string | null;
  /** `<CivilCode>`: the region item an item hangs under when ParentID and BusinessGroupID name no item. */
  civilCode?: string | null;
}

const CIVIL_CODE = /^(\d{2}){1,4}$/;

/**
 * The item a catalog item hangs under, among `ids` (the device's items): the last segment of its ParentID, else its
 * BusinessGroupID, else the region item its CivilCode names; a region item (2-8 digit civil code) without those
 * hangs under the longest shorter region item whose code it starts with ("340201" under "3402"). Null: a root.
 */
export function treeParentOf(c: Treeable, ids: ReadonlySet<string>): string | null {
  const candidates = [parentOf(c.parentId), c.businessGroupId ?? null, c.civilCode ?? null];
  for (const p of candidates) if (p && p !== c.channelId && ids.has(p)) return p;
  if (CIVIL_CODE.test(c.channelId)) {
    for (let n = c.channelId.length - 2; n >= 2; n -= 2) if (ids.has(c.channelId.slice(0, n))) return c.channelId.slice(0, n);
  }
  return null;
}

/**
 * Some devices send ParentID as a path ("<device>/<group>"): the last segment is the parent.
 * Returns null for an empty value.
 */
export function parentOf(parentId: string | null): string | null {
  if (!parentId) return null;
  const parts = parentId.split('/').filter(Boolean);
  return parts.length ? parts[parts.length - 1]! : null;
}

/**
 * Nests catalog items under their parent item (treeParentOf). An item is a root when it names no parent among the
 * items (empty, the device itself, unknown), or when its parent is one of its own descendants (a cycle: each member
 * becomes reachable once).
 * Keeps the input order among siblings; every channel appears exactly once.
 */
export function buildChannelTree<T extends Treeable>(channels: readonly T[]): TreeNode<T>[] {
  const nodes = new Map<string, TreeNode<T>>();
  for (const c of channels) if (!nodes.has(c.channelId)) nodes.set(c.channelId, { item: c, children: [] });
  const parentIdOf = new Map<string, string | null>();
  const ids = new Set(nodes.keys());
  for (const n of nodes.values()) parentIdOf.set(n.item.channelId, treeParentOf(n.item, ids));
  // Break cycles: walk up from each node; if we come back to a node seen on this walk, cut the link there.
  for (const id of nodes.keys()) {
    const seen = new Set<string>([id]);
    let cur = parentIdOf.get(id) ?? null;
    let prev = id;
    while (cur) {
      if (seen.has(cur)) {
        parentIdOf.set(prev, null);
        break;
      }
      seen.add(cur);
      prev = cur;
      cur = parentIdOf.get(cur) ?? null;
    }
  }
  const roots: TreeNode<T>[] = [];
  for (const n of nodes.values()) {
    const p = parentIdOf.get(n.item.channelId);
    if (p) nodes.get(p)!.children.push(n);
    else roots.push(n);
  }
  return roots;
}

/** Number of nodes in a forest. */
export function countNodes<T>(roots: readonly TreeNode<T>[]): number {
  let n = 0;
  for (const r of roots) n += 1 + countNodes(r.children);
  return n;
}
