// A demand scenario: how a base trace (a recorded or generated ordinary week) is turned into the peak
// to plan for. It is data only; load.ts reads it from YAML, transform.ts applies it to a trace.
// All times are ms since the epoch, after the base trace has been shifted (see shiftTo).

import type { LabelSelector, NodeInfo, Resources } from '../../scheduler/core/model.ts';

/**
 * Which online apps an entry applies to. Apps are the unit of demand: a selector is evaluated on the
 * first online pod seen of an app, and every pod of that app then shares the app's multiplier.
 * Trace pods carry no Kubernetes labels; `labels` matches the labels a trace pod implies:
 * `app` (the pod's app) and `tidal.io/namespace`.
 */
export interface AppSelector {
  all: boolean;
  apps: readonly string[];
  namespaces: readonly string[];
  labels: LabelSelector | null;
}

/** Online demand times a factor over a window, reached by linear ramps inside the window. */
export interface DemandWindow {
  name: string;
  select: AppSelector;
  start: number;
  end: number;
  /** 1 at start (the full factor at once without a ramp), the full factor at start + rampUpMs ... */
  rampUpMs: number;
  /** ... and back to 1 at end, having left the full factor at end - rampDownMs. */
  rampDownMs: number;
  /** Multiplier of the apps' total CPU demand. */
  cpu: number;
  /** Multiplier of each replica's memory (working sets follow replicas more than traffic). */
  memory: number;
}

/** HPA-like scale-out: replicas follow the CPU multiplier with a lag, so per-replica CPU falls back. */
export interface ScaleOut {
  select: AppSelector;
  lagMs: number;
  /** Never more than this many times the app's base replicas. */
  maxFactor: number;
}

/** Extra batch before the event: jobs arriving evenly over [from, to), each due by its deadline. */
export interface ExtraBatch {
  name: string;
  namespace: string;
  from: number;
  to: number;
  jobs: number;
  podsPerJob: number;
  requests: Resources;
  runtimeMs: number;
  /** Every pod of these jobs should have finished by then; null when there is none. */
  deadline: number | null;
  checkpointable: boolean;
  priority: number;
}

/** Nodes that may be added: `count` are added by transform/simulate, plan may add up to `max`. */
export interface NodeTemplate {
  name: string;
  spec: Omit<NodeInfo, 'name'>;
  count: number;
  max: number;
  /** When the added nodes join (and must be Ready by); null: at the start of the trace. */
  readyBy: number | null;
}

export interface Scenario {
  name: string;
  source: string;
  timeZone: string;
  /** Move the base trace so that it starts here (a recorded ordinary week replayed as the event's week). */
  shiftTo: number | null;
  /** Resolution of the ramps: multiplied usage is re-emitted this often inside windows. */
  stepMs: number;
  demand: DemandWindow[];
  scaleOut: ScaleOut[];
  batch: ExtraBatch[];
  nodes: NodeTemplate[];
}

/** Node names of a template's nodes, in the order they are added. */
export function templateNodeName(t: NodeTemplate, k: number): string {
  return `${t.name}-${String(k + 1).padStart(3, '0')}`;
}
