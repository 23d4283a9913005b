// Whether the e2e tier runs in this process: global-setup.ts decides once per run and passes
// its verdict to the test files with provide()/inject() (and the environment, as a fallback).
import { inject } from 'vitest';

export type E2eTierVerdict = { run: true; binDir: string } | { run: false; reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    tidalE2e: E2eTierVerdict;
  }
}

export const SKIP_ENV = 'TIDAL_E2E_SKIP_REASON';

/** Why the tier is skipped, or undefined when it runs. For `describe.skipIf(...)`. */
export function e2eSkipReason(): string | undefined {
  let verdict: E2eTierVerdict | undefined;
  try {
    verdict = inject('tidalE2e');
  } catch {
    verdict = undefined;
  }
  if (verdict) return verdict.run ? undefined : verdict.reason;
  return process.env[SKIP_ENV] || undefined;
}
