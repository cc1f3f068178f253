export * from './sip-timers';
export * from './server-transaction';
export * from './completed-server-transactions';
export * from './client-transaction';
export * from './sip-transaction.manager';
