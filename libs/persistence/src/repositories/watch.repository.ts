import type { DataSource, Repository } from 'typeorm';
import { WatchEntity } from '../entities/watch.entity';

export interface WatchRow {
  channelId: string;
  deviceId: string;
  since: Date;
}

/** The set of watched channels. add() is idempotent (keeps the first `since`); remove() of an absent one is a no-op. */
export class WatchRepository {
  private readonly repo: Repository<WatchEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(WatchEntity);
  }

  async list(): Promise<WatchRow[]> {
    const rows = await this.repo.find({ order: { since: 'ASC', channelId: 'ASC' } });
    return rows.map((r) => ({ channelId: r.channelId, deviceId: r.deviceId, since: r.since }));
  }

  async add(channelId: string, deviceId: string, since = new Date()): Promise<void> {
    await this.repo.createQueryBuilder().insert().into(WatchEntity).values({ channelId, deviceId, since }).orIgnore().execute();
  }

  async remove(channelId: string): Promise<void> {
    await this.repo.delete({ channelId });
  }
}
