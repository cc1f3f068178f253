import { Module } from '@nestjs/common';
import { DeviceSubscriptionsService } from './device-subscriptions.service';

/** Catalog subscriptions to devices and lower platforms, and their NOTIFYs (the SIP NOTIFY handler). Uses core providers. */
@Module({ providers: [DeviceSubscriptionsService], exports: [DeviceSubscriptionsService] })
export class DeviceSubscriptionsModule {}
