// 20-digit GB/T 28181 identifiers and the INVITE SSRC; re-exported from ../index.ts
export * from './gb-id';
