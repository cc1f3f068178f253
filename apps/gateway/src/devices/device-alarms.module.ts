import { Module } from '@nestjs/common';
import { DeviceAlarmsController } from './device-alarms.controller';

/** GET /api/device-alarms. DeviceAlarmsService itself is a core provider (the MESSAGE handler feeds it). */
@Module({ controllers: [DeviceAlarmsController] })
export class DeviceAlarmsModule {}
