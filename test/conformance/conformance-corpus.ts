import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { Gb28181Error } from '../../libs/gb28181/src/errors';
import { parseSipMessage } from '../../libs/gb28181/src/sip';

/** The shared, read-only corpora (/work/shared/conformance), reached relative to the repo. */
export const CONFORMANCE_DIR = resolve(__dirname, '../../../shared/conformance');

export function requireCorpus(sub: string): string {
  const dir = resolve(CONFORMANCE_DIR, sub);
  if (!existsSync(dir)) throw new Error(`conformance corpus ${dir} is missing: mount ../shared/conformance next to the repository`);
  return dir;
}

/** 'OK' when the message parses, the Gb28181Error code when it is rejected; anything else is rethrown. */
export function outcome(data: Buffer): string {
  try {
    parseSipMessage(data);
    return 'OK';
  } catch (e) {
    if (e instanceof Gb28181Error) return e.code;
    throw e;
  }
}
