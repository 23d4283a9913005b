// The shipped comparison scenarios (simulator/scenarios/): each file is what its documented recipe
// generates, is small, and every compared policy runs on it (the first 12 hours here, to stay fast;
// simulator/scenarios/compare.ts runs the whole weeks).

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { policyByName } from '../../../simulator/policies/index.ts';
import { COMPARED_POLICIES, scenarioTable } from '../../../simulator/scenarios/compare.ts';
import { contentDigest, expectedDigest, SCENARIOS, SCENARIOS_DIR } from '../../../simulator/scenarios/make.ts';
import { openTrace } from '../../../simulator/traces/index.ts';

describe('shipped scenarios', () => {
  for (const s of SCENARIOS) {
    it(`${s.file} is what its recipe generates, a few hundred KB, and every compared policy runs on it`, async () => {
      const file = join(SCENARIOS_DIR, s.file);
      expect(await contentDigest(file)).toBe(await expectedDigest(s));
      expect((await stat(file)).size).toBeLessThan(3_000_000);
      const trace = await openTrace(file);
      const r = await simulate({ trace, profile: loadProfileFile(s.profile), policies: COMPARED_POLICIES.map(policyByName), until: trace.info.start! + 12 * 3_600_000 });
      expect(r.policies.map((p) => p.policy)).toEqual([...COMPARED_POLICIES]);
      for (const p of r.policies) expect(p.totals.placements).toBeGreaterThan(0);
      const table = scenarioTable(r);
      expect(table.split('\n')[0]).toBe(`| measure | ${COMPARED_POLICIES.join(' | ')} |`);
    }, 30_000);
  }
});
