export * from './devices';
export * from './device-id';
export * from './registration-failures';
export * from './events';
export * from './vision';
export * from './media';
export * from './map';
