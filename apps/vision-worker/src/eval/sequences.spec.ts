import { describe, expect, it } from 'vitest';
import { composeArgs, MAX_SEQUENCE_SECONDS, sequenceDurationS, type QueueRevealRecipe } from './sequences';

const reveal: QueueRevealRecipe = { recipe: 'queue-reveal', base: 'free.avi', jam: 'jam.jpg', from: 'top', path: [0, 0.4, 1], freeS: 15, riseS: 140, holdS: 35 };

describe('composed evaluation sequences', () => {
  it('composeArgs() for a queue reveal reads base and jam from the media folder, slides the mask by a piecewise-linear path and cuts to free + rise + hold', () => {
    const args = composeArgs(reveal, '/media', '/tmp/out.mp4');
    expect(sequenceDurationS(reveal)).toBe(190);
    expect(args).toContain('/media/free.avi');
    expect(args).toContain('/media/jam.jpg');
    expect(args.slice(-12)).toEqual(['-t', '190', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-threads', '1', '-pix_fmt', 'yuv420p', '/tmp/out.mp4']);
    const graph = args[args.indexOf('-filter_complex') + 1]!;
    // From the top: the white mask comes down from above (negative y); segment 0 is 0 → 0.4, segment 1 is 0.4 → 1.
    expect(graph).toContain("overlay=x=0:y='-480*(1-(if(lt((clip((t-15)/140,0,1)*2),1),0+0.4*((clip((t-15)/140,0,1)*2)-0),0.4+0.6*((clip((t-15)/140,0,1)*2)-1))))'");
    expect(graph).toContain('alphamerge');
  });

  it('composeArgs() with a reveal path that does not run from 0 to 1 without decreasing, or a clip longer than the bound, refuses it (VISION_USAGE)', () => {
    for (const path of [[0.1, 1], [0, 0.9], [0, 0.6, 0.5, 1], [0]]) {
      expect(() => composeArgs({ ...reveal, path }, '/m', '/o.mp4'), JSON.stringify(path)).toThrow(expect.objectContaining({ code: 'VISION_USAGE' }));
    }
    expect(() => composeArgs({ recipe: 'clip', source: 'a.avi', durationS: MAX_SEQUENCE_SECONDS + 1 }, '/m', '/o.mp4')).toThrow(/outside/);
    expect(composeArgs({ recipe: 'clip', source: 'a.avi', durationS: 60 }, '/m', '/o.mp4')).toEqual(expect.arrayContaining(['-stream_loop', '-1', '/m/a.avi', '-t', '60']));
  });
});
