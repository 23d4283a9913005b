// Regenerates the comparison in docs/compared.md (between the GENERATED markers; the prose around them
// is written by hand) from a sweep: every shipped scenario, every policy over its knob range, tuned on
// training seeds and judged on held-out seeds (simulator/sweep/).
//   node simulator/scenarios/compare.ts [--sweep FILE] [--out DIR] [--workers N]
// FILE defaults to simulator/scenarios/sweep-docs.yaml, DIR (the run cache, resumable) to out/compare.
// Writes the tables into docs/compared.md and one frontier chart per scenario to docs/compared/.
// scenarioTable() is the single-run summary (one setting per policy) for `--single`, kept for a quick
// look: node simulator/scenarios/compare.ts --single   (the shipped traces at default settings).

import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfileFile } from '../../profiles/loader.ts';
import type { PolicyTotals } from '../engine/metrics.ts';
import { simulate, type SimulationResult } from '../engine/simulation.ts';
import { policyByName } from '../policies/index.ts';
import { openTrace } from '../traces/index.ts';
import { riskBreaches } from '../engine/risk.ts';
import { analyse, compare, isPeer, judgedSetting, RULES, type Comparison, type ScenarioAnalysis, type Stats, type SweepAnalysis } from '../sweep/analyse.ts';
import { loadSweepFile, runsOn, type SweepSpec } from '../sweep/file.ts';
import { FORESIGHT_VARIANTS } from '../sweep/knobs.ts';
import { ONLINE_RISK_ABOUT } from '../sweep/objectives.ts';
import { writeSweepOutputs } from '../sweep/output.ts';
import type { RunResult } from '../sweep/run-one.ts';
import { runSweep } from '../sweep/runner.ts';
import { SCENARIOS, SCENARIOS_DIR, type Scenario } from './make.ts';

export const COMPARED_POLICIES = ['time-sharing', 'koordinator', 'volcano-tdm', 'katalyst-tide', 'katalyst-reclaimed', 'crane', 'kube-default'] as const;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(ROOT, 'docs/compared.md');
const BEGIN = '<!-- BEGIN GENERATED: node simulator/scenarios/compare.ts -->';
const END = '<!-- END GENERATED -->';

export async function runScenario(s: Scenario): Promise<SimulationResult> {
  const trace = await openTrace(join(SCENARIOS_DIR, s.file));
  return simulate({ trace, profile: loadProfileFile(join(ROOT, s.profile)), policies: COMPARED_POLICIES.map(policyByName) });
}

const pct = (x: number) => `${(x * 100).toFixed(1)}`;
const h = (ms: number) => (ms / 3_600_000).toFixed(1);
const n = (x: number) => Math.round(x).toLocaleString('en-US');

interface Row {
  label: string;
  better: 'higher' | 'lower' | null;
  value: (t: PolicyTotals) => number;
  show: (v: number) => string;
}

const ROWS: Row[] = [
  { label: 'CPU used, online + batch (%)', better: 'higher', value: (t) => t.utilisation.cpuUsed, show: pct },
  { label: 'CPU used by batch (%)', better: 'higher', value: (t) => t.utilisation.cpuUsedBatch, show: pct },
  { label: 'CPU requested, online + batch (%)', better: null, value: (t) => t.utilisation.cpuRequested, show: pct },
  { label: 'Memory used, online + batch (%)', better: 'higher', value: (t) => t.utilisation.memUsed, show: pct },
  { label: 'Hot node-minutes (usage > 90%)', better: 'lower', value: (t) => t.onlineRisk.hotNodeMinutes, show: n },
  { label: 'Online pods delayed > 1 min or unplaced', better: 'lower', value: (t) => t.onlineRisk.onlinePodsDelayed, show: n },
  { label: 'Online pods evicted or preempting', better: 'lower', value: (t) => (t.evictions.byReason['tide-release-online-pods'] ?? 0) + t.onlineRisk.onlinePreemptions, show: n },
  { label: 'Batch pods completed', better: 'higher', value: (t) => t.batch.completed, show: n },
  { label: 'Batch completion delay p50 (h)', better: 'lower', value: (t) => t.batch.completionDelay.p50, show: h },
  { label: 'Batch completion delay p95 (h)', better: 'lower', value: (t) => t.batch.completionDelay.p95, show: h },
  { label: 'Batch evictions (all reasons)', better: 'lower', value: (t) => t.evictions.total - (t.evictions.byReason['tide-release-online-pods'] ?? 0), show: n },
  { label: 'Batch work lost (core-hours)', better: 'lower', value: (t) => t.evictions.workLostCoreHours, show: (v) => v.toFixed(1) },
];

export function scenarioTable(r: SimulationResult, plan?: Record<string, string>): string {
  const ps = COMPARED_POLICIES.map((name) => r.policies.find((p) => p.policy === name)!);
  const lines = [`| measure | ${COMPARED_POLICIES.join(' | ')} |`, `|---|${COMPARED_POLICIES.map(() => '---:').join('|')}|`];
  for (const row of ROWS) {
    const values = ps.map((p) => row.value(p.totals));
    const shown = values.map(row.show);
    const best = row.better === null ? null : shown[values.indexOf(row.better === 'higher' ? Math.max(...values) : Math.min(...values))];
    const cells = shown.map((c) => (best !== null && c === best && !shown.every((x) => x === best) ? `**${c}**` : c));
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  if (plan) lines.push(`| Nodes needed (tidal plan, risk <= 0.1%, no online delay) | ${COMPARED_POLICIES.map((p) => plan[p] ?? '-').join(' | ')} |`);
  return lines.join('\n');
}

// ---- the sweep-driven comparison --------------------------------------------------------------

const DOC_CHARTS = join(ROOT, 'docs/compared');
export const DOCS_SWEEP = join(ROOT, 'simulator/scenarios/sweep-docs.yaml');

const f1 = (x: number) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: 0 }) : 'n/a');
const pc = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)}%` : 'n/a');
const spread = (s: Stats) => (s.n > 1 ? `${f1(s.mean)} (${f1(s.min)}-${f1(s.max)}, sd ${f1(s.stddev)})` : f1(s.mean));
const r3 = (x: number | null) => (x === null ? '-' : x.toFixed(3));

/** The held-out runs of a policy at a setting. */
function heldOutRuns(spec: SweepSpec, results: readonly RunResult[], scenario: string, policy: string, label: string): RunResult[] {
  return results.filter((r) => r.scenario === scenario && r.policy === policy && r.label === label && (r.seed === null || spec.seeds.heldOut.includes(r.seed)));
}

/** Mean of a measure over the held-out runs of a policy at a setting. */
function heldOutMean(spec: SweepSpec, results: readonly RunResult[], scenario: string, policy: string, label: string, f: (t: PolicyTotals) => number): number {
  const runs = heldOutRuns(spec, results, scenario, policy, label);
  return runs.length === 0 ? NaN : runs.reduce((s, r) => s + f(r.totals), 0) / runs.length;
}

const DETAIL: { label: string; value: (t: PolicyTotals) => number; show: (v: number) => string }[] = [
  { label: 'Online risk (scalar)', value: (t) => t.onlineRisk.score, show: pc },
  { label: 'Interference node-minutes', value: (t) => t.onlineRisk.interferenceNodeMinutes, show: f1 },
  { label: 'Unmet online CPU (core-s)', value: (t) => t.onlineRisk.unmetOnlineCpuCoreSeconds, show: f1 },
  { label: 'Online pods delayed > 1 min or unplaced', value: (t) => t.onlineRisk.onlinePodsDelayed, show: (v) => v.toFixed(1) },
  { label: 'Online pods never placed', value: (t) => t.onlineRisk.onlinePodsUnplaced + t.onlineRisk.onlinePodsEndedPending, show: (v) => v.toFixed(1) },
  { label: 'Online OOM kills', value: (t) => t.onlineRisk.onlineOomKills, show: (v) => v.toFixed(1) },
  { label: 'Online pods evicted or preempting', value: (t) => t.onlineRisk.onlineEvictions + t.onlineRisk.onlinePreemptions, show: (v) => v.toFixed(1) },
  { label: 'Batch work completed (core-h)', value: (t) => t.batch.completedCoreHours, show: f1 },
  { label: 'Batch pods completed', value: (t) => t.batch.completed, show: f1 },
  { label: 'Batch pods unfinished at the end', value: (t) => t.batch.unfinished, show: f1 },
  { label: 'Batch completion delay p50 (h)', value: (t) => t.batch.completionDelay.p50, show: h },
  { label: 'Batch completion delay p95 (h)', value: (t) => t.batch.completionDelay.p95, show: h },
  { label: 'Batch CPU denied (core-h)', value: (t) => t.batch.cpuDeniedCoreHours, show: (v) => v.toFixed(1) },
  { label: 'Evictions (all reasons)', value: (t) => t.evictions.total, show: f1 },
  { label: 'Batch OOM kills', value: (t) => t.batch.oomKills, show: (v) => v.toFixed(1) },
  { label: 'Batch work lost to evictions (core-h)', value: (t) => t.evictions.workLostCoreHours, show: (v) => v.toFixed(1) },
  { label: 'Batch work lost to OOM kills (core-h)', value: (t) => t.evictions.workLostOomCoreHours, show: (v) => v.toFixed(1) },
  { label: 'Hot node-minutes (usage > 90%, secondary)', value: (t) => t.onlineRisk.hotNodeMinutes, show: f1 },
  { label: 'CPU used, online + batch (%)', value: (t) => t.utilisation.cpuUsed, show: pct },
];

const isVariant = (policy: string) => policy in FORESIGHT_VARIANTS;

function verdictText(c: Comparison): string {
  return { tidal: `${c.tidal} ahead`, peer: `${c.peer ?? 'a peer'} ahead`, tie: `a tie with ${c.peer} (inside the seed-to-seed spread)`, none: 'no comparison' }[c.verdict];
}

/** Tidal against the best peer that has no foresight option turned on (the comparison without equal information). */
function withoutForesight(s: ScenarioAnalysis, tidal: string): Comparison {
  const t = s.policies.find((p) => p.policy === tidal);
  return compare(t, s.policies.filter((p) => isPeer(p.policy) && !isVariant(p.policy)));
}

/** What breached the bound on the held-out seeds, in words (empty when nothing did). */
function breaches(spec: SweepSpec, results: readonly RunResult[], scenario: string, policy: string, label: string): string {
  const runs = heldOutRuns(spec, results, scenario, policy, label);
  const words = new Map<string, number>();
  for (const r of runs) for (const b of riskBreaches(r.totals.onlineRisk)) words.set(b, (words.get(b) ?? 0) + 1);
  const over = runs.filter((r) => r.risk > spec.riskBound && riskBreaches(r.totals.onlineRisk).length === 0).length;
  const parts = [...words].map(([b, n]) => `${b} on ${n} of ${runs.length} seeds`);
  if (over > 0) parts.push(`interference above the bound on ${over} of ${runs.length} seeds`);
  return parts.join('; ');
}

function scenarioSection(spec: SweepSpec, results: readonly RunResult[], s: ScenarioAnalysis): string[] {
  const recipe = SCENARIOS.find((x) => x.file === `${s.scenario}.jsonl.gz`);
  const out = [`### ${recipe?.title ?? s.scenario}`, ''];
  if (recipe) out.push(`${recipe.about} Recipe: \`simulator/scenarios/make.ts\` (${s.scenario}), regenerated per seed.`, '');
  out.push(`![${s.scenario}: batch core-hours against online risk, every setting on the training seed](compared/${s.scenario}.svg)`, '');
  const tidal = s.policies.find((p) => p.policy === spec.tidal);
  out.push('| policy | best setting (risk <= bound on the training seed) | held-out batch core-h: mean (min-max, sd) | held-out risk: mean (max) | Tidal / this |', '|---|---|---:|---:|---:|');
  for (const p of s.policies) {
    const hh = p.heldOut;
    const ratio = tidal?.heldOut && hh && hh.batch.mean > 0 ? (tidal.heldOut.batch.mean / hh.batch.mean).toFixed(3) : '-';
    let cell = '-';
    let risk = '-';
    if (hh) {
      cell = spread(hh.batch);
      const why = hh.withinBound ? '' : breaches(spec, results, s.scenario, p.policy, p.best!);
      risk = `${pc(hh.risk.mean)} (${pc(hh.risk.max)})${hh.withinBound ? '' : ` over the bound: ${why}`}`;
    } else {
      const j = judgedSetting(p);
      const why = breaches(spec, results, s.scenario, p.policy, j.label);
      cell = `none within the bound (least risky, ${j.label}: ${f1(heldOutMean(spec, results, s.scenario, p.policy, j.label, (t) => t.batch.completedCoreHours))})`;
      risk = `${pc(heldOutMean(spec, results, s.scenario, p.policy, j.label, (t) => t.onlineRisk.score))}${why ? `: ${why}` : ''}`;
    }
    out.push(`| ${p.policy} | ${p.best ?? 'none'} | ${cell} | ${risk} | ${p.policy === spec.tidal ? '' : ratio} |`);
  }
  // Demand no policy could carry (the scenario is infeasible there): online pods delayed under every policy on a held-out seed.
  for (const seed of s.seeded ? spec.seeds.heldOut : []) {
    const delayed = s.policies.map((p) => results.find((r) => r.scenario === s.scenario && r.policy === p.policy && r.label === judgedSetting(p).label && r.seed === seed)?.totals.onlineRisk.onlinePodsDelayed ?? 0);
    const least = Math.min(...delayed);
    if (least > 0) out.push('', `Unplaceable demand on held-out seed ${seed}: at least ${least} online pods waited more than a minute under every policy (the scale-out asks more than the nodes can hold), so the risk scalar is 1 there for every policy; the batch figures of that seed still count.`);
  }
  const c = s.comparison;
  out.push('', `**${c.tidal} against the best peer${c.peer ? ` (${c.peer})` : ''}: ${verdictText(c)}**${c.ratio !== null ? `, ratio ${c.ratio.toFixed(3)}` : ''}; ${c.reason}.`);
  if (s.policies.some((p) => isVariant(p.policy))) {
    const w = withoutForesight(s, spec.tidal);
    out.push('', `Without the peers' foresight options (best peer ${w.peer ?? 'none'}): ${verdictText(w)}${w.ratio !== null ? `, ratio ${w.ratio.toFixed(3)}` : ''}; ${w.reason}.`);
  }
  out.push('', 'Frontier per policy (training seed; setting: batch core-h at online risk; * = within the bound):', '');
  out.push('| policy | settings on the frontier | settings tried |', '|---|---|---:|');
  for (const p of s.policies) {
    const front = p.frontier.map((l) => {
      const pt = p.points.find((x) => x.label === l)!;
      return `${l}: ${f1(pt.batch.mean)} @ ${pc(pt.risk.mean)}${pt.feasible ? '*' : ''}`;
    });
    out.push(`| ${p.policy} | ${front.join('<br>')} | ${p.points.length} |`);
  }
  // The other measures at each policy's judged setting (its best, or its least risky when none is within the bound).
  const cols = s.policies.map((p) => ({ policy: p.policy, label: judgedSetting(p).label }));
  out.push('', 'Other measures, held-out means at the setting above (a policy with none within the bound: its least risky setting):', '');
  out.push(`| measure | ${cols.map((c) => c.policy).join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`);
  for (const row of DETAIL) out.push(`| ${row.label} | ${cols.map((c) => row.show(heldOutMean(spec, results, s.scenario, c.policy, c.label, row.value))).join(' | ')} |`);
  out.push('');
  return out;
}

/** The best peer, naming the peers whose held-out mean equals it (within half a core-hour; saturated weeks). */
function bestPeerText(s: ScenarioAnalysis): string {
  const c = s.comparison;
  if (!c.peer) return '-';
  const top = s.policies.find((p) => p.policy === c.peer)!.heldOut!.batch.mean;
  const level = s.policies.filter((p) => isPeer(p.policy) && p.policy !== c.peer && p.heldOut && Math.abs(p.heldOut.batch.mean - top) < 0.5).map((p) => p.policy);
  return level.length === 0 ? c.peer : `${c.peer} (level with ${level.join(', ')})`;
}

function gridLines(spec: SweepSpec): string[] {
  const out = ['| policy | settings | knob values |', '|---|---:|---|'];
  for (const p of spec.policies) {
    const knobs = new Map<string, Set<number>>();
    for (const st of p.settings) for (const [k, v] of Object.entries(st)) (knobs.get(k) ?? knobs.set(k, new Set()).get(k)!).add(v);
    const where = spec.scenarios.filter((sc) => runsOn(sc, p.policy)).map((sc) => sc.name);
    const scope = where.length === spec.scenarios.length ? '' : ` (only ${where.join(', ')})`;
    out.push(`| ${p.policy}${scope} | ${p.settings.length} | ${knobs.size === 0 ? 'its defaults' : [...knobs].map(([k, vs]) => `${k} ${[...vs].join(', ')}`).join('; ')} |`);
  }
  return out;
}

export function comparisonMarkdown(spec: SweepSpec, results: readonly RunResult[], a: SweepAnalysis, command: string, wallSeconds: number, ran: number): string {
  const parts: string[] = [BEGIN, ''];
  const load = loadavg()[0]!.toFixed(1);
  const cold = results.reduce((t, r) => t + r.wallSeconds, 0);
  const workers = Math.min(2, availableParallelism());
  parts.push(
    `Generated by \`${command}\`: ${results.length} runs (${ran} run by this invocation, the rest from the cache in out/compare; it took ${(wallSeconds / 60).toFixed(1)} min). A run from an empty cache: the runs' own wall times add up to ${(cold / 60).toFixed(0)} min, about ${(cold / 60 / workers).toFixed(0)} min on ${workers} workers of this ${availableParallelism()}-core machine (load average ${load} at the end: other work shared it).`,
    '',
  );
  parts.push(`Batch outcome: core-hours of batch work completed (CPU request x runtime of the pods that finished). Online risk: ${ONLINE_RISK_ABOUT}. Bound: ${pc(a.riskBound)}. Training seed${a.seeds.training.length > 1 ? 's' : ''} ${a.seeds.training.join(', ')} (every setting); held-out seeds ${a.seeds.heldOut.join(', ')} (only the setting the training seed chose: no policy, Tidal included, is tuned on the seeds reported).`, '');
  for (const r of RULES) parts.push(`- ${r}`);
  parts.push('', 'The grid ([simulator/scenarios/sweep-docs.yaml](../simulator/scenarios/sweep-docs.yaml); knobs in simulator/sweep/knobs.ts):', '', ...gridLines(spec));
  parts.push('', '#### Summary: best held-out batch core-hours within the bound (mean, sd over the held-out seeds)', '');
  const names = spec.policies.map((p) => p.policy);
  parts.push(`| policy | ${a.scenarios.map((s) => s.scenario).join(' | ')} |`, `|---|${a.scenarios.map(() => '---:').join('|')}|`);
  for (const n of names) {
    const cells = a.scenarios.map((s) => {
      const p = s.policies.find((x) => x.policy === n);
      if (!p) return '';
      if (!p.heldOut) return 'none within the bound';
      return `${f1(p.heldOut.batch.mean)} (sd ${f1(p.heldOut.batch.stddev)})${p.heldOut.withinBound ? '' : ' over on a held-out seed'}`;
    });
    parts.push(`| ${n} | ${cells.join(' | ')} |`);
  }
  const comps = a.scenarios.map((s) => s.comparison);
  parts.push(`| **best peer** | ${a.scenarios.map((s) => bestPeerText(s)).join(' | ')} |`);
  parts.push(`| **${spec.tidal} / best peer** | ${comps.map((c) => r3(c.ratio)).join(' | ')} |`);
  parts.push(`| **verdict** | ${comps.map((c) => ({ tidal: `${c.tidal} ahead`, peer: `${c.peer} ahead`, tie: `tie with ${c.peer}`, none: '-' })[c.verdict]).join(' | ')} |`);
  if (a.scenarios.some((s) => s.policies.some((p) => isVariant(p.policy)))) {
    const plain = a.scenarios.map((s) => withoutForesight(s, spec.tidal));
    parts.push(`| ${spec.tidal} / best peer without foresight | ${plain.map((c) => `${r3(c.ratio)}${c.peer ? ` (${c.peer})` : ''}`).join(' | ')} |`);
  }
  parts.push('');
  for (const s of a.scenarios) parts.push(...scenarioSection(spec, results, s));
  parts.push(END);
  return parts.join('\n');
}

async function writeDoc(generated: string): Promise<void> {
  const doc = await readFile(DOC, 'utf8').catch(() => `${BEGIN}\n${END}\n`);
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC}: the GENERATED markers are missing`);
  await writeFile(DOC, doc.slice(0, a) + generated + doc.slice(b + END.length));
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

async function single(): Promise<void> {
  for (const s of SCENARIOS) {
    const t0 = Date.now();
    const r = await runScenario(s);
    console.log(`### ${s.title}\n\n${scenarioTable(r)}\n`);
    console.error(`${s.file}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--single')) return single();
  const file = flag('--sweep') ?? DOCS_SWEEP;
  const dir = flag('--out') ?? join(ROOT, 'out/compare');
  const workers = Number(flag('--workers') ?? Math.min(2, availableParallelism()));
  if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`--workers must be a positive integer`);
  const spec = loadSweepFile(file);
  const t0 = Date.now();
  let ran = 0;
  const results = await runSweep(spec, dir, {
    workers,
    heldOut: 'judged',
    onDone: (r, done, total, cached) => {
      if (!cached) ran++;
      console.error(`[${done}/${total}] ${r.scenario} seed ${r.seed ?? 'trace'} ${r.policy} ${r.label}: ${r.batch.toFixed(0)} core-h, risk ${r.risk.toFixed(5)}${cached ? ' (cached)' : ` (${r.wallSeconds.toFixed(1)} s)`}`);
    },
  });
  const wall = (Date.now() - t0) / 1000;
  const a = analyse(spec, results);
  const outputs = await writeSweepOutputs(a, dir);
  await mkdir(DOC_CHARTS, { recursive: true });
  for (const c of outputs.charts) await copyFile(c, join(DOC_CHARTS, c.slice(c.lastIndexOf('/') + 1)));
  const rel = file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
  const command = `node simulator/scenarios/compare.ts${rel === 'simulator/scenarios/sweep-docs.yaml' ? '' : ` --sweep ${rel}`}`;
  await writeDoc(comparisonMarkdown(spec, results, a, command, wall, ran));
  console.error(`${ran} runs in ${wall.toFixed(1)} s with ${workers} worker(s); updated ${DOC} and ${DOC_CHARTS}/`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
