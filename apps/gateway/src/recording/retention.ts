export const DAY_MS = 86_400_000;

export interface SweepSegment {
  id: string;
  /** Epoch ms. */
  startAt: number;
  bytes: number;
}

export interface SweepInput {
  /** Candidates, oldest first (segments being written are left out by the caller). */
  oldest: readonly SweepSegment[];
  /** Bytes of every indexed segment together (the open ones included). */
  totalBytes: number;
  now: number;
  /** 0 = keep forever. */
  retentionDays: number;
  /** 0 = no quota. */
  quotaBytes: number;
}

/**
 * Which segments to delete, oldest first: those older than the retention, then more of the oldest until the total
 * fits the quota. Pure: the caller deletes the files and the index rows.
 */
export function selectForDeletion(i: SweepInput): string[] {
  const out: string[] = [];
  let total = i.totalBytes;
  const cutoff = i.retentionDays > 0 ? i.now - i.retentionDays * DAY_MS : -Infinity;
  for (const s of i.oldest) {
    const expired = s.startAt < cutoff;
    const over = i.quotaBytes > 0 && total > i.quotaBytes;
    if (!expired && !over) break;
    out.push(s.id);
    total -= s.bytes;
  }
  return out;
}
