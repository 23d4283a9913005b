// Katalyst's reclaimed resources as core plugins: a batch (reclaimed_cores) pod fits where its requests
// fit in the node's reclaimed cpu/memory (formula.ts) less the requests of reclaimed pods already there,
// and prefers the node with the most left. The core's Level CapacityModel cannot express this formula
// (an absolute reserve, a 1.2 oversold factor on the remainder and a floor that holds however busy the
// node is), so it lives here instead of in capacity.ts. Online usage is the row's cached prediction:
// the latest sample's online side (policy.ts sets the usage window to the latest sample), requests
// of pods bound since, or all non-batch requests when the node has no fresh sample.

import { failWith, weightedScore, type FilterDefinition, type ScoreDefinition } from '../../../scheduler/core/framework.ts';
import type { NodeTable } from '../../../scheduler/core/node-table.ts';
import { requestsSig } from '../../../scheduler/core/signatures.ts';
import { reclaimedCpu, reclaimedMemory } from './formula.ts';

/** Reclaimed resources still free on row i (the engine has refreshed its prediction). */
export function reclaimedFree(t: NodeTable, i: number): { cpu: number; memory: number } {
  return {
    cpu: Math.max(0, reclaimedCpu(t.allocCpu[i]!, t.predCpu[i]!) - t.batchCpu[i]!),
    memory: Math.max(0, reclaimedMemory(t.allocMem[i]!, t.predMem[i]!) - t.batchMem[i]!),
  };
}

export const KatalystReclaimedFit: FilterDefinition<null> = {
  kind: 'filter',
  name: 'KatalystReclaimedFit',
  description: "Katalyst reclaimed_cores: a batch pod's requests fit in the node's reclaimed cpu/memory (sysadvisor util-based headroom)",
  defaults: null,
  create: () => ({
    name: 'KatalystReclaimedFit',
    signature: requestsSig,
    appliesTo: (ctx) => ctx.pod.class === 'batch',
    filter(ctx, i) {
      const free = reclaimedFree(ctx.t, i);
      const req = ctx.pod.requests;
      if (req.cpu > free.cpu) return failWith(ctx, 'KatalystReclaimedFit', 'cpu', true, () => 'not enough resource.katalyst.kubewharf.io/reclaimed_millicpu');
      if (req.memory > free.memory) return failWith(ctx, 'KatalystReclaimedFit', 'memory', true, () => 'not enough resource.katalyst.kubewharf.io/reclaimed_memory');
      return null;
    },
  }),
};

export const KatalystReclaimedRoom: ScoreDefinition<null> = {
  kind: 'score',
  name: 'KatalystReclaimedRoom',
  description: 'batch pods prefer the node with the most reclaimed resource left after placement (LeastAllocated on the reclaimed resource)',
  classes: ['batch'],
  defaults: null,
  create: () => ({
    name: 'KatalystReclaimedRoom',
    signature: requestsSig,
    appliesTo: (ctx) => ctx.pod.class === 'batch',
    score(ctx, i) {
      const t = ctx.t;
      const free = reclaimedFree(t, i);
      const req = ctx.pod.requests;
      return weightedScore((free.cpu - req.cpu) / t.allocCpu[i]!, (free.memory - req.memory) / t.allocMem[i]!, ctx.config.resourceWeights);
    },
  }),
};

export const KATALYST_RECLAIMED_DEFINITIONS = [KatalystReclaimedFit, KatalystReclaimedRoom] as const;
