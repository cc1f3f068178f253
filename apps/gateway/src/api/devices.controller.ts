import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiGatewayTimeoutResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { DeviceDirectory, type DeviceStatusResult } from '../devices/device-directory';
import { ErrorResponse } from './common.responses';
import { DEVICE_ID_OPENAPI, deviceIdSchema, patchDeviceSchema, type PatchDeviceDto } from './devices.dto';
import { CatalogSyncResponse, ChannelResponse, DeviceResponse, DeviceStatusResponse } from './devices.responses';
import { openApiSchemaOf } from './openapi-schema';
import { ZodValidationPipe } from './zod-validation.pipe';

const deviceIdPipe = new ZodValidationPipe(deviceIdSchema, 'deviceId');
const DeviceIdParam = ApiParam({ name: 'deviceId', description: 'GB/T 28181 device ID: 20 digits, or 1-32 letters and digits', schema: { ...DEVICE_ID_OPENAPI } });
const NotFound = ApiNotFoundResponse({ type: ErrorResponse, description: 'DEVICE_NOT_FOUND' });
const BadRequest = ApiBadRequestResponse({ type: ErrorResponse, description: 'VALIDATION_FAILED' });

/** Thin adapter from HTTP to the DeviceDirectory use-cases. */
@ApiTags('devices')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorResponse })
@Controller('devices')
export class DevicesController {
  constructor(@Inject(DeviceDirectory) private readonly devices: DeviceDirectory) {}

  @Get()
  @ApiOperation({ summary: 'All known devices' })
  @ApiOkResponse({ type: [DeviceResponse] })
  list(): Promise<DeviceDto[]> {
    return this.devices.list();
  }

  @Get(':deviceId')
  @ApiOperation({ summary: 'One device' })
  @DeviceIdParam
  @ApiOkResponse({ type: DeviceResponse })
  @BadRequest
  @NotFound
  get(@Param('deviceId', deviceIdPipe) deviceId: string): Promise<DeviceDto> {
    return this.devices.get(deviceId);
  }

  @Get(':deviceId/channels')
  @ApiOperation({ summary: "A device's channels from its last catalog" })
  @DeviceIdParam
  @ApiOkResponse({ type: [ChannelResponse] })
  @BadRequest
  @NotFound
  channels(@Param('deviceId', deviceIdPipe) deviceId: string): Promise<ChannelDto[]> {
    return this.devices.listChannels(deviceId);
  }

  @Post(':deviceId/catalog')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a Catalog query; progress and result arrive as catalog.* events' })
  @DeviceIdParam
  @ApiAcceptedResponse({ type: CatalogSyncResponse })
  @BadRequest
  @NotFound
  @ApiConflictResponse({ type: ErrorResponse, description: 'DEVICE_OFFLINE' })
  @ApiGatewayTimeoutResponse({ type: ErrorResponse, description: 'DEVICE_TIMEOUT' })
  syncCatalog(@Param('deviceId', deviceIdPipe) deviceId: string): Promise<{ sn: number }> {
    return this.devices.syncCatalog(deviceId);
  }

  @Get(':deviceId/status')
  @ApiOperation({ summary: 'Ask the device for its DeviceStatus' })
  @DeviceIdParam
  @ApiOkResponse({ type: DeviceStatusResponse })
  @BadRequest
  @NotFound
  @ApiConflictResponse({ type: ErrorResponse, description: 'DEVICE_OFFLINE' })
  @ApiGatewayTimeoutResponse({ type: ErrorResponse, description: 'DEVICE_TIMEOUT' })
  status(@Param('deviceId', deviceIdPipe) deviceId: string): Promise<DeviceStatusResult> {
    return this.devices.queryStatus(deviceId);
  }

  @Patch(':deviceId')
  @ApiOperation({ summary: "Change a device's settings; password null clears the per-device password" })
  @DeviceIdParam
  @ApiBody({ schema: openApiSchemaOf(patchDeviceSchema) })
  @ApiOkResponse({ type: DeviceResponse })
  @BadRequest
  @NotFound
  update(
    @Param('deviceId', deviceIdPipe) deviceId: string,
    @Body(new ZodValidationPipe(patchDeviceSchema)) patch: PatchDeviceDto,
  ): Promise<DeviceDto> {
    return this.devices.update(deviceId, patch);
  }

  @Delete(':deviceId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Forget a device and its channels' })
  @DeviceIdParam
  @ApiNoContentResponse()
  @BadRequest
  @NotFound
  async remove(@Param('deviceId', deviceIdPipe) deviceId: string): Promise<void> {
    await this.devices.remove(deviceId);
  }
}
