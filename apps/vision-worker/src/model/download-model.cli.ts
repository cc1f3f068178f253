/**
 * `npm run vision:download-model`: fetches the official YOLOX-Nano release file into
 * `<DATA_DIR>/models/yolox_nano.onnx`, verifying its pinned sha256. `VISION_MODEL_URL` and
 * `VISION_MODEL_SHA256` override the source (mirrors, tests).
 */
import { isVisionError } from '../vision-error';
import { downloadVerified, formatProgress } from './download-model';
import { downloadedModelPath } from './model-path';
import { YOLOX_NANO_RELEASE } from './model-release';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const dest = downloadedModelPath(env);
  const url = env.VISION_MODEL_URL ?? YOLOX_NANO_RELEASE.url;
  const sha256 = env.VISION_MODEL_SHA256 ?? YOLOX_NANO_RELEASE.sha256;
  process.stderr.write(`downloading ${url}\n`);
  try {
    const r = await downloadVerified({
      url,
      dest,
      sha256,
      expectedBytes: env.VISION_MODEL_URL ? undefined : YOLOX_NANO_RELEASE.bytes,
      onProgress: (p) => process.stderr.write(`\r${formatProgress(p)}   `),
    });
    process.stderr.write(`\nsaved ${r.path} (${r.bytes} bytes, sha256 ${r.sha256})\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`\n${isVisionError(e) ? `${e.code}: ${e.message}` : `internal error: ${(e as Error)?.stack ?? e}`}\n`);
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => {
    process.exitCode = code;
  });
}
