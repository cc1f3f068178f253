import { findFfmpeg } from '@gb/runtime';

/** The simulator's ffmpeg: the shared resolver's answer, else plain `ffmpeg` (the spawn then says it is missing). */
export function ffmpegPath(): string {
  return findFfmpeg() ?? 'ffmpeg';
}
