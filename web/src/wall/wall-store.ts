import { getToken } from '../api';
import { tokenSubject } from './token-subject';
import { MAX_TILES, layoutOf, type WallLayoutId } from './wall-layouts';

/** A channel placed on a tile: enough to play it and to label it without another request. */
export interface WallChannel {
  deviceId: string;
  channelId: string;
  name: string;
}

export interface WallState {
  layout: WallLayoutId;
  /** MAX_TILES entries; a tile beyond the layout keeps its channel for when the layout grows again. */
  tiles: (WallChannel | null)[];
  /** Tour interval in seconds, 0 when off. */
  tourS: number;
}

const KEY_PREFIX = 'gbgw.wall.';

/** localStorage key of this user's wall: one wall per user name on this browser. */
export function wallKey(): string {
  return `${KEY_PREFIX}${tokenSubject(getToken()) ?? '_'}`;
}

function isChannel(v: unknown): v is WallChannel {
  const c = v as WallChannel | null;
  return !!c && typeof c.deviceId === 'string' && typeof c.channelId === 'string' && typeof c.name === 'string';
}

/** The saved wall, or the default (2×2, empty) when none is saved or it does not parse. */
export function loadWall(): WallState {
  const empty: WallState = { layout: '4', tiles: Array<WallChannel | null>(MAX_TILES).fill(null), tourS: 0 };
  try {
    const raw = JSON.parse(localStorage.getItem(wallKey()) ?? 'null') as Partial<WallState> | null;
    if (!raw) return empty;
    const tiles = Array.from({ length: MAX_TILES }, (_, i) => (Array.isArray(raw.tiles) && isChannel(raw.tiles[i]) ? raw.tiles[i] : null));
    return { layout: layoutOf(raw.layout).id, tiles, tourS: typeof raw.tourS === 'number' && raw.tourS >= 0 ? raw.tourS : 0 };
  } catch {
    return empty;
  }
}

export function saveWall(state: WallState): void {
  try {
    localStorage.setItem(wallKey(), JSON.stringify(state));
  } catch {
    /* storage full or denied: the wall still works, it is just not remembered */
  }
}
