import type { BenchResult } from './bench-result';
import { parseSipMessage, serializeSipMessage } from '../libs/gb28181/src/sip';
import { SAMPLE_INVITE, SAMPLE_KEEPALIVE, SAMPLE_REGISTER_AUTH } from '../libs/gb28181/src/sip/testing/sip-samples';

const GROUP = 'sip-parse';

/** Calls fn in batches for about `ms` milliseconds; returns calls per wall-clock second and per CPU second. */
function rate(fn: () => void, ms = 1500): { wall: number; cpu: number } {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  let elapsed = 0n;
  do {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < budget);
  const c = process.cpuUsage(c0);
  return { wall: n / (Number(elapsed) / 1e9), cpu: n / ((c.user + c.system) / 1e6) };
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const cases: [string, Buffer][] = [
    ['REGISTER with Authorization', SAMPLE_REGISTER_AUTH],
    ['keepalive MESSAGE (GB2312 XML body)', SAMPLE_KEEPALIVE],
    ['INVITE with SDP', SAMPLE_INVITE],
  ];
  let sink = 0;
  for (const [name, data] of cases) {
    const parsed = rate(() => {
      sink += parseSipMessage(data).body.length;
    });
    out.push({ group: GROUP, name: `parse ${name} (${data.length} B)`, value: Math.round(parsed.wall), unit: 'msg/s', target: 100_000, note: `${Math.round(parsed.cpu)} msg per CPU-second` });
  }
  for (const [name, data] of cases) {
    const msg = parseSipMessage(data);
    const ser = rate(() => {
      sink += serializeSipMessage(msg).length;
    });
    out.push({ group: GROUP, name: `serialize ${name}`, value: Math.round(ser.wall), unit: 'msg/s', note: `${Math.round(ser.cpu)} msg per CPU-second` });
  }
  if (sink < 0) throw new Error('unreachable');
  return out;
}

if (require.main === module) {
  run().then((r) => console.table(r.map(({ name, value, unit, note }) => ({ name, value, unit, note }))));
}
