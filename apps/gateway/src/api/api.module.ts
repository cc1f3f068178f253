import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { AuthService } from '../auth/auth.service';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { LOGIN_THROTTLE_OPTIONS, LoginThrottle, loginThrottleOptionsOf, type LoginThrottleOptions } from '../auth/login-throttle';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { AuthController } from './auth.controller';
import { DevicesController } from './devices.controller';
import { EventStreamServer } from './event-stream.server';
import { HealthController } from './health.controller';
import { HttpExceptionFilter } from './http-exception.filter';

/**
 * The gateway's HTTP edge. Needs from a @Global module: GATEWAY_CONFIG, EventBus, DeviceDirectory, SecretStore.
 * Call configureHttpApp(app) before listen() for the prefix, body limits, OpenAPI and the WebSocket.
 */
@Module({
  imports: [JwtModule.register({})],
  controllers: [HealthController, AuthController, DevicesController],
  providers: [
    AuthService,
    EventStreamServer,
    {
      provide: LoginThrottle,
      useFactory: (cfg: GatewayConfig, options?: Partial<LoginThrottleOptions>) => new LoginThrottle({ ...loginThrottleOptionsOf(cfg), ...options }),
      inject: [GATEWAY_CONFIG, { token: LOGIN_THROTTLE_OPTIONS, optional: true }],
    },
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
  ],
  exports: [AuthService, EventStreamServer],
})
export class ApiModule {}
