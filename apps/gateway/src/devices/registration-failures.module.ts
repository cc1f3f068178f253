import { Module } from '@nestjs/common';
import { RegistrationFailuresController } from './registration-failures.controller';

/** GET/DELETE /api/registration-failures. SignallingAuthService itself is a core provider (registrar and MESSAGE handler use it). */
@Module({ controllers: [RegistrationFailuresController] })
export class RegistrationFailuresModule {}
