import { Module } from '@nestjs/common';
import { DeviceSubscriptionsController } from './device-subscriptions.controller';
import { DeviceSubscriptionsService } from './device-subscriptions.service';

/** Catalog, Alarm and MobilePosition subscriptions to devices and lower platforms, their NOTIFYs (the SIP NOTIFY handler) and GET /api/devices/:d/subscriptions. Uses core providers. */
@Module({ controllers: [DeviceSubscriptionsController], providers: [DeviceSubscriptionsService], exports: [DeviceSubscriptionsService] })
export class DeviceSubscriptionsModule {}
