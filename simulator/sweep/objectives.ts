// The two measures the sweep trades off, as functions of one policy's report totals. They are the
// only place the sweep reads PolicyTotals, so the definitions the report will grow (useful batch
// core-hours, the online-side risk scalar) drop in here without touching the runner or the analysis.
//
// Stand-ins today (what the simulator reports now):
//   batchOutcome  completed batch pods. The report has no core-hours of work completed yet (it has
//                 batch.completed, a pod count, and evictions.workLostCoreHours); when it reports
//                 useful core-hours, return them here and set BATCH_OUTCOME to say so.
//   onlineRisk    onlineRisk.hotFraction, the share of node-minutes above the risk threshold (90 % by
//                 default); any online pod delayed past the wait limit or never placed is a breach
//                 and makes the risk 1 (it fails every bound below 1).

import type { PolicyTotals } from '../engine/metrics.ts';

export interface Objective {
  /** Column heading and axis label. */
  label: string;
  /** Bigger is better (batch) or smaller is better (risk). */
  better: 'higher' | 'lower';
}

export const BATCH_OUTCOME: Objective = { label: 'batch pods completed', better: 'higher' };
export const ONLINE_RISK: Objective = { label: 'online risk (hot node-minute share; 1 = an online pod delayed)', better: 'lower' };

/** Batch outcome of a run (stand-in: completed batch pods). */
export function batchOutcome(t: PolicyTotals): number {
  return t.batch.completed;
}

/** Online risk of a run in [0, 1] (stand-in: hot fraction; a delayed or unplaced online pod is a breach = 1). */
export function onlineRisk(t: PolicyTotals): number {
  if (t.onlineRisk.onlinePodsDelayed > 0 || t.onlineRisk.onlinePodsUnplaced > 0) return 1;
  return t.onlineRisk.hotFraction;
}
