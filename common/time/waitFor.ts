/**
 * Polls `condition` every `intervalMs` until it returns a truthy value (returned) or
 * `timeoutMs` passes (throws, with `describe()`'s account of the last state when given).
 * A condition that throws counts as not yet true; its last error is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | Promise<T>,
  opts: { timeoutMs: number; intervalMs?: number; describe?: () => string | Promise<string> },
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const state = opts.describe ? `; last state: ${await opts.describe()}` : '';
      const error = lastError ? `; last error: ${(lastError as Error).message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${state}${error}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 100));
  }
}
