/**
 * Runs expensive jobs (scrypt password checks, ~32 MiB and tens of ms each) at most `maxConcurrent` at a time,
 * taking turns between clients instead of first come, first served:
 *
 *   class 0 (clients in good standing)   A1 -> B1 -> C1 -> A2 ...   served first
 *   class 1 (clients that failed before) X1 -> Y1 -> Z1 -> X2 ...   served when class 0 is empty
 *
 * so 245 addresses flooding the queue delay a newcomer by at most one job per address of its own class, and a
 * client in good standing by none of theirs once they have failed. Every client holds at most `maxPendingPerClient`
 * jobs (queued or running) and a job waits at most `maxWaitMs`; past either it is refused, for that client only.
 * There is no global queue length an attacker could fill: the queue is as long as the clients it holds.
 */
export interface FairQueueOptions {
  maxConcurrent: number;
  maxPendingPerClient: number;
  maxWaitMs: number;
}

export type FairQueueRefusal = 'CLIENT_BUSY' | 'QUEUE_TIMEOUT';

export class FairQueueRefusedError extends Error {
  override readonly name = 'FairQueueRefusedError';
  constructor(readonly reason: FairQueueRefusal) {
    super(reason === 'CLIENT_BUSY' ? 'this client already has the most jobs pending' : 'waited too long for a turn');
  }
}

interface Job {
  client: string;
  run: () => void;
  timer: NodeJS.Timeout;
}

export class FairQueue {
  /** Per class: client -> its queued jobs, in turn order (a client goes to the back after each job it gets). */
  private readonly classes: [Map<string, Job[]>, Map<string, Job[]>] = [new Map(), new Map()];
  private readonly pending = new Map<string, number>();
  private running = 0;

  constructor(private readonly options: FairQueueOptions) {}

  get runningJobs(): number {
    return this.running;
  }

  get queuedJobs(): number {
    let n = 0;
    for (const c of this.classes) for (const q of c.values()) n += q.length;
    return n;
  }

  /** Runs `work` for `client` when its turn comes; rejects with FairQueueRefusedError when refused. */
  run<T>(client: string, priority: 0 | 1, work: () => Promise<T>): Promise<T> {
    const held = this.pending.get(client) ?? 0;
    if (held >= this.options.maxPendingPerClient) return Promise.reject(new FairQueueRefusedError('CLIENT_BUSY'));
    this.pending.set(client, held + 1);
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        client,
        run: () => {
          clearTimeout(job.timer);
          this.running++;
          work()
            .then(resolve, reject)
            .finally(() => {
              this.running--;
              this.release(client);
              this.next();
            });
        },
        timer: setTimeout(() => {
          if (this.remove(job, priority)) {
            this.release(client);
            reject(new FairQueueRefusedError('QUEUE_TIMEOUT'));
          }
        }, this.options.maxWaitMs),
      };
      const byClient = this.classes[priority];
      const q = byClient.get(client);
      if (q) q.push(job);
      else byClient.set(client, [job]);
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.options.maxConcurrent) {
      const job = this.take(this.classes[0]) ?? this.take(this.classes[1]);
      if (!job) return;
      job.run();
    }
  }

  /** The first client's first job; the client moves to the back of the turn order. */
  private take(byClient: Map<string, Job[]>): Job | undefined {
    const first = byClient.entries().next();
    if (first.done) return undefined;
    const [client, q] = first.value;
    const job = q.shift()!;
    byClient.delete(client);
    if (q.length > 0) byClient.set(client, q);
    return job;
  }

  private remove(job: Job, priority: 0 | 1): boolean {
    const byClient = this.classes[priority];
    const q = byClient.get(job.client);
    const i = q ? q.indexOf(job) : -1;
    if (!q || i < 0) return false;
    q.splice(i, 1);
    if (q.length === 0) byClient.delete(job.client);
    return true;
  }

  private release(client: string): void {
    const n = (this.pending.get(client) ?? 1) - 1;
    if (n > 0) this.pending.set(client, n);
    else this.pending.delete(client);
  }
}
