export * from './devices';
export * from './events';
export * from './vision';
export * from './media';
