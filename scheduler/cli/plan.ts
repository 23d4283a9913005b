// tidal plan: how many nodes each policy needs for a trace (optionally under a demand scenario), by
// removing base nodes or adding the scenario's node templates. Exit status 0 when every policy has a
// size that meets the bound, 3 when one has none (the failing bounds are named).

import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { loadProfileFile } from '../../profiles/loader.ts';
import { defaultParallelism, probePool } from '../../simulator/plan-pool.ts';
import { EXIT_NO_SIZE_MEETS_BOUND, onlineRisk, pct, planNodes, type EvaluatedProbe, type PlanReport, type PolicyPlan } from '../../simulator/plan.ts';
import { POLICY_NAMES } from '../../simulator/policies/index.ts';
import { readerOptions } from './reader-options.ts';
import { parseSimFlags, simOptions, type SimFlags } from './simulate.ts';
import { formatTime } from './time.ts';

interface PlanFlags extends SimFlags {
  maxRisk: string;
  maxDelayedOnline: string;
  parallel: string;
  json?: string;
  runbook?: string;
  runbookPolicy?: string;
}

export function register(program: Command): void {
  simOptions(
    program
      .command('plan')
      .description(`capacity planning: per policy, the fewest nodes (removing base nodes or adding the scenario's node templates) that keep online risk under --max-risk with no more than --max-delayed-online delayed online pods; exit ${EXIT_NO_SIZE_MEETS_BOUND} when some policy meets the bound at no size`)
      .requiredOption('--max-risk <fraction>', 'largest acceptable online risk: the share of node-minutes with CPU above 80 % of a node while online pods run, 1 on any unmet online CPU or online OOM kill (e.g. 0.001)')
      .option('--max-delayed-online <n>', 'online pods allowed to wait longer than a minute or never be placed', '0')
      .addOption(new Option('--policy <name...>', 'policies to plan for').choices([...POLICY_NAMES]).default(['time-sharing']))
      .option('--parallel <n>', 'simulations run at once (worker threads)', String(defaultParallelism()))
      .option('--json <file>', 'write the plan (every probe\'s totals) as JSON')
      .option('--runbook <dir>', 'write the peak-night runbook (runbook.md and runbook.html in this folder, or FILE.md and FILE.html) for the first policy that meets the bound')
      .option('--runbook-policy <name>', 'the policy the runbook follows (default: the first of --policy that meets the bound)'),
  ).action(async (f: PlanFlags) => {
    const profile = loadProfileFile(f.profile);
    const { options, until } = parseSimFlags(f, profile);
    // Every probe (in this thread or a worker) opens the trace by path with these reader options.
    const reader = readerOptions(f, f.trace);
    const maxRisk = Number(f.maxRisk);
    if (!(maxRisk >= 0 && maxRisk <= 1)) throw new Error(`--max-risk must be a fraction between 0 and 1 (got ${f.maxRisk})`);
    const maxDelayedOnline = Number(f.maxDelayedOnline);
    if (!Number.isInteger(maxDelayedOnline) || maxDelayedOnline < 0) throw new Error(`--max-delayed-online must be a whole number (got ${f.maxDelayedOnline})`);
    const parallel = Number(f.parallel);
    if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`--parallel must be a positive whole number (got ${f.parallel})`);
    const runner = probePool(parallel);
    let report: PlanReport;
    try {
      const show = (policy: string, p: EvaluatedProbe) =>
        console.error(`  ${policy}: ${String(p.nodes).padStart(4)} nodes -> risk ${pct(onlineRisk(p.totals))}, online delayed ${p.totals.onlineRisk.onlinePodsDelayed}: ${p.check.ok ? 'meets the bound' : 'fails'} (${p.wallSeconds.toFixed(1)} s)`);
      report = await planNodes({ trace: f.trace, reader, scenario: f.scenario, profile: f.profile, policies: f.policy, bound: { maxRisk, maxDelayedOnline }, options, until, runner, onProbe: f.progress ? show : undefined });
    } finally {
      await runner.close();
    }
    console.log(formatPlan(report, profile.timeZone));
    if (f.json) writeFileSync(f.json, JSON.stringify(report, (k, v) => (k === 'series' ? undefined : v), 2) + '\n');
    if (f.runbook) {
      const { writeRunbook } = await import('../../simulator/runbook/index.ts');
      const paths = await writeRunbook({ report, profile, profileFile: f.profile, scenarioFile: f.scenario, command: commandLine(), policy: f.runbookPolicy }, f.runbook);
      console.log(`runbook: ${paths.markdown}, ${paths.html}`);
    }
    const failed = report.policies.filter((p) => p.needed === null);
    if (failed.length > 0) {
      console.error(`tidal plan: no size meets the bound for ${failed.map((p) => `${p.policy} (${p.atMax?.check.failing.map((x) => x.bound).join(', ')})`).join(', ')}`);
      process.exitCode = EXIT_NO_SIZE_MEETS_BOUND;
    }
  });
}

function commandLine(): string {
  return ['node', 'scheduler/cli/tidal.ts', ...process.argv.slice(2)].map((a) => (/^[\w./=:@+-]+$/.test(a) ? a : `'${a}'`)).join(' ');
}

const ch = (x: number) => `${x.toFixed(1)} core·h`;

export function formatPlan(r: PlanReport, zone = 'UTC'): string {
  const b = r.bound;
  const extra = r.layout.maxNodes - r.layout.base.length;
  const lines = [
    `bound: online risk (interference share of node-minutes; no unmet online CPU, no online OOM kill) <= ${pct(b.maxRisk)} and online pods delayed <= ${b.maxDelayedOnline}`,
    `cluster: ${r.layout.base.length} base nodes${extra > 0 ? `, up to ${extra} to add (${r.layout.templates.filter((t) => t.max > 0).map((t) => `${t.max} x ${t.name}`).join(', ')})` : ' (the scenario adds no node templates: the search only removes)'}`,
  ];
  for (const p of r.policies) lines.push('', ...formatPolicy(p, zone));
  lines.push('', `${r.policies.reduce((s, p) => s + p.probes.length, 0)} simulations, ${r.parallelism} at a time, in ${r.wallSeconds.toFixed(1)} s`);
  return lines.join('\n');
}

function describe(p: EvaluatedProbe): string {
  const t = p.totals;
  return `risk ${pct(onlineRisk(t))}, online delayed ${t.onlineRisk.onlinePodsDelayed}`;
}

function formatPolicy(p: PolicyPlan, zone: string): string[] {
  const out = [`${p.policy}:`];
  out.push(`  base ${p.baseNodes} nodes: ${describe(p.atBase)}${p.atBase.check.ok ? '' : ` -> fails: ${p.atBase.check.failing.map((f) => f.text).join('; ')}`}`);
  if (p.needed === null || !p.atNeeded) {
    const m = p.atMax!;
    out.push(`  NO SIZE MEETS THE BOUND: even ${p.maxNodes} nodes${p.maxNodes > p.baseNodes ? ` (every template at its max)` : ''} fail: ${m.check.failing.map((f) => f.text).join('; ')}`);
    return out;
  }
  const change = p.add.length > 0 ? `add ${p.add.map((a) => `${a.count} x ${a.template}`).join(' + ')}` : p.remove > 0 ? `remove ${p.remove} of the base nodes` : 'keep the base cluster as it is';
  out.push(`  fewest nodes: ${p.needed} (${change})`);
  const a = p.atNeeded;
  out.push(`    at ${p.needed}: ${describe(a)}; batch waited ${ch(a.batchDeferredCoreHours)} (${ch(p.atBase.batchDeferredCoreHours)} at the base size), lost to evictions ${ch(a.totals.evictions.workLostCoreHours)}, completed ${a.totals.batch.completed} of ${a.totals.batch.arrived} batch pods`);
  for (const d of a.deadlines) out.push(`    deadline batch ${d.batch}: ${d.late} of ${d.pods} pods not done by ${formatTime(d.deadline, zone)}`);
  if (p.margin) out.push(`  margin: at ${p.margin.nodes} nodes ${describe(p.margin)} -> fails: ${p.margin.check.failing.map((f) => f.text).join('; ')}`);
  else if (p.needed === 1) out.push('  margin: one node is enough');
  return out;
}
