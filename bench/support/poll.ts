/** Polls `fn` every `everyMs` until it is true (errors count as not yet) or `timeoutMs` passes; whether it became true. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    try {
      if (await fn()) return true;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}
