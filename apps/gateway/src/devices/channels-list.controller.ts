import { Controller, Get, Inject, Module, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ChannelPageDto } from '@gb/contracts';
import type { Database } from '@gb/persistence';
import { channelDtoOf } from './devices.service';
import { DeviceDirectory } from './device-directory';
import { z } from 'zod';
import { DATABASE } from '../database/database.providers';
import { ZodValidationPipe } from '../api/zod-validation.pipe';

/** Most channels one GET /api/channels answers: the dashboard pages through larger fleets. */
export const MAX_CHANNELS_LISTED = 5000;

const channelsQuerySchema = z
  .object({
    search: z.string().trim().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_CHANNELS_LISTED).default(500),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/** The channels of every device (the dashboard's channel tree), read from the database: every node's devices. */
@ApiTags('devices')
@ApiBearerAuth()
@Controller('channels')
export class ChannelsListController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(DeviceDirectory) private readonly directory: DeviceDirectory,
  ) {}

  @Get()
  @ApiOperation({ summary: `Channels of every device from their last catalogs, by device and channel ID: {total, items}; search matches name or ID; limit 1-${MAX_CHANNELS_LISTED} (500)` })
  async list(@Query(new ZodValidationPipe(channelsQuerySchema, 'query')) q: z.output<typeof channelsQuerySchema>): Promise<ChannelPageDto> {
    const page = await this.db.channels.search(q);
    const positions = await this.db.positions.latest(page.items.map((c) => c.channelId));
    const items = page.items.map((c) => channelDtoOf(c, positions.get(c.channelId)));
    // The virtual devices' channels (stream proxies) come after the stored ones, matched the same way.
    const needle = q.search?.toLowerCase();
    const virtual = (await Promise.all(this.directory.virtualDevices.map((v) => v.channels())))
      .flat()
      .filter((c) => !needle || c.channelId.includes(needle) || (c.name ?? '').toLowerCase().includes(needle));
    const from = Math.max(0, q.offset - page.total);
    if (items.length < q.limit) items.push(...virtual.slice(from, from + q.limit - items.length));
    return { total: page.total + virtual.length, items };
  }
}

/** GET /api/channels. DATABASE is a core provider. */
@Module({ controllers: [ChannelsListController] })
export class ChannelsListModule {}
