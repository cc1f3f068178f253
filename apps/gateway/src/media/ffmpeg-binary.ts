// The one ffmpeg resolver lives in libs/runtime (shared with the vision worker and the simulator); imported from here
// by code that has not moved to '@gb/runtime' yet.
export { resolveFfmpeg } from '@gb/runtime';
