// One probe of a capacity plan: replay the (scenario-transformed) trace on a cluster of given nodes
// under one policy, and measure what the plan reports besides the policy totals: batch core-hours
// that had to wait, and the scenario's deadline jobs that were not done by their deadline. A probe
// is described by plain data, so that it runs the same in this thread or in a worker.

import { loadProfileFile } from '../profiles/loader.ts';
import type { PolicyTotals, SeriesPoint } from './engine/metrics.ts';
import type { SimOptions } from './engine/policy-sim.ts';
import { simulate } from './engine/simulation.ts';
import { policyByName } from './policies/index.ts';
import { loadScenarioFile, transformTrace } from './scenario/index.ts';
import { openTrace, type OpenOptions } from './traces/index.ts';

export interface ProbeSpec {
  trace: string;
  /** How to open the trace: the reader options of `tidal plan` (plain data, so a worker gets them as sent). */
  reader: OpenOptions;
  scenario?: string;
  profile: string;
  policy: string;
  options: Partial<SimOptions>;
  until?: number;
  /** The cluster: base node names kept, and nodes added per template. */
  baseNodes: string[];
  templateNodes: Record<string, number>;
  /** Total nodes of this probe (base kept plus added). */
  nodes: number;
}

export interface DeadlineResult {
  batch: string;
  deadline: number;
  pods: number;
  /** Pods still pending or running at their deadline. */
  late: number;
}

export interface ProbeResult {
  nodes: number;
  totals: PolicyTotals;
  series: SeriesPoint[];
  /** Integral of pending batch CPU requests over time: the batch work that had to wait (core-hours). */
  batchDeferredCoreHours: number;
  /**
   * Online pods scaled away (pod-end) while still pending past the online wait limit: a scale-out
   * replica that never got a node during the peak (counted in totals.onlineRisk.onlinePodsDelayed).
   */
  onlineEndedWhilePending: number;
  deadlines: DeadlineResult[];
  wallSeconds: number;
}

export async function runProbe(spec: ProbeSpec): Promise<ProbeResult> {
  const t0 = Date.now();
  const profile = loadProfileFile(spec.profile);
  const base = await openTrace(spec.trace, spec.reader);
  const scenario = spec.scenario ? loadScenarioFile(spec.scenario) : null;
  const transformed = scenario ? transformTrace(base, scenario, { nodes: spec.templateNodes }) : base;
  const trace = transformed;
  const keep = new Set(spec.baseNodes);
  const added = new Set<string>();
  const templates = scenario?.nodes ?? [];
  for (const t of templates) for (let k = 0; k < (spec.templateNodes[t.name] ?? 0); k++) added.add(`${t.name}-${String(k + 1).padStart(3, '0')}`);
  const sampleMs = spec.options.sampleIntervalMs ?? 5 * 60_000;
  let deferredMilliMs = 0;
  let lastAcc = -1;
  const deadlines = (scenario?.batch ?? []).filter((b) => b.deadline !== null).map((b) => ({ b, done: false, result: { batch: b.name, deadline: b.deadline!, pods: b.jobs * b.podsPerJob, late: 0 } }));
  const r = await simulate({
    trace,
    profile,
    policies: [policyByName(spec.policy)],
    options: spec.options,
    until: spec.until,
    nodeFilter: (name) => keep.has(name) || added.has(name),
    onStep: (now, sims, phase) => {
      if (phase !== 'schedule') return;
      const sim = sims[0]!;
      if (lastAcc < 0) lastAcc = now;
      if (now - lastAcc >= sampleMs) {
        let cpu = 0;
        for (const p of sim.pending('batch')) cpu += p.requests.cpu;
        deferredMilliMs += cpu * (now - lastAcc);
        lastAcc = now;
      }
      for (const d of deadlines) {
        if (d.done || now < d.b.deadline!) continue;
        d.done = true;
        const prefix = `${d.b.name}-`;
        let late = 0;
        for (const p of sim.pending('batch')) if (p.uid.startsWith(prefix)) late++;
        for (const p of sim.state.pods.values()) if (p.class === 'batch' && p.uid.startsWith(prefix)) late++;
        d.result.late = late;
      }
    },
  });
  const pr = r.policies[0]!;
  const totals = pr.totals;
  return {
    nodes: spec.nodes,
    totals,
    onlineEndedWhilePending: totals.onlineRisk.onlinePodsEndedPending,
    series: pr.series,
    batchDeferredCoreHours: deferredMilliMs / 1000 / 3_600_000,
    deadlines: deadlines.map((d) => d.result),
    wallSeconds: (Date.now() - t0) / 1000,
  };
}
