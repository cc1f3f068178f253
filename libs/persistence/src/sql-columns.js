"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.quotedColumn = quotedColumn;
exports.chunk = chunk;
exports.lastPerKey = lastPerKey;
const persistence_error_1 = require("./persistence-error");
/** `"column_name"` of an entity property; UNKNOWN_COLUMN for anything that is not a plain column. */
function quotedColumn(metadata, property) {
    const column = metadata.findColumnWithPropertyName(property);
    if (!column || column.relationMetadata) {
        throw new persistence_error_1.PersistenceError('UNKNOWN_COLUMN', `${metadata.tableName} has no column for property "${property}"`);
    }
    return `"${column.databaseName}"`;
}
/** Splits `items` into arrays of at most `size`. */
function chunk(items, size) {
    const out = [];
    for (let i = 0; i < items.length; i += size)
        out.push(items.slice(i, i + size));
    return out;
}
/** Keeps the last item per key, in first-seen order: one statement may not touch a row twice. */
function lastPerKey(items, key) {
    const byKey = new Map();
    for (const item of items)
        byKey.set(key(item), item);
    return [...byKey.values()];
}
//# sourceMappingURL=sql-columns.js.map