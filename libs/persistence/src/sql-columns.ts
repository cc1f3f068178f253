import type { EntityMetadata } from 'typeorm';
import { PersistenceError } from './persistence-error';

/** `"column_name"` of an entity property; UNKNOWN_COLUMN for anything that is not a plain column. */
export function quotedColumn(metadata: EntityMetadata, property: string): string {
  const column = metadata.findColumnWithPropertyName(property);
  if (!column || column.relationMetadata) {
    throw new PersistenceError('UNKNOWN_COLUMN', `${metadata.tableName} has no column for property "${property}"`);
  }
  return `"${column.databaseName}"`;
}

/** Splits `items` into arrays of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Keeps the last item per key, in first-seen order: one statement may not touch a row twice. */
export function lastPerKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return [...byKey.values()];
}
