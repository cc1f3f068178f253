import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { PersistenceError } from './persistence-error';

/** Lock files this process holds, so a second open from the same process is refused too. */
const heldByThisProcess = new Set<string>();

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * An exclusive, advisory lock on a data directory: a file holding the owner's pid, created atomically.
 *
 * A lock whose pid is no longer alive (crash, kill -9) is stale and taken over. A lock naming this
 * process's own pid but not held by it is left over from an earlier process that had the same pid
 * (containers restart with the same pid), so it is stale too. Limitation: two hosts sharing the
 * directory over a network filesystem cannot check each other's pids; a lock from another host is
 * always treated as live.
 */
export class DataDirLock {
  private released = false;

  private constructor(readonly path: string) {}

  /** Throws PersistenceError DATA_DIR_LOCKED when a live owner holds the lock. */
  static acquire(path: string): DataDirLock {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (heldByThisProcess.has(path)) throw lockedError(path, readOwner(path));
      // Written aside, then hard-linked into place: link() fails with EEXIST atomically and the
      // lock file is never seen half-written.
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
      const mine: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
      writeFileSync(tmp, JSON.stringify(mine) + '\n', { mode: 0o600 });
      try {
        linkSync(tmp, path);
        heldByThisProcess.add(path);
        return new DataDirLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        unlinkSync(tmp);
      }
      const owner = readOwner(path);
      if (owner && isLive(owner)) throw lockedError(path, owner);
      // Stale: remove it and retry once; if another process links first, it holds the lock.
      // (Two processes taking over the same stale lock at the same instant can still both win;
      // the window is the few microseconds between this read and unlink.)
      try {
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    throw lockedError(path, readOwner(path));
  }

  /** Idempotent. Removes the file only if it still names this process. */
  release(): void {
    if (this.released) return;
    this.released = true;
    heldByThisProcess.delete(this.path);
    const owner = readOwner(this.path);
    if (owner?.pid === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        /* already gone */
      }
    }
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number') return undefined;
    return { pid: parsed.pid, host: String(parsed.host ?? ''), startedAt: String(parsed.startedAt ?? '') };
  } catch {
    // Missing or garbage (never half-written, see acquire): treat as stale.
    return undefined;
  }
}

function isLive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return false; // not in heldByThisProcess (checked first), so left over
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

function lockedError(path: string, owner: LockOwner | undefined): PersistenceError {
  const who = owner ? `pid ${owner.pid} on ${owner.host} since ${owner.startedAt}` : 'another opener';
  return new PersistenceError(
    'DATA_DIR_LOCKED',
    `Embedded database is in use by ${who} (lock file ${path}). ` +
      'Stop the other gateway, or set DATA_DIR to another directory; delete the lock file only if no gateway is running.',
  );
}
