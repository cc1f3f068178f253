import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { openApiSchemaOf } from '../api/openapi-schema';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { createPlatformSchema, platformIdSchema, updatePlatformSchema, type CreatePlatformDto, type PlatformDto, type UpdatePlatformDto } from './platforms.dto';
import { PlatformsService } from './platforms.service';

const idPipe = new ZodValidationPipe(platformIdSchema, 'id');

/** Superior platforms this gateway registers with (cascade, docs/cascade.md). The password is write-only. */
@ApiTags('cascade')
@ApiBearerAuth()
@Controller('platforms')
export class PlatformsController {
  constructor(@Inject(PlatformsService) private readonly platforms: PlatformsService) {}

  @Get()
  @ApiOperation({ summary: 'Superior platforms with their registration state (registering / online / failed + cause / disabled) and last keepalive' })
  list(): Promise<PlatformDto[]> {
    return this.platforms.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One superior platform: 404 NOT_FOUND' })
  get(@Param('id', idPipe) id: string): Promise<PlatformDto> {
    return this.platforms.get(id);
  }

  @Post()
  @ApiOperation({ summary: 'Add a superior platform (admin); registration starts at once when enabled. 409 CONFLICT: same superior and local ID' })
  @ApiBody({ schema: openApiSchemaOf(createPlatformSchema) })
  create(@Body(new ZodValidationPipe(createPlatformSchema)) body: CreatePlatformDto): Promise<PlatformDto> {
    return this.platforms.create(body);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a superior platform (admin): enabled false unregisters (Expires 0); a new address, ID, password, timer or charset registers anew' })
  @ApiBody({ schema: openApiSchemaOf(updatePlatformSchema) })
  update(@Param('id', idPipe) id: string, @Body(new ZodValidationPipe(updatePlatformSchema)) body: UpdatePlatformDto): Promise<PlatformDto> {
    return this.platforms.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a superior platform (admin); unregisters first (Expires 0)' })
  async remove(@Param('id', idPipe) id: string): Promise<void> {
    await this.platforms.remove(id);
  }
}
