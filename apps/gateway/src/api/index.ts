export { ApiModule } from './api.module';
export { configureHttpApp, API_PREFIX, OPENAPI_JSON_PATH, OPENAPI_UI_PATH, type HttpAppOptions } from './configure-http-app';
export { EventStreamServer, EVENT_STREAM_PATH, EVENT_STREAM_OPTIONS, type EventStreamOptions } from './event-stream.server';
export { MAX_JSON_BODY_BYTES } from './body-parsers';
export { AuthService, type AuthInitResult, type AccessToken } from '../auth/auth.service';
export { SecretStore, InMemorySecretStore, SECRET_KEY_ADMIN_PASSWORD_HASH, SECRET_KEY_JWT_SECRET } from '../auth/secret-store';
export { Public } from '../auth/public.decorator';
export { LoginThrottle, LOGIN_THROTTLE_OPTIONS, type LoginThrottleOptions } from '../auth/login-throttle';
