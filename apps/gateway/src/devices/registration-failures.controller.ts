import { Controller, Delete, Get, HttpCode } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RegistrationFailuresDto } from '@gb/contracts';
import { SignallingAuthService } from './signalling-auth.service';

/** Signalling failures per device ID and source host (issue #8 item 7), with the flood counters (issue #16 item 3). */
@ApiTags('devices')
@ApiBearerAuth()
@Controller('registration-failures')
export class RegistrationFailuresController {
  constructor(private readonly auth: SignallingAuthService) {}

  @Get()
  @ApiOperation({
    summary:
      'Per device ID and source: 401s never answered correctly (replays included), 403s, 400s and requests dropped while banned, with the last reason and time, newest first; totals since start (also the metrics of the SIP guard)',
  })
  list(): RegistrationFailuresDto {
    return this.auth.view(Date.now());
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Lift every ban and empty the table (after fixing a password); the totals stay' })
  @ApiNoContentResponse()
  clear(): void {
    this.auth.guard.clear();
  }
}
