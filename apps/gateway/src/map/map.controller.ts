import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { MapPlanInfoDto, MapPositionDto, MapSettingsDto } from '@gb/contracts';
import { openApiSchemaOf } from '../api/openapi-schema';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { channelIdSchema, mapPositionSchema, mapSettingsSchema, tileParamsSchema, type MapPositionBody, type MapSettingsBody } from './map.dto';
import { MapService } from './map.service';
import { MAX_PLAN_BYTES } from './plan-image';
import { planContentTypeOf, readBoundedBody } from './raw-body';

const channelIdPipe = new ZodValidationPipe(channelIdSchema, 'channelId');

/** Thin HTTP adapter over MapService. */
@ApiTags('map')
@ApiBearerAuth()
@Controller('map')
export class MapController {
  constructor(@Inject(MapService) private readonly map: MapService) {}

  @Put('plan')
  @ApiOperation({ summary: `Upload the site plan: the raw image as the body, Content-Type image/png or image/jpeg, at most ${MAX_PLAN_BYTES} bytes (415 MAP_PLAN_UNSUPPORTED_TYPE, 413 MAP_PLAN_TOO_LARGE, 400 MAP_PLAN_NOT_IMAGE)` })
  @ApiConsumes('image/png', 'image/jpeg')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  async putPlan(@Req() req: IncomingMessage): Promise<MapPlanInfoDto> {
    // This route's own raw body parser: checked type first (a JSON body was already read by the global parser).
    const type = planContentTypeOf(req);
    const bytes = await readBoundedBody(req, MAX_PLAN_BYTES);
    return this.map.putPlan(bytes, type);
  }

  @Get('plan')
  @ApiOperation({ summary: 'The site plan image (404 MAP_PLAN_NOT_FOUND before any upload)' })
  async getPlan(@Res() res: Response): Promise<void> {
    const plan = await this.map.plan();
    res.setHeader('content-type', plan.contentType);
    res.setHeader('cache-control', 'private, no-cache');
    res.setHeader('last-modified', plan.updatedAt.toUTCString());
    res.send(plan.data);
  }

  @Get('plan/info')
  @ApiOperation({ summary: 'Type, pixel size and byte size of the site plan' })
  planInfo(): Promise<MapPlanInfoDto> {
    return this.map.planInfo();
  }

  @Get('settings')
  @ApiOperation({ summary: 'Map settings: the plan\'s two reference points (pixel <-> lon/lat) and the tile server URL template' })
  settings(): Promise<MapSettingsDto> {
    return this.map.settings();
  }

  @Put('settings')
  @ApiOperation({ summary: 'Replace the map settings `{plan: {ref: [{px:[x,y], lonlat:[lon,lat]}, {…}]} | null, tileUrl: string | null}` (400 VALIDATION_FAILED, MAP_REFERENCE_DEGENERATE)' })
  @ApiBody({ schema: openApiSchemaOf(mapSettingsSchema) })
  putSettings(@Body(new ZodValidationPipe(mapSettingsSchema)) body: MapSettingsBody): Promise<MapSettingsDto> {
    return this.map.putSettings(body);
  }

  @Get('positions')
  @ApiOperation({ summary: 'Channels placed by hand, in plan image pixels (origin top-left, y down)' })
  positions(): Promise<MapPositionDto[]> {
    return this.map.positions();
  }

  @Put('positions/:channelId')
  @ApiOperation({ summary: 'Place a channel by hand at `{x, y}` plan image pixels (origin top-left, y down); for channels without catalog coordinates' })
  @ApiBody({ schema: openApiSchemaOf(mapPositionSchema) })
  putPosition(@Param('channelId', channelIdPipe) channelId: string, @Body(new ZodValidationPipe(mapPositionSchema)) body: MapPositionBody): Promise<MapPositionDto> {
    return this.map.putPosition(channelId, body.x, body.y);
  }

  @Delete('positions/:channelId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Forget a channel\'s manual position' })
  async deletePosition(@Param('channelId', channelIdPipe) channelId: string): Promise<void> {
    await this.map.deletePosition(channelId);
  }

  @Get('tiles/:z/:x/:y')
  @ApiOperation({ summary: 'One tile of the configured tile server (tileUrl), fetched by the gateway so the dashboard needs no other origin' })
  async tile(@Param(new ZodValidationPipe(tileParamsSchema, 'params')) p: { z: number; x: number; y: number }, @Res() res: Response): Promise<void> {
    const tile = await this.map.tile(p.z, p.x, p.y);
    res.setHeader('content-type', tile.contentType);
    res.setHeader('cache-control', 'private, max-age=3600');
    res.send(tile.data);
  }
}
