import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const SNAPSHOT_FILE = /^[0-9a-f-]{36}\.jpg$/;

/** Alert snapshots as JPEG files under <DATA_DIR>/alerts, named after the alert id. */
export class AlertSnapshots {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = resolve(dataDir, 'alerts');
  }

  async write(alertId: string, jpeg: Buffer): Promise<string> {
    const file = `${alertId}.jpg`;
    if (!SNAPSHOT_FILE.test(file)) throw new Error(`bad alert id ${alertId}`);
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, file), jpeg);
    return file;
  }

  /** The JPEG bytes, null when missing. Only names this class wrote are read. */
  async read(file: string): Promise<Buffer | null> {
    if (!SNAPSHOT_FILE.test(file)) return null;
    return readFile(join(this.dir, file)).catch(() => null);
  }
}
