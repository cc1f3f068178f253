/**
 * The shared vision types, imported from one place. Relative path because vitest's alias maps only
 * `@gb/contracts` (index), which re-exports vision.ts once the lead wires it; switch then.
 */
export * from '../../../libs/contracts/src/vision';
