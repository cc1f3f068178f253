// Public surface of the pure GB/T 28181 protocol library. No sockets, timers, clocks, logs or Nest here.
export * from './errors';
export * from './sip';
export * from './manscdp';
export * from './ids';
export * from './media';
export * from './rtmp';
