import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DeviceSubscriptionSettingsRow } from '@gb/persistence';
import { z } from 'zod';
import { openApiSchemaOf } from '../api/openapi-schema';
import type { DeviceSubscriptionDto, DeviceSubscriptionsDto } from '@gb/contracts';
import { deviceIdSchema } from '../api/devices.dto';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import type { SubscriptionStatus } from './catalog-subscription';
import { DevicesService } from './devices.service';
import { DeviceSubscriptionsService } from './device-subscriptions.service';

export const subscriptionSettingsSchema = z
  .object({
    catalog: z.boolean().nullable().optional().describe('Subscribe to catalog changes (null: CATALOG_SUBSCRIBE decides)'),
    alarm: z.boolean().nullable().optional().describe('Subscribe to alarms (null: ALARM_SUBSCRIBE decides)'),
    mobilePosition: z
      .object({
        enabled: z.boolean().nullable().optional().describe('Subscribe to mobile positions (null: MOBILE_POSITION_SUBSCRIBE decides)'),
        intervalS: z.number().int().min(1).max(3600).nullable().optional().describe('Seconds between position notifies (null: MOBILE_POSITION_INTERVAL_S)'),
      })
      .strict()
      .optional(),
  })
  .strict();

const deviceIdPipe = new ZodValidationPipe(deviceIdSchema, 'deviceId');

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function dtoOf(s: SubscriptionStatus | undefined): DeviceSubscriptionDto | null {
  return s ? { state: s.state, cause: s.cause, since: new Date(s.since).toISOString(), activeUntil: iso(s.activeUntil), nextAttemptAt: iso(s.nextAttemptAt) } : null;
}

@ApiTags('devices')
@ApiBearerAuth()
@Controller()
export class DeviceSubscriptionsController {
  constructor(
    private readonly subscriptions: DeviceSubscriptionsService,
    private readonly devices: DevicesService,
  ) {}

  private async dto(deviceId: string, settings: DeviceSubscriptionSettingsRow | null): Promise<DeviceSubscriptionsDto> {
    return {
      deviceId,
      catalog: dtoOf(this.subscriptions.status(deviceId, 'Catalog')),
      alarm: dtoOf(this.subscriptions.status(deviceId, 'Alarm')),
      mobilePosition: dtoOf(this.subscriptions.status(deviceId, 'MobilePosition')),
      settings: {
        catalog: settings?.catalog ?? null,
        alarm: settings?.alarm ?? null,
        mobilePosition: { enabled: settings?.mobilePosition ?? null, intervalS: settings?.positionIntervalS ?? null },
      },
    };
  }

  @Put('devices/:deviceId/subscriptions')
  @ApiOperation({ summary: 'This device\'s own subscription settings {catalog, alarm, mobilePosition: {enabled, intervalS}} (null: follow the config; left out: kept); a device online here is unsubscribed and subscribed again at once, elsewhere at its next registration' })
  @ApiBody({ schema: openApiSchemaOf(subscriptionSettingsSchema) })
  async put(@Param('deviceId', deviceIdPipe) deviceId: string, @Body(new ZodValidationPipe(subscriptionSettingsSchema)) body: z.output<typeof subscriptionSettingsSchema>): Promise<DeviceSubscriptionsDto> {
    await this.devices.getDto(deviceId);
    const row = await this.subscriptions.configure(deviceId, body);
    return this.dto(deviceId, row);
  }

  @Get('devices/:deviceId/subscriptions')
  @ApiOperation({ summary: 'The gateway\'s Catalog, Alarm and MobilePosition subscriptions to a device on this node (state active / retrying / refused / failed…, cause, expiry); null where config asks none' })
  async get(@Param('deviceId', deviceIdPipe) deviceId: string): Promise<DeviceSubscriptionsDto> {
    await this.devices.getDto(deviceId);
    return this.dto(deviceId, await this.subscriptions.settings(deviceId));
  }
}
