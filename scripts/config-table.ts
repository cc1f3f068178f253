// Prints the README's configuration table from the config schema: `npx tsx scripts/config-table.ts`.
import { configSchema } from '../apps/gateway/src/config/config.schema';

export function configTable(): string {
  const rows = ['| Variable | Default | Description |', '|---|---|---|'];
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    const s = schema as { description?: string; safeParse(v: unknown): { success: boolean; data?: unknown } };
    const d = s.safeParse(undefined);
    const def = d.success && d.data !== undefined ? `\`${String(d.data) === '' ? '(empty)' : String(d.data)}\`` : '(unset)';
    rows.push(`| \`${key}\` | ${def} | ${s.description ?? ''} |`);
  }
  return rows.join('\n');
}

if (require.main === module) process.stdout.write(configTable() + '\n');
