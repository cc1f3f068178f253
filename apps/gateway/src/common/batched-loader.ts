/** What a BatchedLoader needs: how long the first caller waits for others, the most keys one read takes, the read. */
export interface BatchedLoaderOptions<K, V> {
  windowMs: number;
  max: number;
  /** One read for many keys; a key missing from the answer gives its callers `undefined`. */
  load: (keys: K[]) => Promise<ReadonlyMap<K, V>>;
}

/**
 * Shares one read among callers that ask at about the same time: keys asked within `windowMs` of the first (or until
 * `max` distinct keys wait) are read together, and each caller gets its key's value. A failed read rejects every
 * caller of that batch. Used where a registration storm would otherwise cost a query per device.
 */
export class BatchedLoader<K, V> {
  private waiting = new Map<K, Array<{ resolve: (v: V | undefined) => void; reject: (e: unknown) => void }>>();
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: BatchedLoaderOptions<K, V>) {}

  /** Distinct keys waiting for the next read. */
  get pending(): number {
    return this.waiting.size;
  }

  get(key: K): Promise<V | undefined> {
    if (this.closed) return Promise.reject(new Error('BatchedLoader closed'));
    return new Promise((resolve, reject) => {
      const w = this.waiting.get(key);
      if (w) w.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (this.waiting.size >= this.o.max) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.o.windowMs);
    });
  }

  /** Reads what waits now, without waiting for the window to end. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    if (batch.size === 0) return;
    this.waiting = new Map();
    let read: Promise<ReadonlyMap<K, V>>;
    try {
      read = this.o.load([...batch.keys()]);
    } catch (e) {
      read = Promise.reject(e);
    }
    read.then(
      (values) => {
        for (const [k, ws] of batch) for (const w of ws) w.resolve(values.get(k));
      },
      (e: unknown) => {
        for (const ws of batch.values()) for (const w of ws) w.reject(e);
      },
    );
  }

  /** No more reads: the timer is cleared and callers still waiting are rejected. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = new Map();
    const e = new Error('BatchedLoader closed');
    for (const ws of batch.values()) for (const w of ws) w.reject(e);
  }
}
