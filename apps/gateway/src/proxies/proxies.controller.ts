import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { openApiSchemaOf } from '../api/openapi-schema';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { createProxySchema, proxyIdSchema, updateProxySchema, type CreateProxyDto, type ProxyDto, type UpdateProxyDto } from './proxies.dto';
import { ProxiesService } from './proxies.service';

const idPipe = new ZodValidationPipe(proxyIdSchema, 'id');

/** Stream proxies: channels whose source is a URL (docs/decisions/stream-proxy.md). The password is write-only. */
@ApiTags('proxies')
@ApiBearerAuth()
@Controller('proxies')
export class ProxiesController {
  constructor(@Inject(ProxiesService) private readonly proxies: ProxiesService) {}

  @Get()
  @ApiOperation({ summary: 'Stream proxies with their virtual device/channel IDs, state (idle / connecting / live / retrying / failed) and the cause of the last failure' })
  list(): Promise<ProxyDto[]> {
    return this.proxies.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One stream proxy: 404 NOT_FOUND' })
  get(@Param('id', idPipe) id: string): Promise<ProxyDto> {
    return this.proxies.get(id);
  }

  @Post()
  @ApiOperation({ summary: 'Add a stream proxy (admin): rtsp://, rtmp://, http(s):// FLV or HLS, srt:// where ffmpeg has it; on-demand (default) or always. Answers its deviceId and channelId: play them like any channel' })
  @ApiBody({ schema: openApiSchemaOf(createProxySchema) })
  create(@Body(new ZodValidationPipe(createProxySchema)) body: CreateProxyDto): Promise<ProxyDto> {
    return this.proxies.create(body);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a stream proxy (admin); a new URL, credentials or mode restarts it' })
  @ApiBody({ schema: openApiSchemaOf(updateProxySchema) })
  update(@Param('id', idPipe) id: string, @Body(new ZodValidationPipe(updateProxySchema)) body: UpdateProxyDto): Promise<ProxyDto> {
    return this.proxies.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a stream proxy (admin); its stream ends' })
  async remove(@Param('id', idPipe) id: string): Promise<void> {
    await this.proxies.remove(id);
  }
}
