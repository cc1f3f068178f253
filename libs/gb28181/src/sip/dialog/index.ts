export * from './dialog';
export * from './cancel-request';
export * from './invite-events';
export * from './abandoned-invites';
export * from './invite-client.usage';
