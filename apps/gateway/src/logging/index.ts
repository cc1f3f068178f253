export { createGatewayLogger, type GatewayLogger, type GatewayLoggerOptions } from './gateway-logger';
export { fieldLogger, type FieldLogger, type LogFields } from './log-fields';
export { resolveLogFormat, type LogFormat, type LogFormatSetting } from './log-format';
export { PinoNestLogger } from './pino-nest.logger';
