// filled in by the sip module; re-exported from ../index.ts
export {};
