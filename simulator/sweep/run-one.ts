// One run of a sweep: one scenario, one seed, one policy at one setting, as a plain simulate() of
// that policy alone (a policy's figures do not depend on which others run beside it). Used in-process
// and by the worker threads alike.

import { createHash } from 'node:crypto';
import { loadProfileFile } from '../../profiles/loader.ts';
import type { PolicyTotals } from '../engine/metrics.ts';
import { simulate } from '../engine/simulation.ts';
import { formatSeriesCsv, formatTotalsCsv } from '../report/index.ts';
import { SCENARIOS } from '../scenarios/make.ts';
import { generate, openTrace, type Trace } from '../traces/index.ts';
import { codeDigest } from './code-digest.ts';
import type { ScenarioSpec } from './file.ts';
import { buildPolicy, settingLabel, type Setting } from './knobs.ts';
import { batchOutcome, onlineRisk } from './objectives.ts';

export interface RunSpec {
  scenario: ScenarioSpec;
  /** The synthetic generator's seed; null for a trace scenario (its one trace). */
  seed: number | null;
  policy: string;
  setting: Setting;
}

export interface RunResult {
  key: string;
  scenario: string;
  seed: number | null;
  policy: string;
  setting: Setting;
  label: string;
  batch: number;
  risk: number;
  /** The report's totals; the wall-clock cpuSeconds are zeroed so that a result is reproducible. */
  totals: PolicyTotals;
  /** sha256 (16 hex) of the run's totals.csv and series.csv, as simulator/scenarios/digest.ts prints them. */
  digest: { totals: string; series: string };
  wallSeconds: number;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

function sortedSetting(s: Setting): Setting {
  return Object.fromEntries(Object.keys(s).sort().map((k) => [k, s[k]!]));
}

/** The run's cache key: a digest of everything that determines its result, the code's version included. */
export function runKey(r: RunSpec): string {
  return sha(JSON.stringify({ code: codeDigest(), scenario: r.scenario, seed: r.seed, policy: r.policy, setting: sortedSetting(r.setting) }));
}

async function traceFor(s: ScenarioSpec, seed: number | null): Promise<Trace> {
  if (s.kind === 'trace') return openTrace(s.trace);
  const recipe = SCENARIOS.find((x) => x.file === `${s.scenario}.jsonl.gz`);
  if (!recipe) throw new Error(`unknown synthetic scenario ${s.scenario}`);
  return generate({ ...recipe.input, ...(seed === null ? {} : { seed }), ...(s.days === undefined ? {} : { days: s.days }) });
}

export async function runOne(r: RunSpec): Promise<RunResult> {
  const t0 = performance.now();
  const result = await simulate({ trace: await traceFor(r.scenario, r.seed), profile: loadProfileFile(r.scenario.profile), policies: [buildPolicy(r.policy, r.setting)] });
  const totals = { ...result.policies[0]!.totals, cpuSeconds: { placement: 0, planning: 0 } };
  return {
    key: runKey(r),
    scenario: r.scenario.name,
    seed: r.seed,
    policy: r.policy,
    setting: sortedSetting(r.setting),
    label: settingLabel(r.setting),
    batch: batchOutcome(totals),
    risk: onlineRisk(totals),
    totals,
    digest: { totals: sha(formatTotalsCsv(result)), series: sha(formatSeriesCsv(result)) },
    wallSeconds: (performance.now() - t0) / 1000,
  };
}
