import { Module } from '@nestjs/common';
import { MapController } from './map.controller';
import { MapService } from './map.service';

/** The map page's API: site plan, settings, manual positions, tiles. Needs DATABASE from a @Global module. */
@Module({ controllers: [MapController], providers: [MapService], exports: [MapService] })
export class MapModule {}
