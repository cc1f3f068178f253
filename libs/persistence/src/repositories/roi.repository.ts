import type { DataSource, Repository } from 'typeorm';
import { RoiEntity } from '../entities/roi.entity';

export interface RoiRow {
  roiId: string;
  polygon: [number, number][];
  calibration: Record<string, number> | null;
}

/** ROIs of a channel, replaced as a whole (one transaction), listed in the operator's order. */
export class RoiRepository {
  private readonly repo: Repository<RoiEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(RoiEntity);
  }

  async list(channelId: string): Promise<RoiRow[]> {
    const rows = await this.repo.find({ where: { channelId }, order: { position: 'ASC' } });
    return rows.map((r) => ({ roiId: r.roiId, polygon: r.polygon, calibration: r.calibration }));
  }

  async replace(channelId: string, deviceId: string, rois: readonly RoiRow[]): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.delete(RoiEntity, { channelId });
      if (rois.length === 0) return;
      await m.insert(
        RoiEntity,
        rois.map((r, position) => ({ channelId, deviceId, roiId: r.roiId, position, polygon: r.polygon, calibration: r.calibration })),
      );
    });
  }
}
