// Capacity planning: for each policy, the fewest nodes that carry a trace (optionally transformed by a
// demand scenario) within the bound, searching from the base cluster down (removing its nodes) and
// up (adding the scenario's node templates). Each probe is a full simulation through the same core,
// so the answer accounts for the policy's placement, drains and evictions, not just summed requests.
// Probes run in parallel (plan-pool.ts); the search asks for several sizes per round when it can.

import type { NodeInfo } from '../scheduler/core/model.ts';
import type { PolicyTotals } from './engine/metrics.ts';
import type { SimOptions } from './engine/policy-sim.ts';
import type { ProbeResult, ProbeSpec } from './plan-probe.ts';
import type { ProbeRunner } from './plan-pool.ts';
import { loadScenarioFile, templateNodeName, transformTrace, type NodeTemplate } from './scenario/index.ts';
import { openTrace, type OpenOptions } from './traces/index.ts';
import type { Profile } from '../scheduler/core/profile.ts';
import { onlineRiskScore } from './engine/risk.ts';
import { simulate } from './engine/simulation.ts';
import type { SimPolicy } from './policies/index.ts';
import type { Trace } from './traces/events.ts';

export interface PlanBound {
  /** Largest acceptable online risk (see onlineRisk). */
  maxRisk: number;
  /** Online pods allowed to wait longer than the online wait limit (or never be placed). */
  maxDelayedOnline: number;
}

/**
 * The online risk the bound is on: engine/risk.ts's scalar (interference share of node-minutes; 1 on
 * unmet online CPU or an online OOM kill) without its delayed-pod breach, which the plan bounds on its
 * own (maxDelayedOnline).
 */
export function onlineRisk(t: PolicyTotals): number {
  return onlineRiskScore(t, false);
}

export type BoundName = 'online-risk' | 'online-delay';

export interface BoundCheck {
  ok: boolean;
  /** The bounds not met, each with what was measured. */
  failing: { bound: BoundName; actual: number; limit: number; text: string }[];
}

export function checkBound(t: PolicyTotals, b: PlanBound): BoundCheck {
  const failing: BoundCheck['failing'] = [];
  const risk = onlineRisk(t);
  if (risk > b.maxRisk) failing.push({ bound: 'online-risk', actual: risk, limit: b.maxRisk, text: `online risk ${pct(risk)} > ${pct(b.maxRisk)}` });
  const delayed = t.onlineRisk.onlinePodsDelayed;
  if (delayed > b.maxDelayedOnline) failing.push({ bound: 'online-delay', actual: delayed, limit: b.maxDelayedOnline, text: `online pods delayed ${delayed} > ${b.maxDelayedOnline}` });
  return { ok: failing.length === 0, failing };
}

/** The nodes a plan can use: the base trace's, in the order they appear, then the templates'. */
export interface ClusterLayout {
  base: NodeInfo[];
  templates: NodeTemplate[];
  /** Largest cluster: every base node and every template at its max. */
  maxNodes: number;
}

export async function clusterLayout(tracePath: string, reader: OpenOptions, scenarioFile?: string): Promise<ClusterLayout> {
  const scenario = scenarioFile ? loadScenarioFile(scenarioFile) : null;
  const templates = scenario?.nodes ?? [];
  const added = new Set(templates.flatMap((t) => Array.from({ length: t.max }, (_, k) => templateNodeName(t, k))));
  const base: NodeInfo[] = [];
  const seen = new Set<string>();
  const raw = await openTrace(tracePath, reader);
  // Only node-adds matter here; the transform is used so that a clash of names is reported.
  const trace = scenario ? transformTrace(raw, { ...scenario, demand: [], scaleOut: [], batch: [] }, { nodes: Object.fromEntries(templates.map((t) => [t.name, t.max])) }) : raw;
  for await (const e of trace.events()) {
    if (e.type !== 'node-add' || added.has(e.node.name) || seen.has(e.node.name)) continue;
    seen.add(e.node.name);
    base.push(e.node);
  }
  return { base, templates, maxNodes: base.length + templates.reduce((s, t) => s + t.max, 0) };
}

/** The cluster of n nodes: the first n base nodes, or all of them plus templates filled in order. */
export function clusterOfSize(layout: ClusterLayout, n: number): { baseNodes: string[]; templateNodes: Record<string, number>; added: { template: string; count: number }[] } {
  const baseNodes = layout.base.slice(0, Math.min(n, layout.base.length)).map((s) => s.name);
  let extra = Math.max(0, n - layout.base.length);
  const templateNodes: Record<string, number> = {};
  const added: { template: string; count: number }[] = [];
  for (const t of layout.templates) {
    const k = Math.min(extra, t.max);
    templateNodes[t.name] = k;
    if (k > 0) added.push({ template: t.name, count: k });
    extra -= k;
  }
  return { baseNodes, templateNodes, added };
}

export interface PlanInput {
  trace: string;
  /** How to open the trace (reader options, as `tidal simulate` takes them); strict by default. */
  reader?: OpenOptions;
  scenario?: string;
  profile: string;
  policies: readonly string[];
  bound: PlanBound;
  options?: Partial<SimOptions>;
  until?: number;
  runner: ProbeRunner;
  onProbe?: (policy: string, probe: EvaluatedProbe) => void;
}

export interface EvaluatedProbe extends ProbeResult {
  check: BoundCheck;
}

export interface PolicyPlan {
  policy: string;
  baseNodes: number;
  maxNodes: number;
  /** Fewest nodes that meet the bound, or null when even maxNodes do not. */
  needed: number | null;
  /** Template nodes to add (needed above the base), or 0 and the base nodes that can go. */
  add: { template: string; count: number }[];
  remove: number;
  atBase: EvaluatedProbe;
  atNeeded: EvaluatedProbe | null;
  /** One node fewer than needed: how close the answer is to failing (null when needed is 1 or none). */
  margin: EvaluatedProbe | null;
  /** The largest cluster's probe when no size meets the bound (it names the failing bounds). */
  atMax: EvaluatedProbe | null;
  probes: EvaluatedProbe[];
}

export interface PlanReport {
  bound: PlanBound;
  layout: ClusterLayout;
  policies: PolicyPlan[];
  wallSeconds: number;
  parallelism: number;
}

const readerOf = (input: PlanInput): OpenOptions => input.reader ?? { strict: true };

export async function planNodes(input: PlanInput): Promise<PlanReport> {
  const t0 = Date.now();
  const layout = await clusterLayout(input.trace, readerOf(input), input.scenario);
  if (layout.base.length === 0) throw new Error(`trace ${input.trace} adds no nodes`);
  const perPolicy = Math.max(1, Math.round(input.runner.size / input.policies.length));
  const policies = await Promise.all(input.policies.map((p) => planPolicy(input, layout, p, perPolicy)));
  return { bound: input.bound, layout, policies, wallSeconds: (Date.now() - t0) / 1000, parallelism: input.runner.size };
}

async function planPolicy(input: PlanInput, layout: ClusterLayout, policy: string, per: number): Promise<PolicyPlan> {
  const evals = new Map<number, Promise<EvaluatedProbe>>();
  const at = (n: number): Promise<EvaluatedProbe> => {
    let p = evals.get(n);
    if (!p) {
      const c = clusterOfSize(layout, n);
      const spec: ProbeSpec = { trace: input.trace, reader: readerOf(input), scenario: input.scenario, profile: input.profile, policy, options: input.options ?? {}, until: input.until, baseNodes: c.baseNodes, templateNodes: c.templateNodes, nodes: n };
      p = input.runner.run(spec).then((r) => {
        const e = { ...r, check: checkBound(r.totals, input.bound) };
        input.onProbe?.(policy, e);
        return e;
      });
      evals.set(n, p);
    }
    return p;
  };
  const B = layout.base.length;
  const M = layout.maxNodes;
  // Invariant: every size <= lo fails (0 nodes fail by definition), hi is the smallest size seen to
  // meet the bound (M + 1: none yet). Each round probes `per` sizes spread over (lo, hi).
  let lo = 0;
  let hi = M + 1;
  let first = true;
  while (hi - lo > 1) {
    const pts = new Set<number>();
    if (first) pts.add(B);
    for (let i = 1; pts.size < per && i <= per; i++) {
      const n = lo + Math.round((i * (hi - lo)) / (per + 1));
      if (n > lo && n < hi && !pts.has(n)) pts.add(n);
    }
    first = false;
    const results = await Promise.all([...pts].map(at));
    for (const r of results) if (r.check.ok) hi = Math.min(hi, r.nodes);
    for (const r of results) if (!r.check.ok && r.nodes < hi) lo = Math.max(lo, r.nodes);
  }
  const probes = (await Promise.all(evals.values())).sort((a, b) => a.nodes - b.nodes);
  const get = (n: number) => probes.find((p) => p.nodes === n) ?? null;
  const needed = hi <= M ? hi : null;
  const c = needed === null ? null : clusterOfSize(layout, needed);
  return {
    policy,
    baseNodes: B,
    maxNodes: M,
    needed,
    add: c?.added ?? [],
    remove: needed === null ? 0 : Math.max(0, B - needed),
    atBase: get(B)!,
    atNeeded: needed === null ? null : get(needed),
    margin: needed === null || needed <= 1 ? null : get(needed - 1),
    atMax: needed === null ? get(M) : null,
    probes,
  };
}

/** Exit status of `tidal plan`: 0 when every policy has a size that meets the bound, 3 otherwise. */
export const EXIT_NO_SIZE_MEETS_BOUND = 3;

export function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

// The in-process, remove-only search over an in-memory trace, for the comparison scripts: the
// fewest of the trace's first N nodes that meet the bound (binary search, to within `resolution`).

export interface RemovalPlanInput {
  trace: Trace;
  profile: Profile;
  policy: SimPolicy;
  /** Largest acceptable fraction of node-minutes with usage above the risk threshold. */
  maxRisk: number;
  /** Online pods allowed to wait longer than the online wait limit (or never be placed). */
  maxDelayedOnline: number;
  options?: Partial<SimOptions>;
  until?: number;
  onProbe?: (probe: RemovalProbe) => void;
  /** Stop the search once the answer is known to within this many nodes (default 1: exact). */
  resolution?: number;
}

export interface RemovalProbe {
  nodes: number;
  ok: boolean;
  totals: PolicyTotals;
}

export interface RemovalPlanResult {
  policy: string;
  maxRisk: number;
  totalNodes: number;
  /** Fewest nodes that meet the bound, or null when even the whole cluster does not. */
  nodesNeeded: number | null;
  /** Totals at the whole cluster and at nodesNeeded, so that what batch gives up can be read off. */
  full: PolicyTotals;
  atNeeded: PolicyTotals | null;
  probes: RemovalProbe[];
}

export function meetsBound(t: PolicyTotals, maxRisk: number, maxDelayedOnline: number): boolean {
  return checkBound(t, { maxRisk, maxDelayedOnline }).ok;
}

export async function planCapacity(input: RemovalPlanInput): Promise<RemovalPlanResult> {
  const names: string[] = [];
  const seen = new Set<string>();
  const probe = async (n: number | null): Promise<RemovalProbe> => {
    const allowed = n === null ? null : new Set(names.slice(0, n));
    const r = await simulate({
      trace: input.trace,
      profile: input.profile,
      policies: [input.policy],
      options: input.options,
      until: input.until,
      nodeFilter: (name) => {
        if (!seen.has(name)) {
          seen.add(name);
          names.push(name);
        }
        return allowed === null || allowed.has(name);
      },
    });
    const totals = r.policies[0]!.totals;
    const p = { nodes: n ?? names.length, ok: meetsBound(totals, input.maxRisk, input.maxDelayedOnline), totals };
    input.onProbe?.(p);
    return p;
  };

  const full = await probe(null);
  const probes = [full];
  const result: RemovalPlanResult = { policy: input.policy.name, maxRisk: input.maxRisk, totalNodes: names.length, nodesNeeded: null, full: full.totals, atNeeded: null, probes };
  if (!full.ok) return result;
  // Binary search for the smallest N that meets the bound (risk falls as nodes are added), to within
  // `resolution` nodes (the answer is then an upper bound at most resolution - 1 above the exact one).
  const resolution = Math.max(1, Math.floor(input.resolution ?? 1));
  let lo = 0;
  let hi = names.length;
  let best = full;
  while (hi - lo > resolution) {
    const mid = Math.floor((lo + hi) / 2);
    const p = await probe(mid);
    probes.push(p);
    if (p.ok) {
      hi = mid;
      best = p;
    } else {
      lo = mid;
    }
  }
  result.nodesNeeded = hi;
  result.atNeeded = best.totals;
  probes.sort((a, b) => a.nodes - b.nodes);
  return result;
}
