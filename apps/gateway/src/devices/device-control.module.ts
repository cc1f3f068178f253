import { Module } from '@nestjs/common';
import { DeviceControlController } from './device-control.controller';
import { DeviceControlService } from './device-control.service';

/** DeviceControl commands (record, keyframe, drag zoom, home position, reboot), PresetQuery and BasicParam config over HTTP. */
@Module({ controllers: [DeviceControlController], providers: [DeviceControlService], exports: [DeviceControlService] })
export class DeviceControlModule {}
