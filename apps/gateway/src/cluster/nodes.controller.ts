import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { NodesService, type NodeDto } from './nodes.service';

class NodeResponse implements NodeDto {
  @ApiProperty() nodeId!: string;
  @ApiProperty({ type: String, nullable: true, description: 'PUBLIC_URL of the node' }) publicUrl!: string | null;
  @ApiProperty({ type: String, nullable: true }) sipAddress!: string | null;
  @ApiProperty({ type: String, nullable: true }) mediaIp!: string | null;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time' }) heartbeatAt!: string;
  @ApiProperty({ description: 'Heartbeat newer than NODE_DEAD_AFTER_MS' }) alive!: boolean;
  @ApiProperty({ description: 'The node that answered this request' }) self!: boolean;
  @ApiProperty({ description: 'Online devices it owns' }) devices!: number;
  @ApiProperty({ description: 'Open streams' }) streams!: number;
  @ApiProperty({ description: 'Process CPU over the last heartbeat period, in cores' }) cpu!: number;
}

@ApiTags('nodes')
@ApiBearerAuth()
@Controller('nodes')
export class NodesController {
  constructor(@Inject(NodesService) private readonly nodes: NodesService) {}

  @Get()
  @ApiOperation({ summary: 'Gateway nodes sharing this database, with heartbeat and load' })
  @ApiOkResponse({ type: [NodeResponse] })
  list(): Promise<NodeDto[]> {
    return this.nodes.list();
  }
}
