import { Between, LessThan, type DataSource, type Repository } from 'typeorm';
import { CongestionSampleEntity } from '../entities/congestion-sample.entity';
import { chunk } from '../sql-columns';

export interface CongestionSampleRow {
  channelId: string;
  roiId: string;
  t: Date;
  index: number;
  maxIndex: number;
  level: string;
  vehicles: number;
  persons: number;
  samples: number;
}

/** Rows per INSERT when writing samples. */
export const SAMPLE_INSERT_CHUNK_ROWS = 500;
/** Most samples one history read returns (oldest first); callers downsample. */
export const MAX_HISTORY_ROWS = 100_000;

/** Downsampled congestion scores; written in batches, read by time range. */
export class CongestionRepository {
  private readonly repo: Repository<CongestionSampleEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(CongestionSampleEntity);
  }

  /** Inserts samples; a row for an existing (channel, ROI, t) replaces it. */
  async insertMany(rows: readonly CongestionSampleRow[]): Promise<void> {
    for (const part of chunk(rows, SAMPLE_INSERT_CHUNK_ROWS)) {
      await this.repo.upsert(part.map((r) => ({ ...r })), { conflictPaths: ['channelId', 'roiId', 't'], skipUpdateIfNoValuesChanged: false });
    }
  }

  /** Samples of a channel with from ≤ t ≤ to, oldest first, at most `limit` (MAX_HISTORY_ROWS). */
  async range(channelId: string, from: Date, to: Date, limit = MAX_HISTORY_ROWS): Promise<CongestionSampleRow[]> {
    const rows = await this.repo.find({ where: { channelId, t: Between(from, to) }, order: { t: 'ASC', roiId: 'ASC' }, take: Math.min(limit, MAX_HISTORY_ROWS) });
    return rows.map((r) => ({ ...r }));
  }

  /** Deletes samples older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const r = await this.repo.delete({ t: LessThan(before) });
    return r.affected ?? 0;
  }
}
