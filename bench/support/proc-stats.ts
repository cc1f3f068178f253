import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
export const CLOCK_TICKS_PER_S = 100;

export interface ProcSample {
  at: number;
  /** utime + stime per pid, clock ticks. */
  ticks: Map<number, number>;
  /** VmRSS per pid, kB. */
  rssKb: Map<number, number>;
  /** Pss per pid, kB (/proc/<pid>/smaps_rollup): shared pages split between the processes that map them. */
  pssKb: Map<number, number>;
}

/** utime + stime in clock ticks (/proc/<pid>/stat fields 14 and 15), or null when the process is gone. */
export function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** VmRSS in kB (/proc/<pid>/status), or null when the process is gone. */
export function rssKb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Direct children of every thread of `pid` (/proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (text) out.push(...text.split(/\s+/).map(Number));
      } catch {
        /* thread gone */
      }
    }
  } catch {
    /* process gone */
  }
  return out;
}

/** `pid` and all its descendants. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childPids(out[i]!));
  return out;
}

/** Proportional set size in kB, or null when the process is gone or the kernel has no smaps_rollup. */
export function pssKb(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function sample(pids: number[]): ProcSample {
  const ticks = new Map<number, number>();
  const rss = new Map<number, number>();
  const pss = new Map<number, number>();
  for (const p of pids) {
    const t = cpuTicks(p);
    const r = rssKb(p);
    const q = pssKb(p);
    if (t !== null) ticks.set(p, t);
    if (r !== null) rss.set(p, r);
    if (q !== null) pss.set(p, q);
  }
  return { at: performance.now(), ticks, rssKb: rss, pssKb: pss };
}

export interface WindowUsage {
  /** CPU used over the window, % of one core. */
  cpuPercent: number;
  /** Sum of VmRSS at the end of the window, kB (counts shared library pages once per process). */
  rssKb: number;
  /** Sum of Pss at the end of the window, kB (what the processes really take together). */
  pssKb: number;
  processes: number;
  seconds: number;
}

/**
 * CPU of a set of processes between two samples, as % of one core. A pid only in `end` started within the window
 * (all its ticks count); a pid only in `start` has exited (its last ticks are lost: keep windows free of exits).
 */
export function usageBetween(start: ProcSample, end: ProcSample): WindowUsage {
  let ticks = 0;
  for (const [pid, t] of end.ticks) ticks += t - (start.ticks.get(pid) ?? 0);
  const seconds = (end.at - start.at) / 1000;
  let rss = 0;
  for (const r of end.rssKb.values()) rss += r;
  let pss = 0;
  for (const r of end.pssKb.values()) pss += r;
  return { cpuPercent: (100 * ticks) / CLOCK_TICKS_PER_S / seconds, rssKb: rss, pssKb: pss, processes: end.ticks.size, seconds };
}

/** Load average over 1, 5 and 15 minutes (/proc/loadavg). */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

/** Sends SIGKILL to the pids still alive (processes a bench started and must not leave behind). */
export function killAll(pids: Iterable<number>): void {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
