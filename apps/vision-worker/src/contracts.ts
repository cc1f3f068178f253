/** The shared vision types, imported from one place. */
export * from '@gb/contracts';
