// Runs every shipped scenario (make.ts) under every policy and regenerates the comparison tables in
// docs/compared.md (between the GENERATED markers; the prose around them is written by hand).
//   node simulator/scenarios/compare.ts                 tables from the simulations (~1.5 min)
//   node simulator/scenarios/compare.ts --plan          also `tidal plan`'s nodes needed per policy (slow)
//   node simulator/scenarios/compare.ts --out DIR       also write each scenario's full report there
// It is the same as `tidal simulate --trace simulator/scenarios/<file> --profile <profile>
// --policy time-sharing --policy koordinator --policy volcano-tdm --policy katalyst-tide
// --policy kube-default` for each scenario, then a summary of the report's totals.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProfileFile } from '../../profiles/loader.ts';
import type { PolicyTotals } from '../engine/metrics.ts';
import { simulate, type SimulationResult } from '../engine/simulation.ts';
import { planCapacity } from '../plan.ts';
import { policyByName } from '../policies/index.ts';
import { writeReport } from '../report/index.ts';
import { openTrace } from '../traces/index.ts';
import { SCENARIOS, SCENARIOS_DIR, type Scenario } from './make.ts';

export const COMPARED_POLICIES = ['time-sharing', 'koordinator', 'volcano-tdm', 'katalyst-tide', 'kube-default'] as const;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(ROOT, 'docs/compared.md');
const BEGIN = '<!-- BEGIN GENERATED: node simulator/scenarios/compare.ts -->';
const END = '<!-- END GENERATED -->';

/** Plan bound: at most 0.1% of node-minutes hot and no online pod delayed; search to within 2 nodes. */
export const PLAN_BOUND = { maxRisk: 0.001, maxDelayedOnline: 0, resolution: 2 };

export async function runScenario(s: Scenario): Promise<SimulationResult> {
  const trace = await openTrace(join(SCENARIOS_DIR, s.file));
  return simulate({ trace, profile: loadProfileFile(join(ROOT, s.profile)), policies: COMPARED_POLICIES.map(policyByName) });
}

async function nodesNeeded(s: Scenario, policy: string): Promise<string> {
  const trace = await openTrace(join(SCENARIOS_DIR, s.file));
  const r = await planCapacity({ trace, profile: loadProfileFile(join(ROOT, s.profile)), policy: policyByName(policy), ...PLAN_BOUND });
  return r.nodesNeeded === null ? `> ${r.totalNodes}` : `<= ${r.nodesNeeded}`;
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

async function main(): Promise<void> {
  const withPlan = process.argv.includes('--plan');
  const outIdx = process.argv.indexOf('--out');
  const out = outIdx > 0 ? process.argv[outIdx + 1] : undefined;
  const parts: string[] = [BEGIN, ''];
  for (const s of SCENARIOS) {
    const t0 = Date.now();
    const r = await runScenario(s);
    if (out) await writeReport(r, join(out, s.file.replace(/\.jsonl\.gz$/, '')));
    let plan: Record<string, string> | undefined;
    if (withPlan) {
      plan = {};
      for (const p of COMPARED_POLICIES) plan[p] = await nodesNeeded(s, p);
    }
    console.error(`${s.file}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    parts.push(`### ${s.title}`, '', `${s.about} Trace: \`simulator/scenarios/${s.file}\`.`, '', scenarioTable(r, plan), '');
  }
  parts.push(`Bold: best in the row. ${withPlan ? '' : 'Nodes needed: run with --plan. '}Regenerate: \`node simulator/scenarios/compare.ts${withPlan ? ' --plan' : ''}\`.`, '', END);
  const doc = await readFile(DOC, 'utf8').catch(() => `${BEGIN}\n${END}\n`);
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC}: the GENERATED markers are missing`);
  await writeFile(DOC, doc.slice(0, a) + parts.join('\n') + doc.slice(b + END.length));
  console.error(`updated ${DOC}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
