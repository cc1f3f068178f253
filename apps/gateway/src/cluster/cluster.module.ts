import { Module } from '@nestjs/common';
import { NodesController } from './nodes.controller';

/** GET /api/nodes. The cluster services themselves (NodesService, ClusterBus, ClusterForwarder) live in CoreModule. */
@Module({ controllers: [NodesController] })
export class ClusterModule {}
