import type { DataSource, Repository } from 'typeorm';
import { StreamProxyEntity } from '../entities/stream-proxy.entity';

/** Most stream proxies listed (and so, in practice, configured). */
export const MAX_STREAM_PROXIES = 1000;
/** Serials run 1..MAX_STREAM_PROXY_SERIAL (6 digits of the virtual channel ID). */
export const MAX_STREAM_PROXY_SERIAL = 999_999;

export type StreamProxyMode = 'on-demand' | 'always' | 'push';

/** A stream proxy as stored, password included: only the gateway's proxies service reads this. */
export interface StreamProxyRow {
  id: string;
  serial: number;
  name: string;
  /** The pulled source; null in push mode. */
  url: string | null;
  mode: StreamProxyMode;
  /** Push mode: the publish key (?key= in the encoder's URL); null for pulls. */
  pushKey: string | null;
  username: string | null;
  password: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewStreamProxy = Pick<StreamProxyRow, 'id' | 'name' | 'url' | 'mode' | 'username' | 'password' | 'pushKey'> & { now: Date };
export type StreamProxyPatch = Partial<Pick<StreamProxyRow, 'name' | 'url' | 'mode' | 'username' | 'password' | 'pushKey'>>;

/** Stream proxies: the operator's settings (the runtime state lives in the gateway). */
export class StreamProxyRepository {
  private readonly repo: Repository<StreamProxyEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(StreamProxyEntity);
  }

  async list(): Promise<StreamProxyRow[]> {
    return (await this.repo.find({ order: { serial: 'ASC' }, take: MAX_STREAM_PROXIES })).map(toRow);
  }

  async get(id: string): Promise<StreamProxyRow | undefined> {
    const e = await this.repo.findOneBy({ id });
    return e ? toRow(e) : undefined;
  }

  async getBySerial(serial: number): Promise<StreamProxyRow | undefined> {
    const e = await this.repo.findOneBy({ serial });
    return e ? toRow(e) : undefined;
  }

  /**
   * Stores a new proxy with the next serial (highest + 1; a deleted highest one may be taken again, a lower one never).
   * Two creates at once: the unique serial makes one fail; it is retried a few times.
   */
  async create(p: NewStreamProxy): Promise<StreamProxyRow> {
    const { now, ...rest } = p;
    for (let attempt = 0; ; attempt++) {
      const raw = (await this.dataSource.query(`SELECT COALESCE(MAX("serial"), 0) AS "max" FROM "stream_proxies"`)) as { max: number | string }[];
      const serial = Number(raw[0]?.max ?? 0) + 1;
      if (serial > MAX_STREAM_PROXY_SERIAL) throw new RangeError(`stream proxy serials exhausted (${MAX_STREAM_PROXY_SERIAL})`);
      const e = this.repo.create({ ...rest, serial, createdAt: now, updatedAt: now });
      try {
        await this.repo.insert(e);
        return toRow(e);
      } catch (err) {
        if (attempt >= 4 || !/uq_stream_proxies_serial|duplicate key/i.test(String((err as Error).message))) throw err;
      }
    }
  }

  /** Applies an operator edit; undefined when the proxy is gone. */
  async update(id: string, patch: StreamProxyPatch, now: Date): Promise<StreamProxyRow | undefined> {
    const r = await this.repo.update({ id }, { ...patch, updatedAt: now });
    if (!r.affected) return undefined;
    return this.get(id);
  }

  /** true when a row was deleted. */
  async delete(id: string): Promise<boolean> {
    return ((await this.repo.delete({ id })).affected ?? 0) > 0;
  }
}

function toRow(e: StreamProxyEntity): StreamProxyRow {
  return {
    id: e.id, serial: e.serial, name: e.name, url: e.url, mode: e.mode as StreamProxyMode,
    username: e.username, password: e.password, pushKey: e.pushKey, createdAt: e.createdAt, updatedAt: e.updatedAt,
  };
}
