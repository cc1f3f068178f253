import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { auditQuerySchema, type AuditEntryDto } from './access.dto';
import { AuditService } from './audit.service';

@ApiTags('access')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({ summary: 'Control actions (PTZ, device edits and deletes, alert acks, users, API keys, …), newest first (admin); ?limit= 1-1000, default 100' })
  async list(@Query(new ZodValidationPipe(auditQuerySchema, 'query')) q: z.output<typeof auditQuerySchema>): Promise<AuditEntryDto[]> {
    return (await this.audit.list(q.limit)).map((e) => ({
      at: e.at.toISOString(),
      actor: e.actor,
      role: e.role,
      action: e.action,
      target: e.target,
      outcome: e.outcome,
      detail: e.detail,
      nodeId: e.nodeId,
    }));
  }
}
