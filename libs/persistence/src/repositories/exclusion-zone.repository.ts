import type { DataSource, Repository } from 'typeorm';
import { ExclusionZoneEntity } from '../entities/exclusion-zone.entity';

export interface ExclusionZoneRow {
  zoneId: string;
  polygon: [number, number][];
}

/** Exclusion zones of a channel, replaced as a whole (one transaction), listed in the operator's order. */
export class ExclusionZoneRepository {
  private readonly repo: Repository<ExclusionZoneEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(ExclusionZoneEntity);
  }

  async list(channelId: string): Promise<ExclusionZoneRow[]> {
    const rows = await this.repo.find({ where: { channelId }, order: { position: 'ASC' } });
    return rows.map((r) => ({ zoneId: r.zoneId, polygon: r.polygon }));
  }

  async replace(channelId: string, deviceId: string, zones: readonly ExclusionZoneRow[]): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.delete(ExclusionZoneEntity, { channelId });
      if (zones.length === 0) return;
      await m.insert(ExclusionZoneEntity, zones.map((z, position) => ({ channelId, deviceId, zoneId: z.zoneId, position, polygon: z.polygon })));
    });
  }
}
