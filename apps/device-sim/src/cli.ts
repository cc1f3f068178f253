import { DeviceFleet, type FleetStats } from './device-fleet';
import { CliUsageError, HELP, parseCliArgs } from './cli-args';
import { createTestPatternInviteHook } from './media/test-pattern-invite.hook';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the user asks to leave (SIGINT/SIGTERM). */
  interrupted: Promise<void>;
}

function time(): string {
  return new Date().toISOString().slice(11, 23);
}

export function formatSummary(s: FleetStats): string {
  const reg = s.registerMs ? ` register ms p50 ${s.registerMs.p50} p95 ${s.registerMs.p95} max ${s.registerMs.max};` : '';
  return (
    `summary: ${s.registered}/${s.devices} registered, ${s.online} online; ${s.unauthorized} unauthorized, ${s.forbidden} forbidden, ${s.errors} errors;` +
    `${reg} keepalives ${s.keepalivesAnswered}/${s.keepalivesSent}; queries ${s.queries}, catalog packets ${s.catalogPackets}; retransmissions ${s.retransmissions}`
  );
}

/** The CLI as a function: returns the exit code (0 ok, 1 no device registered, 2 usage). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let opts;
  try {
    opts = parseCliArgs(argv);
  } catch (e) {
    if (e instanceof CliUsageError) {
      io.err(`error: ${e.message}\n\n${HELP}`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    io.out(HELP);
    return 0;
  }
  const f = opts.fleet;
  const fleet = new DeviceFleet(opts.media ? { ...f, onInvite: createTestPatternInviteHook(opts.mediaOptions) } : f);
  const say = (line: string) => {
    if (!opts.quiet) io.out(`${time()} ${line}`);
  };
  fleet.on('registered', (d, i) => say(`${d.deviceId} registered (${f.transport.toUpperCase()} :${d.localPort}, expires ${i.expires}s, ${i.ms} ms${i.refresh ? ', refresh' : ''})`));
  fleet.on('unauthorized', (d, i) => say(`${d.deviceId} ${i.status} ${i.reason}: challenge not accepted (password?)`));
  fleet.on('forbidden', (d, i) => say(`${d.deviceId} 403 ${i.reason}: wrong password or not allowed`));
  fleet.on('unregistered', (d) => say(`${d.deviceId} unregistered`));
  fleet.on('keepalive', (d, i) => {
    if (!i.ok) say(`${d.deviceId} keepalive SN ${i.sn} not answered${i.status ? ` (${i.status})` : ''}`);
  });
  fleet.on('query', (d, q) => say(`${d.deviceId} ${q.cmdType} query SN ${q.sn}: ${q.packetsSent} answer message(s)${q.ok ? '' : ' (incomplete)'}`));
  fleet.on('server-changed', (d, i) => say(`${d.deviceId} server gone: registering with ${i.host}:${i.port}`));
  fleet.on('error', (d, e) => say(`${d.deviceId} error: ${e.message}`));

  io.out(
    `device-sim: ${f.count} device(s) ${f.firstDeviceId}.. x ${f.channelsPerDevice} channels -> ${f.transport.toUpperCase()} ${f.serverHost}:${f.serverPort}` +
      `${f.fallbackServers?.length ? ` (fallback ${f.fallbackServers.map((a) => `${a.host}:${a.port}`).join(', ')})` : ''} ` +
      `(server ${f.serverId}, domain ${f.domain}, ${f.charset}, ${f.ratePerSecond}/s)`,
  );
  let reason: 'interrupted' | 'duration' = 'interrupted';
  const duration =
    opts.durationSeconds === undefined
      ? new Promise<never>(() => undefined)
      : new Promise<void>((r) => setTimeout(r, opts.durationSeconds! * 1000).unref());
  void fleet.start();
  await Promise.race([io.interrupted, duration.then(() => void (reason = 'duration'))]);
  const unregister = reason === 'interrupted' || opts.unregisterOnExit;
  io.out(`device-sim: stopping (${reason}${unregister ? ', unregistering' : ''})`);
  await fleet.stop({ unregister });
  const s = fleet.stats();
  io.out(formatSummary(s));
  return s.registered > 0 ? 0 : 1;
}
