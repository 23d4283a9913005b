import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value other than undefined/false, and returns that value.
 * Errors thrown by `probe` count as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = ` (last error: ${(err as Error).message})`;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last}`);
    await sleep(opts.intervalMs ?? 250);
  }
}
