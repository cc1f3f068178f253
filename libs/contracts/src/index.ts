export * from './devices';
export * from './device-id';
export * from './events';
export * from './vision';
export * from './media';
