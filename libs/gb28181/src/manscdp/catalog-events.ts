/**
 * Catalog change notifications (GB/T 28181-2016 §9.11.3 and §A.2.5: a catalog subscription's NOTIFY, or the
 * `<Notify><CmdType>Catalog</CmdType>` MESSAGE many platforms send without one). Each `<Item>` carries an `<Event>`:
 *
 *   ON / OFF        the channel went online / offline          (status change)
 *   VLOST / DEFECT  video lost / the device is faulty            (status change, not online)
 *   ADD             a new item (the whole item is sent)          (insert)
 *   UPDATE          the item changed (the whole item is sent)    (replace)
 *   DEL             the item was removed                         (delete)
 *
 * A catalog Notify whose items carry no Event is a whole catalog pushed unasked, to be stored as a catalog response.
 * Pure: items in, a plan out; what the plan does to stored channels is the caller's.
 */
import type { CatalogItem } from './manscdp.types';

export const CATALOG_EVENTS = ['ON', 'OFF', 'VLOST', 'DEFECT', 'ADD', 'DEL', 'UPDATE'] as const;
export type CatalogEvent = (typeof CATALOG_EVENTS)[number];

/** The status a status event leaves a channel in (the `<Status>` column as the catalog would send it). */
export type CatalogStatusEvent = Extract<CatalogEvent, 'ON' | 'OFF' | 'VLOST' | 'DEFECT'>;

/** Spellings seen in the field besides the standard ones. */
const ALIASES: Readonly<Record<string, CatalogEvent>> = { DELETE: 'DEL', MOD: 'UPDATE', MODIFY: 'UPDATE', ONLINE: 'ON', OFFLINE: 'OFF' };

/** An `<Event>` value as one of CATALOG_EVENTS (case and blanks ignored), or null when it is none of them. */
export function catalogEventOf(raw: string | null | undefined): CatalogEvent | null {
  if (typeof raw !== 'string') return null;
  const v = raw.trim().toUpperCase();
  if ((CATALOG_EVENTS as readonly string[]).includes(v)) return v as CatalogEvent;
  return ALIASES[v] ?? null;
}

/** Whether a catalog Notify is a change notification (some item carries a known Event), not a whole catalog. */
export function hasCatalogEvents(items: readonly CatalogItem[]): boolean {
  return items.some((i) => catalogEventOf(i.event) !== null);
}

export function isStatusEvent(e: CatalogEvent): e is CatalogStatusEvent {
  return e === 'ON' || e === 'OFF' || e === 'VLOST' || e === 'DEFECT';
}

export interface CatalogChange {
  channelId: string;
  event: CatalogEvent;
  item: CatalogItem;
}

/** What one change notification asks for, one change per item ID (the last one in the message wins). */
export interface CatalogChangePlan {
  /** In message order of their last occurrence. */
  changes: CatalogChange[];
  /** ADD and UPDATE: the whole items to store. */
  upserts: CatalogItem[];
  /** DEL: IDs to remove. */
  deletes: string[];
  /** ON / OFF / VLOST / DEFECT: items whose status to set, by the status. */
  statuses: Map<CatalogStatusEvent, CatalogItem[]>;
  /** Items without a known Event (ignored). */
  ignored: number;
}

/** Plans a change notification's items (see the table above). */
export function planCatalogChanges(items: readonly CatalogItem[]): CatalogChangePlan {
  const last = new Map<string, CatalogChange>();
  let ignored = 0;
  for (const item of items) {
    const event = catalogEventOf(item.event);
    if (event === null) {
      ignored++;
      continue;
    }
    // Re-inserted so that the map's order is that of each ID's last change.
    last.delete(item.deviceId);
    last.set(item.deviceId, { channelId: item.deviceId, event, item });
  }
  const plan: CatalogChangePlan = { changes: [...last.values()], upserts: [], deletes: [], statuses: new Map(), ignored };
  for (const c of plan.changes) {
    if (c.event === 'DEL') plan.deletes.push(c.channelId);
    else if (c.event === 'ADD' || c.event === 'UPDATE') plan.upserts.push(c.item);
    else if (isStatusEvent(c.event)) {
      const list = plan.statuses.get(c.event) ?? [];
      list.push(c.item);
      plan.statuses.set(c.event, list);
    }
  }
  return plan;
}
