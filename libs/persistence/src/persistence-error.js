"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.PG_FOREIGN_KEY_VIOLATION = exports.PersistenceError = void 0;
exports.isPersistenceError = isPersistenceError;
exports.pgErrorCode = pgErrorCode;
class PersistenceError extends Error {
    code;
    name = 'PersistenceError';
    constructor(code, message, options) {
        super(message, options);
        this.code = code;
    }
}
exports.PersistenceError = PersistenceError;
function isPersistenceError(e) {
    return e instanceof PersistenceError;
}
/** PostgreSQL SQLSTATE 23503 foreign_key_violation (PostgreSQL docs, Appendix A). */
exports.PG_FOREIGN_KEY_VIOLATION = '23503';
function pgErrorCode(e) {
    const code = e?.code;
    return typeof code === 'string' ? code : undefined;
}
//# sourceMappingURL=persistence-error.js.map