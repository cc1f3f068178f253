import { Inject, Injectable } from '@nestjs/common';
import { planTransform, type MapPlanInfoDto, type MapPositionDto, type MapSettingsDto } from '@gb/contracts';
import type { Database, MapRepository } from '@gb/persistence';
import { GatewayError } from '../common/gateway-error';
import { DATABASE } from '../database/database.providers';
import type { MapSettingsBody } from './map.dto';
import { MAX_PLAN_DIMENSION, sniffPlanImage, type PlanContentType } from './plan-image';

/** Most channels placed by hand. */
export const MAX_MAP_POSITIONS = 10_000;
/** Largest tile fetched from the tile server, and how long one may take. */
export const MAX_TILE_BYTES = 1024 * 1024;
export const TILE_TIMEOUT_MS = 5000;

/**
 * Site plan, map settings and manual positions. Everything lives in the database so every gateway node serves the same
 * map. Positions are plan image pixels; catalog coordinates go through the plan's two reference points.
 */
@Injectable()
export class MapService {
  private readonly map: MapRepository;

  constructor(@Inject(DATABASE) db: Database) {
    this.map = db.map;
  }

  /** Errors: MAP_PLAN_NOT_IMAGE (bytes are not a PNG/JPEG, or not the declared one). */
  async putPlan(bytes: Buffer, declared: PlanContentType): Promise<MapPlanInfoDto> {
    const image = sniffPlanImage(bytes, declared);
    await this.map.putPlan({ ...image, data: bytes });
    return this.planInfo();
  }

  async plan(): Promise<{ contentType: string; data: Buffer; updatedAt: Date }> {
    const plan = await this.map.getPlan();
    if (!plan) throw new GatewayError('MAP_PLAN_NOT_FOUND', 'no site plan was uploaded');
    return plan;
  }

  async planInfo(): Promise<MapPlanInfoDto> {
    const info = await this.map.getPlanInfo();
    if (!info) throw new GatewayError('MAP_PLAN_NOT_FOUND', 'no site plan was uploaded');
    return { contentType: info.contentType as MapPlanInfoDto['contentType'], width: info.width, height: info.height, bytes: info.bytes, updatedAt: info.updatedAt.toISOString() };
  }

  async settings(): Promise<MapSettingsDto> {
    const row = await this.map.getSettings();
    if (!row) return { plan: null, tileUrl: null };
    return { plan: (row.planRef as MapSettingsDto['plan']) ?? null, tileUrl: row.tileUrl };
  }

  /** Errors: MAP_REFERENCE_DEGENERATE when the two reference points coincide in pixels or on earth. */
  async putSettings(body: MapSettingsBody): Promise<MapSettingsDto> {
    if (body.plan && !planTransform(body.plan.ref)) {
      throw new GatewayError('MAP_REFERENCE_DEGENERATE', 'the two reference points must differ both in pixels and in longitude/latitude');
    }
    await this.map.putSettings({ planRef: body.plan, tileUrl: body.tileUrl });
    return this.settings();
  }

  async positions(): Promise<MapPositionDto[]> {
    return (await this.map.listPositions()).map((p) => ({ channelId: p.channelId, x: p.x, y: p.y, updatedAt: p.updatedAt.toISOString() }));
  }

  /** Errors: MAP_POSITIONS_FULL past MAX_MAP_POSITIONS channels; VALIDATION_FAILED outside the plan. */
  async putPosition(channelId: string, x: number, y: number): Promise<MapPositionDto> {
    const info = await this.map.getPlanInfo();
    if (info && (x > info.width || y > info.height)) {
      throw new GatewayError('VALIDATION_FAILED', `position ${x},${y} is outside the ${info.width}x${info.height} plan`);
    }
    if (x > MAX_PLAN_DIMENSION || y > MAX_PLAN_DIMENSION) throw new GatewayError('VALIDATION_FAILED', 'position is outside any plan');
    if ((await this.map.countPositions()) >= MAX_MAP_POSITIONS && !(await this.map.listPositions()).some((p) => p.channelId === channelId)) {
      throw new GatewayError('MAP_POSITIONS_FULL', `at most ${MAX_MAP_POSITIONS} channels may be placed by hand`);
    }
    const p = await this.map.putPosition(channelId, x, y);
    return { channelId: p.channelId, x: p.x, y: p.y, updatedAt: p.updatedAt.toISOString() };
  }

  async deletePosition(channelId: string): Promise<void> {
    await this.map.deletePosition(channelId);
  }

  /**
   * One tile from the configured tile server (the dashboard's CSP allows images from this origin only, so tiles come
   * through here). Errors: NOT_FOUND without a tileUrl or when the server has none; NODE_UNAVAILABLE when it fails.
   */
  async tile(z: number, x: number, y: number): Promise<{ contentType: string; data: Buffer }> {
    const { tileUrl } = await this.settings();
    if (!tileUrl) throw new GatewayError('NOT_FOUND', 'no tile server is configured (map settings tileUrl)');
    const url = tileUrl.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y));
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(TILE_TIMEOUT_MS), redirect: 'error' });
    } catch (e) {
      throw new GatewayError('NODE_UNAVAILABLE', `tile server did not answer: ${(e as Error).message}`, undefined, { cause: e });
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!res.ok || !type.startsWith('image/')) {
      await res.body?.cancel().catch(() => undefined);
      throw new GatewayError('NOT_FOUND', `tile server answered ${res.status} ${type}`);
    }
    if (Number(res.headers.get('content-length') ?? 0) > MAX_TILE_BYTES) {
      await res.body?.cancel().catch(() => undefined);
      throw new GatewayError('NODE_UNAVAILABLE', `tile is larger than ${MAX_TILE_BYTES} bytes`);
    }
    const data = Buffer.from(await res.arrayBuffer());
    if (data.length > MAX_TILE_BYTES) throw new GatewayError('NODE_UNAVAILABLE', `tile is larger than ${MAX_TILE_BYTES} bytes`);
    return { contentType: type, data };
  }
}
