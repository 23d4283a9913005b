// The run cache's code digest leaves out only files that plan, analyse or write up runs: each one
// listed must exist (a renamed file would silently come back into the digest) and none may be a file
// a run executes (the engine, the policies, the peers, run-one.ts and worker.ts).

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NOT_IN_A_RUN } from '../../../simulator/sweep/code-digest.ts';

describe('code digest', () => {
  it('leaves out only write-up files that exist', () => {
    for (const f of NOT_IN_A_RUN) expect(existsSync(f), f).toBe(true);
    for (const f of NOT_IN_A_RUN) expect(f).not.toMatch(/engine|policies|peers|node\/|run-one|worker|knobs|objectives/);
  });
});
