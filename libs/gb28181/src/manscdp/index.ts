// MANSCDP XML bodies: charset, codec, multi-packet aggregation; re-exported from ../index.ts
export * from './charset';
export * from './manscdp.types';
export * from './manscdp.codec';
export * from './catalog-aggregator';
export { decodeXmlEntities } from './manscdp-xml.parser';
export * from './ptz';
export * from './catalog-events';
export * from './mobile-position';
export * from './device-control';
export * from './broadcast';
