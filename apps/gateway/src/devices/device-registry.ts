import type { DeviceSession } from './device-session';

export type OfflineReason = 'keepalive-timeout' | 'expired';

/**
 * The in-memory device table. Pure bookkeeping: no I/O, time passed in.
 * Offline rule (GB/T 28181 §9.6, WVP behaviour): offline when no keepalive for interval × maxMissed,
 * or when the registration expired, whichever comes first.
 */
export class DeviceRegistry {
  private readonly sessions = new Map<string, DeviceSession>();
  /** Devices whose row needs a database write (registration, DeviceInfo, offline…). */
  private readonly dirty = new Set<string>();
  /** Devices whose liveness alone changed (keepalive time, online, source address): a cheaper write. */
  private readonly live = new Set<string>();

  constructor(private readonly liveness: { keepaliveIntervalMs: number; maxMissed: number }) {}

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): DeviceSession | undefined {
    return this.sessions.get(id);
  }

  set(s: DeviceSession): void {
    this.sessions.set(s.deviceId, s);
  }

  markDirty(s: DeviceSession): void {
    this.dirty.add(s.deviceId);
  }

  /** Only liveness changed (a keepalive): written by takeLive()'s batch unless the row is dirty anyway. */
  markLive(s: DeviceSession): void {
    this.live.add(s.deviceId);
  }

  delete(id: string): boolean {
    this.dirty.delete(id);
    this.live.delete(id);
    return this.sessions.delete(id);
  }

  all(): IterableIterator<DeviceSession> {
    return this.sessions.values();
  }

  /** Last moment a device counts as alive without another keepalive. */
  deadline(s: DeviceSession): number {
    const base = s.lastKeepaliveAt ?? s.registeredAt ?? 0;
    const byKeepalive = base + this.liveness.keepaliveIntervalMs * this.liveness.maxMissed;
    return s.registrationExpiresAt !== null ? Math.min(byKeepalive, s.registrationExpiresAt) : byKeepalive;
  }

  /** Marks and returns the devices that went offline at `now`. */
  sweep(now: number): { session: DeviceSession; reason: OfflineReason }[] {
    const out: { session: DeviceSession; reason: OfflineReason }[] = [];
    for (const s of this.sessions.values()) {
      if (!s.online) continue;
      if (s.registrationExpiresAt !== null && now >= s.registrationExpiresAt) {
        s.online = false;
        this.dirty.add(s.deviceId);
        out.push({ session: s, reason: 'expired' });
      } else if (now >= this.deadline(s)) {
        s.online = false;
        this.dirty.add(s.deviceId);
        out.push({ session: s, reason: 'keepalive-timeout' });
      }
    }
    return out;
  }

  /** Sessions with unsaved row changes; clears the set (and their liveness marks: the row write carries them). */
  takeDirty(): DeviceSession[] {
    const out: DeviceSession[] = [];
    for (const id of this.dirty) {
      const s = this.sessions.get(id);
      if (s) out.push(s);
      this.live.delete(id);
    }
    this.dirty.clear();
    return out;
  }

  /** Sessions whose liveness alone changed since the last take; clears the set. Call after takeDirty(). */
  takeLive(): DeviceSession[] {
    const out: DeviceSession[] = [];
    for (const id of this.live) {
      const s = this.sessions.get(id);
      if (s) out.push(s);
    }
    this.live.clear();
    return out;
  }
}
