// Katalyst's reclaimed resources as core plugins: a batch (reclaimed_cores) pod fits where its requests
// fit in the node's reclaimed cpu/memory (formula.ts) less the requests of reclaimed pods already there,
// and prefers the node with the most left. The core's Level CapacityModel cannot express this formula
// (an absolute reserve, a 1.2 oversold factor on the remainder and a floor that holds however busy the
// node is), so it lives here instead of in capacity.ts. Online usage is the row's cached prediction:
// the latest sample's online side (policy.ts sets the usage window to the latest sample), requests
// of pods bound since, or all non-batch requests when the node has no fresh sample.

import { NativeLeastAllocated } from '../native-least-allocated.ts';
import { failWith, freeRows, weightedScore, type FilterDefinition, type ScoreDefinition } from '../../../scheduler/core/framework.ts';
import type { NodeTable } from '../../../scheduler/core/node-table.ts';
import { requestsSig } from '../../../scheduler/core/signatures.ts';
import { DEFAULT_HEADROOM_PARAMS, reclaimedCpuNow, reclaimedMemory, type HeadroomParams } from './formula.ts';

/** The node's last reported util-based CPU headroom (its CNR), written by the agent (controller.ts). */
export const LAST_HEADROOM_KEY = 'katalyst.kubewharf.io/reclaimed-cpu-headroom';

export interface KatalystReclaimedArgs {
  params: HeadroomParams;
  /** Spans [start, end) in which the operator raised the reserve (foresight), and the reserve then. */
  raised: ReadonlyArray<readonly [number, number]>;
  raisedReserve: { cpu: number; memory: number };
}

export const DEFAULT_RECLAIMED_ARGS: KatalystReclaimedArgs = { params: DEFAULT_HEADROOM_PARAMS, raised: [], raisedReserve: DEFAULT_HEADROOM_PARAMS.reserve };

/** The reserve in force at t. */
export function reserveAt(args: KatalystReclaimedArgs, t: number): { cpu: number; memory: number } {
  for (const [a, b] of args.raised) if (t >= a && t < b) return args.raisedReserve;
  return args.params.reserve;
}

/** Reclaimed resources still free on row i (the engine has refreshed its prediction); CPU 0 before the agent's first report. */
export function reclaimedFree(t: NodeTable, i: number, labels: Readonly<Record<string, string>>, reserve: { cpu: number; memory: number }): { cpu: number; memory: number } {
  const last = labels[LAST_HEADROOM_KEY];
  const cpu = last === undefined ? 0 : reclaimedCpuNow(t.allocCpu[i]!, t.predCpu[i]!, Number(last), reserve.cpu);
  return {
    cpu: Math.max(0, cpu - t.batchCpu[i]!),
    memory: Math.max(0, reclaimedMemory(t.allocMem[i]!, t.predMem[i]!, reserve.memory) - t.batchMem[i]!),
  };
}

const sig = (args: KatalystReclaimedArgs) => (ctx: Parameters<typeof requestsSig>[0]) => `${requestsSig(ctx)}/${reserveAt(args, ctx.now) === args.params.reserve ? 0 : 1}`;

export const KatalystReclaimedFit: FilterDefinition<KatalystReclaimedArgs> = {
  kind: 'filter',
  name: 'KatalystReclaimedFit',
  description: "Katalyst reclaimed_cores: a batch pod's requests fit in the node's reclaimed cpu/memory (sysadvisor util-based headroom)",
  defaults: DEFAULT_RECLAIMED_ARGS,
  create: (args) => ({
    name: 'KatalystReclaimedFit',
    signature: sig(args),
    appliesTo: (ctx) => ctx.pod.class === 'batch',
    filter(ctx, i) {
      const free = reclaimedFree(ctx.t, i, ctx.nodes[i]!.spec.labels, reserveAt(args, ctx.now));
      const req = ctx.pod.requests;
      if (req.cpu > free.cpu) return failWith(ctx, 'KatalystReclaimedFit', 'cpu', true, () => 'not enough resource.katalyst.kubewharf.io/reclaimed_millicpu');
      if (req.memory > free.memory) return failWith(ctx, 'KatalystReclaimedFit', 'memory', true, () => 'not enough resource.katalyst.kubewharf.io/reclaimed_memory');
      return null;
    },
    bound(q) {
      if (q.cls !== 'batch') return null;
      const reserve = reserveAt(args, q.now);
      return freeRows((i) => reclaimedFree(q.t, i, q.nodes[i]!.spec.labels, reserve));
    },
  }),
};

export const KatalystReclaimedRoom: ScoreDefinition<KatalystReclaimedArgs> = {
  kind: 'score',
  name: 'KatalystReclaimedRoom',
  description: 'batch pods prefer the node with the most reclaimed resource left after placement (LeastAllocated on the reclaimed resource)',
  classes: ['batch'],
  defaults: DEFAULT_RECLAIMED_ARGS,
  create: (args) => ({
    name: 'KatalystReclaimedRoom',
    signature: sig(args),
    appliesTo: (ctx) => ctx.pod.class === 'batch',
    score(ctx, i) {
      const t = ctx.t;
      const free = reclaimedFree(t, i, ctx.nodes[i]!.spec.labels, reserveAt(args, ctx.now));
      const req = ctx.pod.requests;
      return weightedScore((free.cpu - req.cpu) / t.allocCpu[i]!, (free.memory - req.memory) / t.allocMem[i]!, ctx.config.resourceWeights);
    },
  }),
};

export const KATALYST_RECLAIMED_DEFINITIONS = [KatalystReclaimedFit, KatalystReclaimedRoom, NativeLeastAllocated] as const;
