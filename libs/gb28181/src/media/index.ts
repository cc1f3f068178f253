// filled in by the media module; re-exported from ../index.ts
export {};
