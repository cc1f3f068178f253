import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiKeyRow, Database } from '@gb/persistence';
import { openApiSchemaOf } from '../api/openapi-schema';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { AccountStore } from '../auth/account-store';
import { apiKeyDisplayPrefix, generateApiKey, hashApiKey } from '../auth/api-key';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { GatewayError } from '../common/gateway-error';
import { DATABASE } from '../database/database.providers';
import { apiKeyIdSchema, createApiKeySchema, type ApiKeyDto, type CreateApiKeyDto } from './access.dto';

function toDto(k: ApiKeyRow): ApiKeyDto {
  return { id: k.id, name: k.name, role: k.role, prefix: k.keyPrefix, createdBy: k.createdBy, createdAt: k.createdAt.toISOString() };
}

/** API keys for integrations (admin): sent as `Authorization: Bearer gbk_…`, wherever a token goes. */
@ApiTags('access')
@ApiBearerAuth()
@Controller('api-keys')
export class ApiKeysController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(AccountStore) private readonly accounts: AccountStore,
  ) {}

  @Get()
  @ApiOperation({ summary: 'API keys (admin), newest first; never the key itself' })
  async list(): Promise<ApiKeyDto[]> {
    return (await this.db.apiKeys.list()).map(toDto);
  }

  @Post()
  @ApiOperation({ summary: 'Create an API key (admin): the answer carries `key`, shown this once; only its SHA-256 is stored' })
  @ApiBody({ schema: openApiSchemaOf(createApiKeySchema) })
  async create(@Body(new ZodValidationPipe(createApiKeySchema)) body: CreateApiKeyDto, @Req() req: AuthenticatedRequest): Promise<ApiKeyDto & { key: string }> {
    const key = generateApiKey();
    const row = await this.db.apiKeys.create({ name: body.name, role: body.role, keyHash: hashApiKey(key), keyPrefix: apiKeyDisplayPrefix(key), createdBy: req.user?.sub ?? 'unknown' });
    return { ...toDto(row), key };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key (admin): refused at once on this node, within AUTH_CACHE_TTL_MS on the others' })
  async revoke(@Param('id', new ZodValidationPipe(apiKeyIdSchema, 'id')) id: string): Promise<void> {
    const gone = await this.db.apiKeys.delete(id);
    this.accounts.forget();
    if (!gone) throw new GatewayError('NOT_FOUND', `No API key ${id}`);
  }
}
