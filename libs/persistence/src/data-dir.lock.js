"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.DataDirLock = void 0;
const node_crypto_1 = require("node:crypto");
const node_fs_1 = require("node:fs");
const node_os_1 = require("node:os");
const persistence_error_1 = require("./persistence-error");
/** Lock files this process holds, so a second open from the same process is refused too. */
const heldByThisProcess = new Set();
/**
 * An exclusive, advisory lock on a data directory: a file holding the owner's pid, created atomically.
 *
 * A lock whose pid is no longer alive (crash, kill -9) is stale and taken over. A lock naming this
 * process's own pid but not held by it is left over from an earlier process that had the same pid
 * (containers restart with the same pid), so it is stale too. Limitation: two hosts sharing the
 * directory over a network filesystem cannot check each other's pids; a lock from another host is
 * always treated as live.
 */
class DataDirLock {
    path;
    released = false;
    constructor(path) {
        this.path = path;
    }
    /** Throws PersistenceError DATA_DIR_LOCKED when a live owner holds the lock. */
    static acquire(path) {
        for (let attempt = 0; attempt < 2; attempt++) {
            if (heldByThisProcess.has(path))
                throw lockedError(path, readOwner(path));
            // Written aside, then hard-linked into place: link() fails with EEXIST atomically and the
            // lock file is never seen half-written.
            const tmp = `${path}.${process.pid}.${(0, node_crypto_1.randomBytes)(4).toString('hex')}`;
            const mine = { pid: process.pid, host: (0, node_os_1.hostname)(), startedAt: new Date().toISOString() };
            (0, node_fs_1.writeFileSync)(tmp, JSON.stringify(mine) + '\n', { mode: 0o600 });
            try {
                (0, node_fs_1.linkSync)(tmp, path);
                heldByThisProcess.add(path);
                return new DataDirLock(path);
            }
            catch (e) {
                if (e.code !== 'EEXIST')
                    throw e;
            }
            finally {
                (0, node_fs_1.unlinkSync)(tmp);
            }
            const owner = readOwner(path);
            if (owner && isLive(owner))
                throw lockedError(path, owner);
            // Stale: remove it and retry once; if another process links first, it holds the lock.
            // (Two processes taking over the same stale lock at the same instant can still both win;
            // the window is the few microseconds between this read and unlink.)
            try {
                (0, node_fs_1.unlinkSync)(path);
            }
            catch (e) {
                if (e.code !== 'ENOENT')
                    throw e;
            }
        }
        throw lockedError(path, readOwner(path));
    }
    /** Idempotent. Removes the file only if it still names this process. */
    release() {
        if (this.released)
            return;
        this.released = true;
        heldByThisProcess.delete(this.path);
        const owner = readOwner(this.path);
        if (owner?.pid === process.pid) {
            try {
                (0, node_fs_1.unlinkSync)(this.path);
            }
            catch {
                /* already gone */
            }
        }
    }
}
exports.DataDirLock = DataDirLock;
function readOwner(path) {
    try {
        const parsed = JSON.parse((0, node_fs_1.readFileSync)(path, 'utf8'));
        if (typeof parsed.pid !== 'number')
            return undefined;
        return { pid: parsed.pid, host: String(parsed.host ?? ''), startedAt: String(parsed.startedAt ?? '') };
    }
    catch {
        // Missing or garbage (never half-written, see acquire): treat as stale.
        return undefined;
    }
}
function isLive(owner) {
    if (owner.host !== (0, node_os_1.hostname)())
        return true;
    if (owner.pid === process.pid)
        return false; // not in heldByThisProcess (checked first), so left over
    try {
        process.kill(owner.pid, 0);
        return true;
    }
    catch (e) {
        return e.code === 'EPERM'; // exists, owned by another user
    }
}
function lockedError(path, owner) {
    const who = owner ? `pid ${owner.pid} on ${owner.host} since ${owner.startedAt}` : 'another opener';
    return new persistence_error_1.PersistenceError('DATA_DIR_LOCKED', `Embedded database is in use by ${who} (lock file ${path}). ` +
        'Stop the other gateway, or set DATA_DIR to another directory; delete the lock file only if no gateway is running.');
}
//# sourceMappingURL=data-dir.lock.js.map