import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLock } from './data-dir.lock';

let dir: string;
let lockPath: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gb-lock-'));
  lockPath = join(dir, 'pgdata.lock');
});

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function writeOwner(pid: number, host = hostname()): void {
  writeFileSync(lockPath, JSON.stringify({ pid, host, startedAt: '2026-11-28T00:00:00.000Z' }));
}

/** A process that is certainly dead: spawned, then reaped. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('DataDirLock', () => {
  it('acquire() writes this pid; release() removes the file and is safe twice', () => {
    const lock = DataDirLock.acquire(lockPath);
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    lock.release();
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
    expect(readdirSync(dir)).toEqual([]); // no temp file left behind either
  });

  it('acquire() twice in this process fails with DATA_DIR_LOCKED until the first is released', () => {
    const lock = DataDirLock.acquire(lockPath);
    expect(() => DataDirLock.acquire(lockPath)).toThrow(expect.objectContaining({ code: 'DATA_DIR_LOCKED' }));
    lock.release();
    DataDirLock.acquire(lockPath).release();
  });

  it('acquire() over a lock held by another live process fails with DATA_DIR_LOCKED naming its pid', () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    children.push(other);
    writeOwner(other.pid!);
    expect(() => DataDirLock.acquire(lockPath)).toThrow(
      expect.objectContaining({ code: 'DATA_DIR_LOCKED', message: expect.stringContaining(`pid ${other.pid}`) }),
    );
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(other.pid);
  });

  it('acquire() over a lock whose process has exited takes it over', async () => {
    writeOwner(await deadPid());
    const lock = DataDirLock.acquire(lockPath);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('acquire() over a lock naming this pid but not held here (restart with the same pid) takes it over', () => {
    writeOwner(process.pid);
    DataDirLock.acquire(lockPath).release();
  });

  it('acquire() over an unreadable lock file takes it over', () => {
    writeFileSync(lockPath, '\u0000garbage');
    DataDirLock.acquire(lockPath).release();
  });

  it('acquire() over a lock from another host fails: its pid cannot be checked from here', async () => {
    writeOwner(await deadPid(), `not-${hostname()}`);
    expect(() => DataDirLock.acquire(lockPath)).toThrow(expect.objectContaining({ code: 'DATA_DIR_LOCKED' }));
  });

  it('release() leaves a lock file that another process has since taken over', () => {
    const lock = DataDirLock.acquire(lockPath);
    writeOwner(process.pid + 1);
    lock.release();
    expect(existsSync(lockPath)).toBe(true);
  });
});
