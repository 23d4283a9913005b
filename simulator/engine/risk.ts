// The one online-risk scalar that `tidal plan` bounds and sweeps trade batch work against, from the
// online side of a run (what a service owner would notice), not from node usage alone:
//
//   score = interference share of node-minutes (CPU granted above the interference threshold, 80 % of
//           allocatable by default, while online pods run on the node: latency rises long before a
//           node is full)
//   score = 1 (a breach of any bound below 1) when the run also has any of:
//           - unmet online CPU above UNMET_ONLINE_CPU_TOLERANCE core-seconds (online or system demand
//             a node could not serve: its share of an oversubscribed node),
//           - an online OOM kill,
//           - an online pod delayed (waited longer than the online wait limit, placed or not, or never
//             placed, or scaled away while still pending).
//
// "Node usage above 90 %" stays in the report as a secondary row: on real data memory alone is above it
// most of the time (page cache), which says nothing about the services.

import type { PolicyTotals } from './metrics.ts';

/** Unmet online CPU below this (core-seconds over the whole run) is rounding, not a breach. */
export const UNMET_ONLINE_CPU_TOLERANCE = 1;

export type RiskBreach = 'unmet-online-cpu' | 'online-oom-kill' | 'online-delayed';

/** What makes the run a breach (empty when none). */
export function riskBreaches(r: Omit<PolicyTotals['onlineRisk'], 'score'>, countDelayed = true): RiskBreach[] {
  const out: RiskBreach[] = [];
  if (r.unmetOnlineCpuCoreSeconds > UNMET_ONLINE_CPU_TOLERANCE) out.push('unmet-online-cpu');
  if (r.onlineOomKills > 0) out.push('online-oom-kill');
  if (countDelayed && r.onlinePodsDelayed > 0) out.push('online-delayed');
  return out;
}

/**
 * The scalar in [0, 1]; see the file header. `countDelayed: false` leaves delayed online pods out, for
 * a caller that bounds them on their own (`tidal plan --max-delayed-online`).
 */
export function onlineRiskScore(t: Pick<PolicyTotals, 'onlineRisk'>, countDelayed = true): number {
  return riskBreaches(t.onlineRisk, countDelayed).length > 0 ? 1 : t.onlineRisk.interferenceFraction;
}

export const ONLINE_RISK_DEFINITION =
  'interference share of node-minutes (CPU above 80 % of a node while online pods run); 1 when any online CPU went unmet, an online pod was OOM-killed or an online pod was delayed past the wait limit';
