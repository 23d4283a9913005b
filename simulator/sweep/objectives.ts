// The two measures the sweep trades off, as functions of one policy's report totals. They are the
// only place the sweep reads PolicyTotals.
//   batchOutcome  core-hours of useful batch work completed (CPU request x runtime of the completed
//                 pods): a pod count would favour a policy that runs the small pods and starves the big.
//   onlineRisk    the engine's online-risk scalar (simulator/engine/risk.ts): the interference share of
//                 node-minutes; 1 when any online CPU went unmet, an online pod was OOM-killed or an
//                 online pod was delayed past the wait limit (it fails every bound below 1).

import type { PolicyTotals } from '../engine/metrics.ts';
import { ONLINE_RISK_DEFINITION, onlineRiskScore } from '../engine/risk.ts';

export interface Objective {
  /** Column heading and axis label. */
  label: string;
  /** Bigger is better (batch) or smaller is better (risk). */
  better: 'higher' | 'lower';
}

export const BATCH_OUTCOME: Objective = { label: 'batch core-hours completed', better: 'higher' };
export const ONLINE_RISK: Objective = { label: 'online risk (interference share; 1 = unmet online CPU, online OOM kill or delayed online pod)', better: 'lower' };
export const ONLINE_RISK_ABOUT = ONLINE_RISK_DEFINITION;

/** Batch outcome of a run: core-hours of completed batch work. */
export function batchOutcome(t: PolicyTotals): number {
  return t.batch.completedCoreHours;
}

/** Online risk of a run in [0, 1] (engine/risk.ts). */
export function onlineRisk(t: PolicyTotals): number {
  return onlineRiskScore(t);
}
