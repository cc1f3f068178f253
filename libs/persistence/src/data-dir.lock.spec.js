"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const node_child_process_1 = require("node:child_process");
const node_fs_1 = require("node:fs");
const node_os_1 = require("node:os");
const node_path_1 = require("node:path");
const vitest_1 = require("vitest");
const data_dir_lock_1 = require("./data-dir.lock");
let dir;
let lockPath;
const children = [];
(0, vitest_1.beforeEach)(() => {
    dir = (0, node_fs_1.mkdtempSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), 'gb-lock-'));
    lockPath = (0, node_path_1.join)(dir, 'pgdata.lock');
});
(0, vitest_1.afterEach)(() => {
    for (const c of children.splice(0))
        c.kill('SIGKILL');
    (0, node_fs_1.rmSync)(dir, { recursive: true, force: true });
});
function writeOwner(pid, host = (0, node_os_1.hostname)()) {
    (0, node_fs_1.writeFileSync)(lockPath, JSON.stringify({ pid, host, startedAt: '2026-11-28T00:00:00.000Z' }));
}
/** A process that is certainly dead: spawned, then reaped. */
async function deadPid() {
    const child = (0, node_child_process_1.spawn)(process.execPath, ['-e', '']);
    await new Promise((resolve) => child.once('exit', resolve));
    return child.pid;
}
(0, vitest_1.describe)('DataDirLock', () => {
    (0, vitest_1.it)('acquire() writes this pid; release() removes the file and is safe twice', () => {
        const lock = data_dir_lock_1.DataDirLock.acquire(lockPath);
        (0, vitest_1.expect)(JSON.parse((0, node_fs_1.readFileSync)(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, host: (0, node_os_1.hostname)() });
        lock.release();
        lock.release();
        (0, vitest_1.expect)((0, node_fs_1.existsSync)(lockPath)).toBe(false);
        (0, vitest_1.expect)((0, node_fs_1.readdirSync)(dir)).toEqual([]); // no temp file left behind either
    });
    (0, vitest_1.it)('acquire() twice in this process fails with DATA_DIR_LOCKED until the first is released', () => {
        const lock = data_dir_lock_1.DataDirLock.acquire(lockPath);
        (0, vitest_1.expect)(() => data_dir_lock_1.DataDirLock.acquire(lockPath)).toThrow(vitest_1.expect.objectContaining({ code: 'DATA_DIR_LOCKED' }));
        lock.release();
        data_dir_lock_1.DataDirLock.acquire(lockPath).release();
    });
    (0, vitest_1.it)('acquire() over a lock held by another live process fails with DATA_DIR_LOCKED naming its pid', () => {
        const other = (0, node_child_process_1.spawn)(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
        children.push(other);
        writeOwner(other.pid);
        (0, vitest_1.expect)(() => data_dir_lock_1.DataDirLock.acquire(lockPath)).toThrow(vitest_1.expect.objectContaining({ code: 'DATA_DIR_LOCKED', message: vitest_1.expect.stringContaining(`pid ${other.pid}`) }));
        (0, vitest_1.expect)(JSON.parse((0, node_fs_1.readFileSync)(lockPath, 'utf8')).pid).toBe(other.pid);
    });
    (0, vitest_1.it)('acquire() over a lock whose process has exited takes it over', async () => {
        writeOwner(await deadPid());
        const lock = data_dir_lock_1.DataDirLock.acquire(lockPath);
        (0, vitest_1.expect)(JSON.parse((0, node_fs_1.readFileSync)(lockPath, 'utf8')).pid).toBe(process.pid);
        lock.release();
    });
    (0, vitest_1.it)('acquire() over a lock naming this pid but not held here (restart with the same pid) takes it over', () => {
        writeOwner(process.pid);
        data_dir_lock_1.DataDirLock.acquire(lockPath).release();
    });
    (0, vitest_1.it)('acquire() over an unreadable lock file takes it over', () => {
        (0, node_fs_1.writeFileSync)(lockPath, '\u0000garbage');
        data_dir_lock_1.DataDirLock.acquire(lockPath).release();
    });
    (0, vitest_1.it)('acquire() over a lock from another host fails: its pid cannot be checked from here', async () => {
        writeOwner(await deadPid(), `not-${(0, node_os_1.hostname)()}`);
        (0, vitest_1.expect)(() => data_dir_lock_1.DataDirLock.acquire(lockPath)).toThrow(vitest_1.expect.objectContaining({ code: 'DATA_DIR_LOCKED' }));
    });
    (0, vitest_1.it)('release() leaves a lock file that another process has since taken over', () => {
        const lock = data_dir_lock_1.DataDirLock.acquire(lockPath);
        writeOwner(process.pid + 1);
        lock.release();
        (0, vitest_1.expect)((0, node_fs_1.existsSync)(lockPath)).toBe(true);
    });
});
//# sourceMappingURL=data-dir.lock.spec.js.map