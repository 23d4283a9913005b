// Capacity planning: the fewest nodes that carry a trace with online risk under a bound, found by
// replaying the trace on clusters of the first N of its nodes (same workload, fewer machines) and
// searching over N. Each probe is a full simulation through the same core, so the answer accounts for
// the policy's placement, drains and evictions, not just summed requests.

import type { Profile } from '../scheduler/core/profile.ts';
import type { PolicyTotals } from './engine/metrics.ts';
import type { SimOptions } from './engine/policy-sim.ts';
import { simulate } from './engine/simulation.ts';
import type { SimPolicy } from './policies.ts';
import type { Trace } from './traces/events.ts';

export interface PlanInput {
  trace: Trace;
  profile: Profile;
  policy: SimPolicy;
  /** Largest acceptable fraction of node-minutes with usage above the risk threshold. */
  maxRisk: number;
  /** Online pods allowed to wait longer than the online wait limit (or never be placed). */
  maxDelayedOnline: number;
  options?: Partial<SimOptions>;
  until?: number;
  onProbe?: (probe: PlanProbe) => void;
  /** Stop the search once the answer is known to within this many nodes (default 1: exact). */
  resolution?: number;
}

export interface PlanProbe {
  nodes: number;
  ok: boolean;
  totals: PolicyTotals;
}

export interface PlanResult {
  policy: string;
  maxRisk: number;
  totalNodes: number;
  /** Fewest nodes that meet the bound, or null when even the whole cluster does not. */
  nodesNeeded: number | null;
  /** Totals at the whole cluster and at nodesNeeded, so that what batch gives up can be read off. */
  full: PolicyTotals;
  atNeeded: PolicyTotals | null;
  probes: PlanProbe[];
}

export function meetsBound(t: PolicyTotals, maxRisk: number, maxDelayedOnline: number): boolean {
  return t.onlineRisk.hotFraction <= maxRisk && t.onlineRisk.onlinePodsDelayed <= maxDelayedOnline;
}

export async function planCapacity(input: PlanInput): Promise<PlanResult> {
  const names: string[] = [];
  const seen = new Set<string>();
  const probe = async (n: number | null): Promise<PlanProbe> => {
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
  const result: PlanResult = { policy: input.policy.name, maxRisk: input.maxRisk, totalNodes: names.length, nodesNeeded: null, full: full.totals, atNeeded: null, probes };
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
