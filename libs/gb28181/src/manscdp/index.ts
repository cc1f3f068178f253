// filled in by the manscdp module; re-exported from ../index.ts
export {};
