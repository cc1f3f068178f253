/**
 * Prometheus text exposition format 0.0.4, read strictly: blank lines, `# HELP name text`, `# TYPE name type` (once per family,
 * before its samples) and `name{label="value",...} value [timestamp]`. Every sample must belong to a family declared
 * by a TYPE line (histograms and summaries add _bucket/_sum/_count). Throws on the first line it does not accept.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  type: string;
  help?: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
// Prometheus reads values with Go's strconv.ParseFloat: NaN and Inf in any case (prom-client writes "Nan" for the
// event-loop-lag mean before its first sample).
const VALUE = '[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[-+]?[iI][nN][fF]|[nN][aA][nN]';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (${VALUE})(?: (-?\\d+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('the text does not end with a newline');
  lines.forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') return; // blank lines are allowed (prom-client puts one between families)
    if (line.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
      if (!m) throw new Error(`bad comment, ${where}`);
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      const f = families.get(name);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`unknown type, ${where}`);
        if (f?.type) throw new Error(`second TYPE, ${where}`);
        if (f?.samples.length) throw new Error(`TYPE after samples, ${where}`);
        families.set(name, { ...f, samples: f?.samples ?? [], type: rest });
      } else {
        if (f?.help !== undefined) throw new Error(`second HELP, ${where}`);
        families.set(name, { type: f?.type ?? '', samples: f?.samples ?? [], help: rest });
      }
      return;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a sample, ${where}`);
    const [, name, labelText = '', value] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    for (let rest = labelText; rest.length > 0; ) {
      const l = LABEL.exec(rest);
      if (!l) throw new Error(`bad labels, ${where}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
      if (l[3] === ',' && rest.length === 0) throw new Error(`trailing comma, ${where}`);
    }
    // A histogram's or summary's samples are <name>_bucket, <name>_sum, <name>_count.
    const own = families.get(name);
    const parent = families.get(name.replace(/_(bucket|sum|count)$/, ''));
    const family = own?.type ? own : parent?.type === 'histogram' || parent?.type === 'summary' ? parent : undefined;
    if (!family?.type) throw new Error(`sample of a family without TYPE, ${where}`);
    family.samples.push({ name, labels, value: toNumber(value) });
  });
  return families;
}

function toNumber(v: string): number {
  if (/^nan$/i.test(v)) return NaN;
  if (/^[-+]?inf$/i.test(v)) return v.startsWith('-') ? -Infinity : Infinity;
  return Number(v);
}

/** The value of one sample; `labels` must match it exactly. */
export function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  for (const f of families.values()) for (const s of f.samples) if (s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want) return s.value;
  return undefined;
}
