import { Module } from '@nestjs/common';
import { WebController } from './web.controller';
import { WEB_DIST_DIR, findWebDist } from './web-dist';

/**
 * The operator dashboard: `/` and `/app/…` (outside the /api prefix; bootstrap.ts passes WEB_PREFIX_EXCLUDE).
 * The gateway starts without a built dashboard; `/` then says how to build it.
 */
@Module({
  controllers: [WebController],
  providers: [{ provide: WEB_DIST_DIR, useFactory: () => findWebDist() }],
})
export class WebModule {}

/** Routes the dashboard serves outside the global /api prefix. */
export const WEB_PREFIX_EXCLUDE = ['/', 'app/*path'];
