import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The deployment files as a specification: docker-compose.yml as docker-compose resolves it (`config`, no daemon
 * needed) and the Dockerfile's runtime stage. Nothing is built or started here.
 */

const root = join(__dirname, '..', '..');
const INSTALL_HINT = 'install docker-compose: apt-get install -y docker-compose';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | null>;
  ports?: unknown[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

interface PortMapping {
  published: number;
  target: number;
  protocol: 'tcp' | 'udp';
}

/**
 * `docker-compose -f docker-compose.yml config` with no variables of the caller's, so the defaults are what is checked.
 * Debian's docker-compose (1.29) first, the Docker CLI plugin (`docker compose`) where only that is installed.
 */
function resolvedCompose(): ComposeFile {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  const candidates: [string, string[]][] = [
    ['docker-compose', ['-f', 'docker-compose.yml', 'config']],
    ['docker', ['compose', '-f', 'docker-compose.yml', 'config']],
  ];
  const failures: string[] = [];
  for (const [cmd, args] of candidates) {
    const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', timeout: 30_000 });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') continue;
    if (r.status === 0) return load(r.stdout) as ComposeFile;
    failures.push(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  }
  if (failures.length === 0) throw new Error(`docker-compose not found on PATH: ${INSTALL_HINT}`);
  throw new Error(`docker-compose.yml does not resolve:\n${failures.join('\n')}\n(or ${INSTALL_HINT})`);
}

function range(spec: string | number): number[] {
  const [lo, hi = lo] = String(spec).split('-').map(Number);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new Error(`not a port or port range: ${spec}`);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** Port entries in either form `config` may print (long objects, or "[ip:]published:target[/proto]"), one per port. */
function portMappings(entries: unknown[] = []): PortMapping[] {
  return entries.flatMap((entry): PortMapping[] => {
    let published: string | number;
    let target: string | number;
    let protocol: string;
    if (typeof entry === 'object' && entry !== null) {
      const e = entry as { published?: string | number; target: string | number; protocol?: string };
      if (e.published === undefined) return [];
      ({ published, target } = e as { published: string | number; target: string | number });
      protocol = e.protocol ?? 'tcp';
    } else {
      const [ports, proto = 'tcp'] = String(entry).split('/');
      const parts = ports.split(':');
      if (parts.length < 2) return [];
      [published, target] = parts.slice(-2) as [string, string];
      protocol = proto;
    }
    const pub = range(published);
    const tgt = range(target);
    if (pub.length !== tgt.length) throw new Error(`published and target ranges differ in length: ${JSON.stringify(entry)}`);
    return pub.map((p, i) => ({ published: p, target: tgt[i]!, protocol: protocol as 'tcp' | 'udp' }));
  });
}

function env(service: ComposeService, key: string): string {
  const v = service.environment?.[key];
  return v === undefined || v === null ? '' : String(v);
}

function words(cmd: string | string[] | undefined): string {
  return Array.isArray(cmd) ? cmd.join(' ') : (cmd ?? '');
}

function dependsOn(service: ComposeService): Record<string, string> {
  const d = service.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([name, v]) => [name, v.condition ?? 'service_started']));
}

/** The entry file `npm start` runs for an app (scripts/start.mjs): the image must run the same built file. */
function startEntry(app: 'gateway' | 'vision-worker'): string {
  const text = readFileSync(join(root, 'scripts/start.mjs'), 'utf8');
  const m = text.match(new RegExp(`'(dist/apps/${app}/[^']*main\\.js)'`));
  if (!m) throw new Error(`scripts/start.mjs names no built entry for ${app}`);
  return m[1]!;
}

describe('docker-compose.yml resolved by docker-compose config', () => {
  let compose: ComposeFile;
  let gateways: [string, ComposeService][];
  let visions: [string, ComposeService][];

  beforeAll(() => {
    compose = resolvedCompose();
    gateways = Object.entries(compose.services).filter(([name]) => name.startsWith('gateway'));
    visions = Object.entries(compose.services).filter(([name]) => name.startsWith('vision'));
  });

  it('services: postgres, nats, two gateway nodes and two vision workers', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgres', 'nats']));
    expect(gateways.map(([n]) => n)).toHaveLength(2);
    expect(visions.map(([n]) => n)).toHaveLength(2);
  });

  it('every service has a health check that is not disabled', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.healthcheck?.test, `${name} has no healthcheck`).toBeTruthy();
      expect(s.healthcheck?.disable ?? false, `${name} disables its healthcheck`).toBe(false);
      expect(words(s.healthcheck?.test), name).not.toMatch(/^NONE\b/);
    }
  });

  it('nats runs with JetStream and its monitoring port, which its health check asks', () => {
    const nats = compose.services.nats!;
    expect(words(nats.command)).toMatch(/(^|\s)-js(\s|$)/);
    expect(words(nats.command)).toMatch(/-m 8222/);
    expect(words(nats.healthcheck?.test)).toContain('8222/healthz');
  });

  it('each gateway has a database and NATS, and starts once postgres and nats are healthy', () => {
    for (const [name, s] of gateways) {
      expect(env(s, 'DATABASE_URL'), name).toMatch(/^postgres(ql)?:\/\/.+@postgres:5432\//);
      expect(env(s, 'NATS_URL'), name).toBe('nats://nats:4222');
      expect(dependsOn(s), name).toMatchObject({ postgres: 'service_healthy', nats: 'service_healthy' });
    }
  });

  it('gateways have distinct NODE_ID and PUBLIC_URL, and the same SIP_ID and SIP_DOMAIN', () => {
    const ids = gateways.map(([, s]) => env(s, 'NODE_ID'));
    const urls = gateways.map(([, s]) => env(s, 'PUBLIC_URL'));
    expect(ids.every(Boolean) && new Set(ids).size === ids.length, `NODE_IDs ${ids.join(', ')}`).toBe(true);
    expect(urls.every(Boolean) && new Set(urls).size === urls.length, `PUBLIC_URLs ${urls.join(', ')}`).toBe(true);
    expect(new Set(gateways.map(([, s]) => env(s, 'SIP_ID'))).size).toBe(1);
    expect(env(gateways[0]![1], 'SIP_ID')).toMatch(/^\d{20}$/);
    expect(new Set(gateways.map(([, s]) => env(s, 'SIP_DOMAIN'))).size).toBe(1);
  });

  it('each gateway publishes its SIP port over UDP and TCP and its HTTP port, on the same numbers inside and out', () => {
    for (const [name, s] of gateways) {
      const ports = portMappings(s.ports);
      const sip = Number(env(s, 'SIP_PORT'));
      const http = Number(env(s, 'HTTP_PORT'));
      for (const protocol of ['udp', 'tcp'] as const) {
        expect(ports, `${name} SIP ${sip}/${protocol}`).toContainEqual({ published: sip, target: sip, protocol });
      }
      expect(ports, `${name} HTTP ${http}`).toContainEqual({ published: http, target: http, protocol: 'tcp' });
      expect(new URL(env(s, 'PUBLIC_URL')).port, `${name} PUBLIC_URL points at its HTTP port`).toBe(String(http));
    }
  });

  it('each gateway publishes exactly its RTP_PORT_MIN..RTP_PORT_MAX over UDP and TCP, and the ranges do not overlap', () => {
    const taken = new Map<string, string>();
    for (const [name, s] of gateways) {
      const want = range(`${env(s, 'RTP_PORT_MIN')}-${env(s, 'RTP_PORT_MAX')}`);
      const ports = portMappings(s.ports);
      for (const protocol of ['udp', 'tcp'] as const) {
        const got = ports.filter((p) => p.protocol === protocol && p.published >= want[0]! && p.published <= want.at(-1)!);
        expect(got.map((p) => p.published), `${name} RTP ${protocol}`).toEqual(want);
        expect(got.every((p) => p.target === p.published), `${name} RTP ${protocol} remapped`).toBe(true);
      }
      for (const p of ports) {
        const key = `${p.published}/${p.protocol}`;
        expect(taken.get(key), `${key} published by ${taken.get(key)} and ${name}`).toBeUndefined();
        taken.set(key, name);
      }
    }
  });

  it('gateway health checks ask /api/health on the node\'s own HTTP port', () => {
    for (const [name, s] of gateways) {
      const test = words(s.healthcheck?.test);
      expect(test, name).toContain('/api/health');
      expect(test, name).toMatch(/127\.0\.0\.1:('\+process\.env\.HTTP_PORT\+'|\d+)/);
    }
  });

  it('vision workers run the built worker over NATS with the gateways\' subject prefix and a model path', () => {
    const prefixes = new Set(gateways.map(([, s]) => env(s, 'VISION_NATS_PREFIX') || 'gb'));
    expect(prefixes.size).toBe(1);
    for (const [name, s] of visions) {
      expect(words(s.command), name).toContain(startEntry('vision-worker'));
      expect(env(s, 'NATS_URL'), name).toBe('nats://nats:4222');
      expect(prefixes.has(env(s, 'VISION_NATS_PREFIX') || 'gb'), name).toBe(true);
      expect(env(s, 'VISION_MODEL'), name).toMatch(/\.onnx$/);
      expect(dependsOn(s), name).toMatchObject({ nats: 'service_healthy' });
    }
  });

  it('no service installs or builds at start: gateways and workers run the image built from this repository', () => {
    for (const [name, s] of [...gateways, ...visions]) {
      expect(s.build, `${name} is built from the Dockerfile`).toBeTruthy();
      expect(`${words(s.entrypoint)} ${words(s.command)}`, name).not.toMatch(/npm (ci|install|i\b|start)|apt-get/);
    }
  });
});

/** Dockerfile instructions, continuation lines joined, comments dropped, grouped by stage. */
function dockerfileStages(text: string): { from: string; instructions: { op: string; args: string }[] }[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const stages: { from: string; instructions: { op: string; args: string }[] }[] = [];
  for (const line of lines) {
    const m = line.match(/^(\w+)\s+(.*)$/);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stages.push({ from: m[2]!, instructions: [] });
    else stages.at(-1)?.instructions.push({ op, args: m[2]! });
  }
  return stages;
}

describe('Dockerfile', () => {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const stages = dockerfileStages(text);
  const runtime = stages.at(-1)!;
  const build = stages.find((s) => /\bAS build$/i.test(s.from));
  const args = (s: { instructions: { op: string; args: string }[] }, op: string) =>
    s.instructions.filter((i) => i.op === op).map((i) => i.args);

  it('is multi-stage: the build stage installs with npm ci (.npmrc copied first) and runs npm run build', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(build, 'a stage named build').toBeDefined();
    const steps = build!.instructions.map((i) => `${i.op} ${i.args}`);
    const npmci = steps.findIndex((s) => /^RUN .*npm ci\b/.test(s));
    const npmrc = steps.findIndex((s) => /^COPY .*\.npmrc/.test(s));
    expect(npmrc, '.npmrc copied').toBeGreaterThanOrEqual(0);
    expect(npmci, 'npm ci after .npmrc').toBeGreaterThan(npmrc);
    expect(steps.some((s) => /^RUN .*npm run build\b/.test(s))).toBe(true);
    expect(steps.some((s) => /^RUN .*npm (prune|ci) .*--omit=dev/.test(s)), 'dev dependencies dropped').toBe(true);
  });

  it('runtime stage runs as a user that is not root', () => {
    const users = args(runtime, 'USER');
    expect(users.length, 'USER in the runtime stage').toBeGreaterThan(0);
    expect(users.at(-1)!.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('runtime stage installs Debian ffmpeg without recommends and drops the apt lists', () => {
    const runs = args(runtime, 'RUN').join('\n');
    expect(runs).toMatch(/apt-get install[^\n]*--no-install-recommends[^\n]*\bffmpeg\b/);
    expect(runs).toContain('rm -rf /var/lib/apt/lists');
  });

  it('runtime stage starts the built gateway that npm start runs, with no npm at start', () => {
    const start = [...args(runtime, 'ENTRYPOINT'), ...args(runtime, 'CMD')].join(' ');
    expect(start).toContain(startEntry('gateway'));
    expect(start).not.toMatch(/\bnpm\b|\bnpx\b/);
  });

  it('runtime stage exposes HTTP 8080, SIP 5060 over UDP and TCP, the RTP pool and metrics 9464', () => {
    const exposed = args(runtime, 'EXPOSE').join(' ').split(/\s+/);
    for (const p of ['8080/tcp', '5060/udp', '5060/tcp', '30000-30999/udp', '30000-30999/tcp', '9464/tcp']) {
      expect(exposed).toContain(p);
    }
  });

  it('.dockerignore keeps installed and built output out of the context, and keeps .npmrc and models/', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split(/\r?\n/).map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    expect(ignored.some((l) => /^\/?(\.npmrc|models\/?|\*)$/.test(l))).toBe(false);
  });
});
