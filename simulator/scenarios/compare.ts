// Regenerates the comparison in docs/compared.md (between the GENERATED markers; the prose around them
// is written by hand) from a sweep: every shipped scenario, every policy over its knob range, tuned on
// training seeds and judged on held-out seeds (simulator/sweep/).
//   node simulator/scenarios/compare.ts [--sweep FILE] [--out DIR] [--workers N]
// FILE defaults to simulator/scenarios/sweep-docs.yaml, DIR (the run cache, resumable) to out/compare.
// Writes the tables into docs/compared.md and one frontier chart per scenario to docs/compared/.
// scenarioTable() is the single-run summary (one setting per policy) for `--single`, kept for a quick
// look: node simulator/scenarios/compare.ts --single   (the shipped traces at default settings).

import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfileFile } from '../../profiles/loader.ts';
import type { PolicyTotals } from '../engine/metrics.ts';
import { simulate, type SimulationResult } from '../engine/simulation.ts';
import { policyByName } from '../policies/index.ts';
import { openTrace } from '../traces/index.ts';
import { analyse, RULES, type ScenarioAnalysis, type Stats, type SweepAnalysis } from '../sweep/analyse.ts';
import { loadSweepFile, type SweepSpec } from '../sweep/file.ts';
import { settingLabel } from '../sweep/knobs.ts';
import { ONLINE_RISK_ABOUT } from '../sweep/objectives.ts';
import { writeSweepOutputs } from '../sweep/output.ts';
import type { RunResult } from '../sweep/run-one.ts';
import { runSweep } from '../sweep/runner.ts';
import { SCENARIOS, SCENARIOS_DIR, type Scenario } from './make.ts';

export const COMPARED_POLICIES = ['time-sharing', 'koordinator', 'volcano-tdm', 'katalyst-tide', 'kube-default'] as const;
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

/** Mean of a measure over the held-out runs of a policy's best setting. */
function heldOutMean(spec: SweepSpec, results: readonly RunResult[], scenario: string, policy: string, label: string, f: (t: PolicyTotals) => number): number {
  const runs = results.filter((r) => r.scenario === scenario && r.policy === policy && r.label === label && (r.seed === null || spec.seeds.heldOut.includes(r.seed)));
  return runs.length === 0 ? NaN : runs.reduce((s, r) => s + f(r.totals), 0) / runs.length;
}

const DETAIL: { label: string; value: (t: PolicyTotals) => number; show: (v: number) => string }[] = [
  { label: 'Online risk (scalar)', value: (t) => t.onlineRisk.score, show: pc },
  { label: 'Interference node-minutes', value: (t) => t.onlineRisk.interferenceNodeMinutes, show: f1 },
  { label: 'Unmet online CPU (core-s)', value: (t) => t.onlineRisk.unmetOnlineCpuCoreSeconds, show: f1 },
  { label: 'Online pods delayed > 1 min or unplaced', value: (t) => t.onlineRisk.onlinePodsDelayed, show: (v) => v.toFixed(1) },
  { label: 'Online OOM kills', value: (t) => t.onlineRisk.onlineOomKills, show: (v) => v.toFixed(1) },
  { label: 'Online pods evicted or preempting', value: (t) => t.onlineRisk.onlineEvictions + t.onlineRisk.onlinePreemptions, show: (v) => v.toFixed(1) },
  { label: 'Batch work completed (core-h)', value: (t) => t.batch.completedCoreHours, show: f1 },
  { label: 'Batch pods completed', value: (t) => t.batch.completed, show: f1 },
  { label: 'Batch completion delay p50 (h)', value: (t) => t.batch.completionDelay.p50, show: h },
  { label: 'Batch completion delay p95 (h)', value: (t) => t.batch.completionDelay.p95, show: h },
  { label: 'Batch CPU denied (core-h)', value: (t) => t.batch.cpuDeniedCoreHours, show: (v) => v.toFixed(1) },
  { label: 'Evictions (all reasons)', value: (t) => t.evictions.total, show: f1 },
  { label: 'Batch OOM kills', value: (t) => t.batch.oomKills, show: (v) => v.toFixed(1) },
  { label: 'Batch work lost (core-h: evictions + OOM)', value: (t) => t.evictions.workLostCoreHours + t.evictions.workLostOomCoreHours, show: (v) => v.toFixed(1) },
  { label: 'Hot node-minutes (usage > 90%, secondary)', value: (t) => t.onlineRisk.hotNodeMinutes, show: f1 },
  { label: 'CPU used, online + batch (%)', value: (t) => t.utilisation.cpuUsed, show: pct },
];

function scenarioSection(spec: SweepSpec, results: readonly RunResult[], s: ScenarioAnalysis): string[] {
  const recipe = SCENARIOS.find((x) => x.file === `${s.scenario}.jsonl.gz`);
  const out = [`### ${recipe?.title ?? s.scenario}`, ''];
  if (recipe) out.push(`${recipe.about} Recipe: \`simulator/scenarios/make.ts\` (${s.scenario}), regenerated per seed.`, '');
  out.push(`![${s.scenario}: batch core-hours against online risk, every setting](compared/${s.scenario}.svg)`, '');
  const tidal = s.policies.find((p) => p.policy === spec.tidal);
  out.push('| policy | best setting (risk <= bound on every training seed) | held-out batch core-h: mean (min-max, sd) | held-out risk: mean (max) | Tidal / this |', '|---|---|---:|---:|---:|');
  for (const p of s.policies) {
    const hh = p.heldOut;
    const ratio = tidal?.heldOut && hh && hh.batch.mean > 0 ? (tidal.heldOut.batch.mean / hh.batch.mean).toFixed(3) : '-';
    out.push(`| ${p.policy} | ${p.best ?? 'none meets the bound'} | ${hh ? spread(hh.batch) : '-'} | ${hh ? `${pc(hh.risk.mean)} (${pc(hh.risk.max)})${hh.withinBound ? '' : ' over'}` : '-'} | ${p.policy === spec.tidal ? '' : ratio} |`);
  }
  const c = s.comparison;
  const verdict = { tidal: `${c.tidal} ahead`, peer: `${c.peer ?? 'a peer'} ahead`, tie: 'a tie (inside the seed-to-seed spread)', none: 'no comparison' }[c.verdict];
  out.push('', `**${c.tidal} against the best peer${c.peer ? ` (${c.peer})` : ''}: ${verdict}**${c.ratio !== null ? `, ratio ${c.ratio.toFixed(3)}` : ''}; ${c.reason}.`, '');
  // The other measures at each policy's best setting (or its default when none meets the bound).
  const cols = s.policies.map((p) => ({ policy: p.policy, label: p.best ?? settingLabel({}) }));
  out.push(`Other measures, held-out means at the setting above (policies without one: their default):`, '');
  out.push(`| measure | ${cols.map((c) => c.policy).join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`);
  for (const row of DETAIL) out.push(`| ${row.label} | ${cols.map((c) => row.show(heldOutMean(spec, results, s.scenario, c.policy, c.label, row.value))).join(' | ')} |`);
  out.push('');
  return out;
}

export function comparisonMarkdown(spec: SweepSpec, results: readonly RunResult[], a: SweepAnalysis, command: string, wallSeconds: number): string {
  const parts: string[] = [BEGIN, ''];
  parts.push(`Generated by \`${command}\` (${results.length} runs; ${(wallSeconds / 60).toFixed(1)} min on this machine, cached runs not counted).`, '');
  parts.push(`Batch outcome: core-hours of batch work completed (CPU request x runtime of the pods that finished). Online risk: ${ONLINE_RISK_ABOUT}. Bound: ${pc(a.riskBound)}. Training seeds ${a.seeds.training.join(', ')}; held-out seeds ${a.seeds.heldOut.join(', ')}.`, '');
  for (const r of RULES) parts.push(`- ${r}`);
  parts.push('', '#### Summary: best held-out batch core-hours within the bound', '');
  const names = spec.policies.map((p) => p.policy);
  parts.push(`| scenario | ${names.join(' | ')} | ${spec.tidal} / best peer | verdict |`, `|---|${names.map(() => '---:').join('|')}|---:|---|`);
  for (const s of a.scenarios) {
    const cells = names.map((n) => {
      const p = s.policies.find((x) => x.policy === n)!;
      return p.heldOut ? f1(p.heldOut.batch.mean) : 'none';
    });
    const c = s.comparison;
    parts.push(`| ${s.scenario} | ${cells.join(' | ')} | ${c.ratio !== null ? c.ratio.toFixed(3) : '-'} | ${{ tidal: `${c.tidal} ahead`, peer: `${c.peer} ahead`, tie: `tie with ${c.peer}`, none: '-' }[c.verdict]} |`);
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
  const workers = Number(flag('--workers') ?? availableParallelism());
  if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`--workers must be a positive integer`);
  const spec = loadSweepFile(file);
  const t0 = Date.now();
  let ran = 0;
  const results = await runSweep(spec, dir, {
    workers,
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
  await writeDoc(comparisonMarkdown(spec, results, a, command, wall));
  console.error(`${ran} runs in ${wall.toFixed(1)} s with ${workers} worker(s); updated ${DOC} and ${DOC_CHARTS}/`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
