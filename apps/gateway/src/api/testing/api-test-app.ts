import { Global, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { AuthService } from '../../auth/auth.service';
import { LOGIN_THROTTLE_OPTIONS, type LoginThrottleOptions } from '../../auth/login-throttle';
import { InMemorySecretStore, SecretStore } from '../../auth/secret-store';
import { GATEWAY_CONFIG, loadConfig } from '../../config/config.schema';
import { DeviceDirectory } from '../../devices/device-directory';
import { EventBus } from '../../events/event-bus';
import { ApiModule } from '../api.module';
import { configureHttpApp } from '../configure-http-app';
import { EVENT_STREAM_OPTIONS, EventStreamServer, type EventStreamOptions } from '../event-stream.server';
import { FakeDeviceDirectory } from './fake-device-directory';

export const TEST_ADMIN_PASSWORD = 'correct horse battery staple';

@Module({})
class TestInfraModule {}

export interface ApiTestApp {
  app: INestApplication;
  baseUrl: string;
  wsUrl: string;
  bus: EventBus;
  devices: FakeDeviceDirectory;
  secrets: InMemorySecretStore;
  auth: AuthService;
  events: EventStreamServer;
  /** A valid access token obtained through POST /api/auth/login. */
  token: string;
  close(): Promise<void>;
}

/**
 * A real Nest HTTP app: ApiModule + a @Global module with GATEWAY_CONFIG, a real EventBus, an in-memory SecretStore
 * and a fake DeviceDirectory, listening on 127.0.0.1:0.
 */
export async function startApiTestApp(
  opts: {
    env?: Record<string, string>;
    bodyParser?: boolean;
    eventStream?: Partial<EventStreamOptions>;
    loginThrottle?: Partial<LoginThrottleOptions>;
  } = {},
): Promise<ApiTestApp> {
  const config = loadConfig({ HTTP_PORT: '0', ADMIN_USER: 'admin', ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, ...opts.env });
  const secrets = new InMemorySecretStore();
  const devices = new FakeDeviceDirectory();
  const infra: DynamicModule = {
    module: TestInfraModule,
    global: true,
    providers: [
      { provide: GATEWAY_CONFIG, useValue: config },
      EventBus,
      { provide: SecretStore, useValue: secrets },
      { provide: DeviceDirectory, useValue: devices },
      { provide: EVENT_STREAM_OPTIONS, useValue: opts.eventStream ?? {} },
      { provide: LOGIN_THROTTLE_OPTIONS, useValue: opts.loginThrottle ?? {} },
    ],
    exports: [GATEWAY_CONFIG, EventBus, SecretStore, DeviceDirectory, EVENT_STREAM_OPTIONS, LOGIN_THROTTLE_OPTIONS],
  };
  const moduleRef = await Test.createTestingModule({ imports: [infra, ApiModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false, bodyParser: opts.bodyParser ?? true });
  configureHttpApp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const auth = app.get(AuthService);
  await auth.init();
  const login = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: config.ADMIN_PASSWORD ?? '' }),
  });
  const token = login.ok ? ((await login.json()) as { accessToken: string }).accessToken : '';
  let closed = false;
  return {
    app,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}`,
    bus: app.get(EventBus),
    devices,
    secrets,
    auth,
    events: app.get(EventStreamServer),
    token,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
