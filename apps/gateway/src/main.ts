import 'reflect-metadata';
import { startGateway } from './bootstrap';
import { ConfigValidationError } from './config/config.schema';
import { fieldLogger } from './logging';

const DOCS_NOTE: Record<'off' | 'auth' | 'public', (url: string) => string> = {
  public: (url) => `${url}/api/docs`,
  auth: (url) => `${url}/api/docs-json with the bearer token; API_DOCS=public for the browsable UI`,
  off: () => 'off; API_DOCS=auth or public to serve it',
};

async function main(): Promise<void> {
  const gw = await startGateway();
  const lines = [
    '',
    `  GB28181 gateway ready`,
    `  API        ${gw.httpUrl}/api   (OpenAPI: ${DOCS_NOTE[gw.config.API_DOCS](gw.httpUrl)})`,
    `  SIP        udp+tcp ${gw.config.SIP_HOST}:${gw.sipPort}  id ${gw.config.SIP_ID}  domain ${gw.config.SIP_DOMAIN}`,
    `  Database   ${gw.config.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded under ${gw.config.DATA_DIR}`}`,
    `  Login      ${gw.config.ADMIN_USER} / ${gw.generatedPassword ?? (gw.config.ADMIN_PASSWORD ? '(ADMIN_PASSWORD)' : '(generated at first start; see the first start\'s output)')}`,
  ];
  if (gw.generatedPassword) lines.push('  The admin password above was generated now and is shown only this once (only its hash is stored).');
  if (gw.logFormat === 'pretty') {
    process.stdout.write(lines.join('\n') + '\n\n');
    return;
  }
  // JSON logs: one record, so a collector reading stdout line by line sees nothing but JSON.
  fieldLogger('Gateway').log({
    msg: 'gateway ready',
    httpUrl: gw.httpUrl,
    sipHost: gw.config.SIP_HOST,
    sipPort: gw.sipPort,
    sipId: gw.config.SIP_ID,
    sipDomain: gw.config.SIP_DOMAIN,
    database: gw.config.DATABASE_URL ? 'postgres' : 'embedded',
    adminUser: gw.config.ADMIN_USER,
    // Shown once by design (only its hash is stored), as in the terminal banner.
    ...(gw.generatedPassword ? { generatedAdminPassword: gw.generatedPassword } : {}),
  });
}

main().catch((e) => {
  if (e instanceof ConfigValidationError) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`gateway failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
