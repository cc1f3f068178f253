import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { findAppVersion } from './app-version';
import { HealthResponse } from './common.responses';

const VERSION = findAppVersion();

@ApiTags('health')
@Controller('health')
export class HealthController {
  @Public()
  @Get()
  @ApiOperation({ summary: 'Liveness probe (no token needed)' })
  @ApiOkResponse({ type: HealthResponse })
  health(): HealthResponse {
    return { status: 'ok', uptimeS: Math.floor(process.uptime()), version: VERSION };
  }
}
