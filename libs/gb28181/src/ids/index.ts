// 20-digit GB/T 28181 identifiers, the INVITE SSRC and the device ID rule; re-exported from ../index.ts
export * from './gb-id';
export * from './device-id';
export * from './catalog-item-kind';
