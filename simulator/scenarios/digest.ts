// Replay digests: the sha256 of totals.csv and series.csv for every shipped scenario (and the demo
// sample) under every named policy, one line each. A refactor that must not change decisions shows
// the same lines before and after:
//   node simulator/scenarios/digest.ts > before.txt   (on the old tree)
//   node simulator/scenarios/digest.ts > after.txt && diff before.txt after.txt
//   --policy NAME (repeatable) and --scenario FILE (repeatable) narrow the set.
// Each policy is replayed in its own simulate() call: a policy's figures do not depend on which
// others run beside it (test/unit/simulator/engine.test.ts), and alone is the cheaper check.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadProfileFile } from '../../profiles/loader.ts';
import { simulate } from '../engine/simulation.ts';
import { POLICIES, policyByName } from '../policies/index.ts';
import { formatSeriesCsv, formatTotalsCsv } from '../report/index.ts';
import { openTrace } from '../traces/index.ts';
import { SCENARIOS, SCENARIOS_DIR } from './make.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const REPLAYS: ReadonlyArray<{ trace: string; profile: string }> = [
  { trace: 'simulator/samples/double11-small.jsonl', profile: 'profiles/double11.yaml' },
  ...SCENARIOS.map((s) => ({ trace: join('simulator/scenarios', s.file), profile: s.profile })),
  { trace: 'simulator/scenarios/complementary/trace.jsonl', profile: 'simulator/scenarios/complementary/profile.yaml' },
];

const { values } = parseArgs({ options: { policy: { type: 'string', multiple: true }, scenario: { type: 'string', multiple: true } } });
const policies = values.policy ?? Object.keys(POLICIES);
const replays = values.scenario ? REPLAYS.filter((r) => values.scenario!.some((s) => r.trace.includes(s))) : REPLAYS;
const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

void SCENARIOS_DIR;
for (const r of replays) {
  for (const name of policies) {
    const t0 = performance.now();
    const trace = await openTrace(join(ROOT, r.trace));
    const result = await simulate({ trace, profile: loadProfileFile(join(ROOT, r.profile)), policies: [policyByName(name)] });
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`${r.trace} ${name} totals=${sha(formatTotalsCsv(result))} series=${sha(formatSeriesCsv(result))}`);
    console.error(`  ${r.trace} ${name}: ${secs} s`);
  }
}
