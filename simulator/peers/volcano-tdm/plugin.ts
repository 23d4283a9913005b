// Volcano's plugins for the simulator's `volcano-tdm` policy (policy.ts). VolcanoTDM: a node in a
// revocable zone takes preemptable (batch) pods only while the zone's daily window is open; a node
// outside every revocable zone takes no batch in this baseline. Volcano also keeps non-preemptable
// pods off revocable nodes; in the simulated cluster every node is both an online node and a
// revocable one (a co-location pool, as the other policies see it), so this filter leaves online pods
// alone: `strict` restores Volcano's rule for clusters that dedicate nodes to the zone.
// VolcanoOversubscription / VolcanoOversubscriptionRoom: batch pods request the oversubscription the
// agent publishes on the node (controller.ts), in place of the core's BatchCapacityFit / BatchRoom.

import { failWith, freeRows, refusingRows, weightedScore, type FilterDefinition, type PodContext, type ScoreDefinition } from '../../../scheduler/core/framework.ts';
import { requestsSig } from '../../../scheduler/core/signatures.ts';
import { formatDailyWindow, REVOCABLE_ZONE_LABEL, tdmWindowOpen, type DailyWindow } from './formula.ts';

export interface VolcanoTdmArgs {
  /** Revocable zone name -> its daily window (when batch may run there). */
  windows: ReadonlyMap<string, DailyWindow>;
  /** IANA time zone the windows are read in (the scheduler's). */
  timeZone: string;
  /** Volcano's own rule for dedicated zones: online (non-preemptable) pods stay off revocable nodes. */
  strict: boolean;
  /** Spans [start, end) (epoch ms) in which an operator has closed every zone (the foresight option). */
  closed: ReadonlyArray<readonly [number, number]>;
}

/** Whether the zone's window is open at t: TDM's reading of it, unless an operator closed it then. */
export function zoneOpen(w: DailyWindow | undefined, t: number, timeZone: string, closed: ReadonlyArray<readonly [number, number]>): boolean {
  if (w === undefined || !tdmWindowOpen(w, t, timeZone)) return false;
  for (const [a, b] of closed) if (t >= a && t < b) return false;
  return true;
}

export const VolcanoTdm: FilterDefinition<VolcanoTdmArgs> = {
  kind: 'filter',
  name: 'VolcanoTDM',
  description: "Volcano TDM: batch only on revocable-zone nodes while the zone's daily window is open",
  defaults: { windows: new Map(), timeZone: 'UTC', strict: false, closed: [] },
  create({ windows, timeZone, strict, closed }) {
    // Whether each zone is open, for the last instant asked (decisions come many per instant).
    let at = NaN;
    const open = new Map<string, boolean>();
    const isOpen = (zone: string, now: number): boolean => {
      if (now !== at) {
        at = now;
        open.clear();
      }
      let o = open.get(zone);
      if (o === undefined) {
        o = zoneOpen(windows.get(zone), now, timeZone, closed);
        open.set(zone, o);
      }
      return o;
    };
    const zones = [...windows.keys()].sort();
    // The signature for the last instant asked (zoneOpen is a function of the zone and the instant).
    let sigAt = NaN;
    let sig = '';
    return {
      name: 'VolcanoTDM',
      // The verdict reads the row's zone label (its version) and, of the time, which zones are open.
      signature: (ctx) => {
        if (ctx.now !== sigAt) {
          sig = zones.map((z) => (isOpen(z, ctx.now) ? '1' : '0')).join('');
          sigAt = ctx.now;
        }
        return sig;
      },
      appliesTo: (ctx) => ctx.pod.class === 'batch' || (strict && ctx.pod.class === 'online'),
      filter(ctx, i) {
        const zone = ctx.nodes[i]!.spec.labels[REVOCABLE_ZONE_LABEL];
        if (ctx.pod.class !== 'batch') {
          return zone === undefined ? null : failWith(ctx, 'VolcanoTDM', 'not-preemptable', true, () => 'revocable-zone node takes preemptable pods only');
        }
        if (zone === undefined) return failWith(ctx, 'VolcanoTDM', 'no-zone', true, () => 'batch runs on revocable-zone nodes only');
        if (isOpen(zone, ctx.now)) return null;
        const w = windows.get(zone);
        return failWith(ctx, 'VolcanoTDM', `closed/${zone}`, true, () => `revocable zone ${zone} is closed (window ${w ? formatDailyWindow(w) : 'none'})`);
      },
      // Batch: refused outright on a node outside every zone or in a closed one. Online (strict): off every zone's nodes.
      bound(q) {
        const zoneOf = (i: number): string | undefined => q.nodes[i]!.spec.labels[REVOCABLE_ZONE_LABEL];
        if (q.cls === 'batch') {
          return refusingRows((i) => {
            const zone = zoneOf(i);
            return zone === undefined || !isOpen(zone, q.now);
          });
        }
        return strict && q.cls === 'online' ? refusingRows((i) => zoneOf(i) !== undefined) : null;
      },
    };
  },
};

/** The agent's published oversubscription on the node (Volcano's scheduler reads these annotations). */
export const OVERSUBSCRIPTION_KEYS = { cpu: 'volcano.sh/oversubscription-cpu', memory: 'volcano.sh/oversubscription-memory' } as const;

/** The oversubscription a node's labels publish (0 before the first report). */
function published(labels: Readonly<Record<string, string>>): { cpu: number; memory: number } {
  const num = (k: string) => {
    const x = Number(labels[k] ?? 0);
    return Number.isFinite(x) && x > 0 ? x : 0;
  };
  return { cpu: num(OVERSUBSCRIPTION_KEYS.cpu), memory: num(OVERSUBSCRIPTION_KEYS.memory) };
}

/**
 * Published figures by labels object, for a plugin that reads them on every node of every decision:
 * the controller publishes by replacing a node's labels (ControllerApi.setNodeLabels copies them).
 */
export type PublishedCache = WeakMap<object, { cpu: number; memory: number }>;

/** Oversubscription still free on node i: the published figure less batch requests there (0 before the first report). */
export function oversubscriptionFree(ctx: Pick<PodContext, 't' | 'nodes'>, i: number, cache?: PublishedCache): { cpu: number; memory: number } {
  const labels = ctx.nodes[i]!.spec.labels;
  let p = cache?.get(labels);
  if (p === undefined) {
    p = published(labels);
    cache?.set(labels, p);
  }
  return { cpu: Math.max(0, p.cpu - ctx.t.batchCpu[i]!), memory: Math.max(0, p.memory - ctx.t.batchMem[i]!) };
}

export const VolcanoOversubscriptionFit: FilterDefinition<null> = {
  kind: 'filter',
  name: 'VolcanoOversubscription',
  description: "Volcano agent's extend policy: a batch pod's requests fit in the node's published oversubscription less the batch pods already there",
  defaults: null,
  create: () => {
    const cache: PublishedCache = new WeakMap();
    return {
      name: 'VolcanoOversubscription',
      signature: requestsSig,
      appliesTo: (ctx) => ctx.pod.class === 'batch',
      filter(ctx, i) {
        const free = oversubscriptionFree(ctx, i, cache);
        const req = ctx.pod.requests;
        if (req.cpu > free.cpu) return failWith(ctx, 'VolcanoOversubscription', 'cpu', true, () => 'Insufficient oversubscription cpu');
        if (req.memory > free.memory) return failWith(ctx, 'VolcanoOversubscription', 'memory', true, () => 'Insufficient oversubscription memory');
        return null;
      },
      bound: (q) => (q.cls !== 'batch' ? null : freeRows((i) => oversubscriptionFree(q, i, cache))),
    };
  },
};

export const VolcanoOversubscriptionRoom: ScoreDefinition<null> = {
  kind: 'score',
  name: 'VolcanoOversubscriptionRoom',
  description: 'batch pods prefer the node with the most oversubscription left after placement (LeastAllocated on the extended resource)',
  classes: ['batch'],
  defaults: null,
  create: () => {
    const cache: PublishedCache = new WeakMap();
    return {
      name: 'VolcanoOversubscriptionRoom',
      signature: requestsSig,
      readsPrediction: false,
      appliesTo: (ctx) => ctx.pod.class === 'batch',
      score(ctx, i) {
        const free = oversubscriptionFree(ctx, i, cache);
        const req = ctx.pod.requests;
        return weightedScore((free.cpu - req.cpu) / ctx.t.allocCpu[i]!, (free.memory - req.memory) / ctx.t.allocMem[i]!, ctx.config.resourceWeights);
      },
    };
  },
};
