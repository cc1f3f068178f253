export type { StreamDto, StreamState } from '@gb/contracts';
