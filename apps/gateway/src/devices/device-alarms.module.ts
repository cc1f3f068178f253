import { Module } from '@nestjs/common';
import { AlarmControlService } from './alarm-control.service';
import { ChannelPositionsController } from './channel-positions.controller';
import { DeviceAlarmsController } from './device-alarms.controller';

/**
 * Device events over HTTP: stored alarms (list, acknowledge, clear), alarm reset and guard, channel positions.
 * DeviceAlarmsService and ChannelPositionsService themselves are core providers (the MESSAGE handler feeds them).
 */
@Module({ controllers: [DeviceAlarmsController, ChannelPositionsController], providers: [AlarmControlService] })
export class DeviceAlarmsModule {}
