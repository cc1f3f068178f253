/** The channel tree of a device, from each channel's ParentID (GB/T 28181-2016 Annex A catalog items). DOM-free. */

export interface TreeNode<T> {
  item: T;
  children: TreeNode<T>[];
}

interface Treeable {
  channelId: string;
  parentId: string | null;
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
 * Nests channels under their parent channel. A channel is a root when its parent is empty, the device itself,
 * not among the channels, or one of its own descendants (a cycle: each member becomes reachable once).
 * Keeps the input order among siblings; every channel appears exactly once.
 */
export function buildChannelTree<T extends Treeable>(channels: readonly T[]): TreeNode<T>[] {
  const nodes = new Map<string, TreeNode<T>>();
  for (const c of channels) if (!nodes.has(c.channelId)) nodes.set(c.channelId, { item: c, children: [] });
  const parentIdOf = new Map<string, string | null>();
  for (const n of nodes.values()) {
    const p = parentOf(n.item.parentId);
    parentIdOf.set(n.item.channelId, p && p !== n.item.channelId && nodes.has(p) ? p : null);
  }
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
