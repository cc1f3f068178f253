import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { openApiSchemaOf } from '../api/openapi-schema';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { createProxySchema, proxyIdSchema, updateProxySchema, type CreateProxyDto, type ProxyDto, type UpdateProxyDto } from './proxies.dto';
import { ProxiesService } from './proxies.service';

const idPipe = new ZodValidationPipe(proxyIdSchema, 'id');

/**
 * Stream proxies: channels whose source is a URL, or an encoder's RTMP push (docs/decisions/stream-proxy.md). The
 * password is write-only; the publish URL of a push proxy (it carries the key) is shown to admins only.
 */
@ApiTags('proxies')
@ApiBearerAuth()
@Controller('proxies')
export class ProxiesController {
  constructor(@Inject(ProxiesService) private readonly proxies: ProxiesService) {}

  @Get()
  @ApiOperation({ summary: 'Stream proxies with their virtual device/channel IDs, state (idle / connecting / live / retrying / failed) and the cause of the last failure; admins also get the publish URL of push proxies' })
  list(@Req() req: AuthenticatedRequest): Promise<ProxyDto[]> {
    return this.proxies.list(req.user?.role === 'admin');
  }

  @Get(':id')
  @ApiOperation({ summary: 'One stream proxy: 404 NOT_FOUND' })
  get(@Param('id', idPipe) id: string, @Req() req: AuthenticatedRequest): Promise<ProxyDto> {
    return this.proxies.get(id, req.user?.role === 'admin');
  }

  @Post()
  @ApiOperation({ summary: 'Add a stream proxy (admin): pull rtsp://, rtmp://, http(s):// FLV or HLS, srt:// where ffmpeg has it, on-demand (default) or always; or mode push (no url): the answer has the RTMP publishUrl with its key. Answers its deviceId and channelId: play them like any channel' })
  @ApiBody({ schema: openApiSchemaOf(createProxySchema) })
  create(@Body(new ZodValidationPipe(createProxySchema)) body: CreateProxyDto): Promise<ProxyDto> {
    return this.proxies.create(body);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a stream proxy (admin); a new URL, credentials or mode restarts it; rotateKey: true gives a push proxy a new publish key (the current encoder is dropped)' })
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
