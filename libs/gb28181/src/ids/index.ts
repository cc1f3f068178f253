// filled in by the ids module; re-exported from ../index.ts
export {};
