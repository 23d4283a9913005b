// The sweep's analysis, pure: per scenario and policy, the Pareto frontier of batch outcome against
// online risk over the policy's settings (means over the training seeds), the best setting within the
// risk bound, and that setting on the held-out seeds (mean and spread). Then Tidal against the best
// peer, with the tie rule below. Both measures come from objectives.ts.
//
// Rules (stated in the report too):
//   feasible   a setting whose online risk is <= the bound on EVERY training seed
//   best       the feasible setting with the highest mean training batch outcome; ties: lower mean
//              risk, then lower mean batch completion delay p95 (when every setting completes all the
//              batch, as on a week with little of it, the one that finishes it sooner), then the
//              setting's label in order
//   best peer  among the other policies, the one whose best setting has the highest held-out mean
//              (equal means: the one within the bound on every held-out seed first, then by name)
//   tie        paired by seed (each held-out seed is the same workload for every policy): Tidal is
//              ahead only if its batch outcome is higher on EVERY held-out seed, behind only if lower
//              on every one; otherwise the difference is inside the seed-to-seed noise. Pairing is
//              stricter than comparing ranges: seeds change the workload, so the ranges of two
//              policies overlap even when one is ahead on every seed.

import { runsOn, type PolicySweep, type ScenarioSpec, type SweepSpec } from './file.ts';
import { settingLabel as labelOf, type Setting } from './knobs.ts';
import { batchOutcome, onlineRisk } from './objectives.ts';
import type { RunResult } from './run-one.ts';

export interface Stats {
  n: number;
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation (0 for one value). */
  stddev: number;
}

export interface SettingPoint {
  label: string;
  setting: Setting;
  /** Over the training seeds. */
  batch: Stats;
  risk: Stats;
  /** Batch completion delay p95 (ms) over the training seeds: the tie-break after risk. */
  delayP95: Stats;
  feasible: boolean;
  onFrontier: boolean;
}

export interface PolicyAnalysis {
  policy: string;
  points: SettingPoint[];
  /** Labels of the frontier's settings, by increasing risk. */
  frontier: string[];
  /** The best feasible setting's label; null when no setting meets the bound. */
  best: string | null;
  /** The best setting on the held-out seeds. */
  heldOut: { batch: Stats; risk: Stats; withinBound: boolean; values: number[] } | null;
}

export type Verdict = 'tidal' | 'peer' | 'tie' | 'none';

export interface Comparison {
  tidal: string;
  peer: string | null;
  /** Tidal's held-out mean batch outcome / the best peer's; null when either has no feasible setting (or the peer's is 0). */
  ratio: number | null;
  verdict: Verdict;
  reason: string;
}

export interface ScenarioAnalysis {
  scenario: string;
  /** A trace scenario has one trace: training and held-out are the same run. */
  seeded: boolean;
  policies: PolicyAnalysis[];
  comparison: Comparison;
}

export interface SweepAnalysis {
  riskBound: number;
  seeds: { training: number[]; heldOut: number[] };
  scenarios: ScenarioAnalysis[];
}

export const RULES = [
  'feasible: online risk <= the bound on every training seed',
  'best: the feasible setting with the highest mean training batch outcome (ties: lower mean risk, then lower mean batch completion delay p95, then label)',
  'held-out: the best setting re-run on seeds not used for tuning; mean, min-max and sample stddev',
  "ahead: higher batch outcome on every held-out seed (paired: a seed is the same workload for every policy); otherwise a tie, inside the seed-to-seed noise",
];

export function stats(xs: readonly number[]): Stats {
  const n = xs.length;
  if (n === 0) return { n: 0, mean: NaN, min: NaN, max: NaN, stddev: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { n, mean, min: Math.min(...xs), max: Math.max(...xs), stddev: n > 1 ? Math.sqrt(ss / (n - 1)) : 0 };
}

/** Labels of the points no other point dominates (at least as much batch at no more risk, one strictly), by increasing risk. */
export function paretoFrontier(points: ReadonlyArray<{ label: string; batch: number; risk: number }>): string[] {
  const dominated = (p: (typeof points)[number]) => points.some((q) => q !== p && q.batch >= p.batch && q.risk <= p.risk && (q.batch > p.batch || q.risk < p.risk));
  return points
    .filter((p) => !dominated(p))
    .sort((a, b) => a.risk - b.risk || b.batch - a.batch || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    .map((p) => p.label);
}

/** The best feasible point (rules above), or null. */
export function bestWithin(points: readonly SettingPoint[]): SettingPoint | null {
  const ok = points.filter((p) => p.feasible);
  ok.sort((a, b) => b.batch.mean - a.batch.mean || a.risk.mean - b.risk.mean || (a.delayP95?.mean ?? 0) - (b.delayP95?.mean ?? 0) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return ok[0] ?? null;
}

/**
 * A peer is any policy that is not one of Tidal's own (time-sharing and its modes, such as
 * time-sharing-timetable, are measured beside it but never its best peer).
 */
export function isPeer(policy: string): boolean {
  return policy !== 'time-sharing' && !policy.startsWith('time-sharing-');
}

export function compare(tidal: PolicyAnalysis | undefined, peers: readonly PolicyAnalysis[]): Comparison {
  if (!tidal) return { tidal: 'time-sharing', peer: null, ratio: null, verdict: 'none', reason: 'Tidal is not in this sweep' };
  const name = tidal.policy;
  // Highest held-out mean; among equal means (weeks where several peers complete all the batch) the one
  // that also stayed within the bound on every held-out seed, then by name.
  const ranked = peers.filter((p) => p.heldOut !== null).sort((a, b) => b.heldOut!.batch.mean - a.heldOut!.batch.mean || Number(b.heldOut!.withinBound) - Number(a.heldOut!.withinBound) || (a.policy < b.policy ? -1 : 1));
  const peer = ranked[0] ?? null;
  if (!tidal.heldOut && !peer) return { tidal: name, peer: null, ratio: null, verdict: 'none', reason: 'no policy has a setting within the risk bound' };
  if (!tidal.heldOut) return { tidal: name, peer: peer!.policy, ratio: null, verdict: 'peer', reason: `${name} has no setting within the risk bound` };
  if (!peer) return { tidal: name, peer: null, ratio: null, verdict: 'tidal', reason: 'no peer has a setting within the risk bound' };
  const t = tidal.heldOut;
  const p = peer.heldOut!;
  const ratio = p.batch.mean > 0 ? t.batch.mean / p.batch.mean : null;
  const diffs = t.values.map((x, i) => x - (p.values[i] ?? NaN));
  const f = (x: number) => x.toFixed(1);
  const shown = `per held-out seed ${name} - ${peer.policy}: ${diffs.map(f).join(', ')}`;
  if (diffs.length > 0 && diffs.every((d) => d > 0)) return { tidal: name, peer: peer.policy, ratio, verdict: 'tidal', reason: `ahead on every held-out seed (${shown})` };
  if (diffs.length > 0 && diffs.every((d) => d < 0)) return { tidal: name, peer: peer.policy, ratio, verdict: 'peer', reason: `behind on every held-out seed (${shown})` };
  return { tidal: name, peer: peer.policy, ratio, verdict: 'tie', reason: `neither ahead on every held-out seed (${shown})` };
}

type Lookup = (scenario: string, seed: number | null, policy: string, label: string) => RunResult | undefined;

function lookup(results: readonly RunResult[]): Lookup {
  const runKey = (scenario: string, seed: number | null, policy: string, label: string) => JSON.stringify([scenario, seed, policy, label]);
  const byKey = new Map(results.map((r) => [runKey(r.scenario, r.seed, r.policy, r.label), r]));
  return (scenario, seed, policy, label) => byKey.get(runKey(scenario, seed, policy, label));
}

const need = (get: Lookup): ((scenario: string, seed: number | null, policy: string, label: string) => RunResult) => (scenario, seed, policy, label) => {
  const r = get(scenario, seed, policy, label);
  if (!r) throw new Error(`sweep incomplete: no result for ${scenario} seed ${seed ?? 'trace'} ${policy} ${label}`);
  return r;
};

const trainingSeeds = (spec: SweepSpec, sc: ScenarioSpec): Array<number | null> => (sc.kind === 'synthetic' ? spec.seeds.training : [null]);
const heldOutSeeds = (spec: SweepSpec, sc: ScenarioSpec): Array<number | null> => (sc.kind === 'synthetic' ? spec.seeds.heldOut : [null]);

/** A policy's settings on the training seeds of a scenario, its frontier and its best setting (rules above). */
function trainingAnalysis(spec: SweepSpec, sc: ScenarioSpec, ps: PolicySweep, get: ReturnType<typeof need>): Omit<PolicyAnalysis, 'heldOut'> {
  const points = ps.settings.map((setting): SettingPoint => {
    const label = labelOf(setting);
    const runs = trainingSeeds(spec, sc).map((seed) => get(sc.name, seed, ps.policy, label));
    const risks = runs.map((r) => onlineRisk(r.totals));
    return { label, setting, batch: stats(runs.map((r) => batchOutcome(r.totals))), risk: stats(risks), delayP95: stats(runs.map((r) => r.totals.batch.completionDelay.p95)), feasible: risks.every((x) => x <= spec.riskBound), onFrontier: false };
  });
  const frontier = paretoFrontier(points.map((p) => ({ label: p.label, batch: p.batch.mean, risk: p.risk.mean })));
  for (const p of points) p.onFrontier = frontier.includes(p.label);
  return { policy: ps.policy, points, frontier, best: bestWithin(points)?.label ?? null };
}

/**
 * The setting a policy is judged by on the held-out seeds: its best (the rules above); without one, the
 * setting of lowest mean training risk (most batch among equals), so that the report still shows what
 * that policy does on the held-out seeds (flagged as over the bound).
 */
export function judgedSetting(p: Pick<PolicyAnalysis, 'points' | 'best'>): SettingPoint {
  if (p.best !== null) return p.points.find((x) => x.label === p.best)!;
  return [...p.points].sort((a, b) => a.risk.mean - b.risk.mean || b.batch.mean - a.batch.mean || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))[0]!;
}

/**
 * The held-out runs a sweep needs once its training runs are in: per scenario and policy, the judged
 * setting (judgedSetting) on every held-out seed. Used by the runner's `heldOut: 'judged'` mode, which
 * runs the training seeds first and only these held-out runs after (the rest would never be read).
 */
export function heldOutRuns(spec: SweepSpec, training: readonly RunResult[]): Array<{ scenario: ScenarioSpec; seed: number | null; policy: string; setting: Setting }> {
  const get = need(lookup(training));
  const out: Array<{ scenario: ScenarioSpec; seed: number | null; policy: string; setting: Setting }> = [];
  for (const sc of spec.scenarios) {
    if (sc.kind === 'trace') continue; // its one run is training and held-out alike
    for (const ps of spec.policies) {
      if (!runsOn(sc, ps.policy)) continue;
      const judged = judgedSetting(trainingAnalysis(spec, sc, ps, get));
      for (const seed of heldOutSeeds(spec, sc)) out.push({ scenario: sc, seed, policy: ps.policy, setting: judged.setting });
    }
  }
  return out;
}

/** The analysis of a finished sweep; throws naming the first run that is missing. */
export function analyse(spec: SweepSpec, results: readonly RunResult[]): SweepAnalysis {
  const get = need(lookup(results));
  const scenarios = spec.scenarios.map((sc): ScenarioAnalysis => {
    const policies = spec.policies
      .filter((ps) => runsOn(sc, ps.policy))
      .map((ps): PolicyAnalysis => {
        const t = trainingAnalysis(spec, sc, ps, get);
        let held: PolicyAnalysis['heldOut'] = null;
        if (t.best !== null) {
          const runs = heldOutSeeds(spec, sc).map((seed) => get(sc.name, seed, ps.policy, t.best!));
          const risk = stats(runs.map((r) => onlineRisk(r.totals)));
          const values = runs.map((r) => batchOutcome(r.totals));
          held = { batch: stats(values), risk, withinBound: risk.max <= spec.riskBound, values };
        }
        return { ...t, heldOut: held };
      });
    const tidal = policies.find((p) => p.policy === spec.tidal);
    return { scenario: sc.name, seeded: sc.kind === 'synthetic', policies, comparison: compare(tidal, policies.filter((p) => isPeer(p.policy))) };
  });
  return { riskBound: spec.riskBound, seeds: spec.seeds, scenarios };
}
