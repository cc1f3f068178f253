// Top self-time functions of a V8 .cpuprofile (node --cpu-prof), over its last `lastSeconds` only (so the gateway's
// start-up and the bench's ramp stay out of it). `npx tsx bench/support/cpu-profile-top.ts <file.cpuprofile> [lastSeconds] [top] [skipEndSeconds]`
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  endTime: number;
}

export function topSelfTime(profile: CpuProfile, lastSeconds: number, top = 10, skipEndSeconds = 0): { rows: { name: string; ms: number; share: number }[]; busyMs: number; windowMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const times: number[] = [];
  let t = 0;
  for (const d of profile.timeDeltas) times.push((t += d));
  const end = (times.at(-1) ?? 0) - skipEndSeconds * 1e6;
  const from = end - lastSeconds * 1e6;
  const self = new Map<string, number>();
  let busy = 0;
  for (let i = 1; i < profile.samples.length; i++) {
    if (times[i]! < from || times[i]! > end) continue;
    const dt = (times[i]! - times[i - 1]!) / 1000;
    const n = byId.get(profile.samples[i]!)!;
    const f = n.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(name, (self.get(name) ?? 0) + dt);
    if (f.functionName !== '(idle)' && f.functionName !== '(program)') busy += dt;
  }
  const rows = [...self.entries()]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, ms, share: ms / busy }));
  return { rows, busyMs: busy, windowMs: (end - Math.max(from, 0)) / 1000 };
}

if (require.main === module) {
  const [file, last = '10', top = '10', skipEnd = '0'] = process.argv.slice(2);
  const r = topSelfTime(JSON.parse(readFileSync(file!, 'utf8')) as CpuProfile, Number(last), Number(top), Number(skipEnd));
  console.log(`window ${(r.windowMs / 1000).toFixed(1)} s, busy (not idle, not (program)) ${(r.busyMs / 1000).toFixed(2)} s`);
  for (const x of r.rows) console.log(`${x.ms.toFixed(0).padStart(7)} ms ${(100 * x.share).toFixed(1).padStart(5)} %  ${x.name}`);
}
