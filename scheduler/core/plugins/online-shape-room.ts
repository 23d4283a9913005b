// Online pods keep room for the largest online shape. Tidal places online pods by usage and combined
// peaks (LoadAware, ComplementaryPeak), blind to how requests pile up, so unrequested CPU spreads thin
// over every node: on the shipped Double 11 week at 31 nodes a 5.4-core / 20.2 GiB replica of a
// 30% scale-out waited while the cluster had 67.7 cores unrequested, the most on any node 4.9.
//
// The shape kept: the largest online pod the cluster knows (bound or pending, the pod scored included),
// by CPU then memory: a pending one needs that room now, a scale-out of a running app adds replicas of
// its shape. Per decision, count the schedulable nodes whose unrequested room (allocatable minus online
// and system requests, as RequestsFit counts; batch too without co-location) fits the shape: n. A node
// that fits it now and would not after this pod scores 100 x min(1, (n - 1) / keep); every other node
// 100. So the score is flat (no effect) while more than `keep` nodes have the room, and steers pods off
// the last `keep` of them: a pod that does not need them goes elsewhere, one that does still goes.
// Never cached (it reads every node's room); per decision O(nodes) (the state counts online shapes).

import { MAX_SCORE, type ArgsIssue, type PodContext, type ScoreDefinition } from '../framework.ts';
import type { Resources } from '../model.ts';

export interface OnlineShapeRoomArgs {
  /** Keep room for the largest online shape on at least this many nodes (1 or more). */
  keep: number;
}

interface Prepared {
  shape: Resources;
  /** Schedulable nodes whose room fits the shape now. */
  fitting: number;
}

export function validateOnlineShapeRoomArgs(args: unknown): ArgsIssue[] {
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return [{ path: [], message: 'must be a mapping with keep' }];
  const k = (args as Record<string, unknown>).keep;
  if (k !== undefined && !(typeof k === 'number' && Number.isInteger(k) && k >= 1)) return [{ path: ['keep'], message: `must be an integer of at least 1 (got ${JSON.stringify(k)})` }];
  return [];
}

/** The largest online shape the state knows (bound or pending) and the pod's own, by CPU then memory. */
export function largestOnlineShape(ctx: PodContext): Resources {
  const best = ctx.state.onlineShapes.largest();
  const r = ctx.pod.requests;
  if (ctx.pod.class === 'online' && (r.cpu > best.cpu || (r.cpu === best.cpu && r.memory > best.memory))) return { cpu: r.cpu, memory: r.memory };
  return best;
}

/** Whether row i has room for `shape` on top of `extra` (online and system requests; batch too without co-location). */
function fits(ctx: PodContext, i: number, shape: Resources, extraCpu: number, extraMem: number): boolean {
  const t = ctx.t;
  const batch = !ctx.config.colocation;
  const cpu = t.nonBatchCpu[i]! + (batch ? t.batchCpu[i]! : 0) + extraCpu;
  const mem = t.nonBatchMem[i]! + (batch ? t.batchMem[i]! : 0) + extraMem;
  return cpu + shape.cpu <= t.allocCpu[i]! && mem + shape.memory <= t.allocMem[i]!;
}

export const OnlineShapeRoom: ScoreDefinition<OnlineShapeRoomArgs, Prepared> = {
  kind: 'score',
  name: 'OnlineShapeRoom',
  description: 'online pods keep room for the largest online shape (pending or of a running app) on at least `keep` nodes (never cached)',
  classes: ['online'],
  defaults: { keep: 2 },
  fields: ['keep'],
  validate: validateOnlineShapeRoomArgs,
  create: ({ keep }) => ({
    name: 'OnlineShapeRoom',
    readsPrediction: false,
    appliesTo: (ctx) => ctx.pod.class === 'online',
    prepare(ctx) {
      const shape = largestOnlineShape(ctx);
      let fitting = 0;
      const n = ctx.nodes.length;
      for (let i = 0; i < n; i++) if (!ctx.t.unschedulable[i] && fits(ctx, i, shape, 0, 0)) fitting++;
      return { shape, fitting };
    },
    score(ctx, i, p) {
      const r = ctx.pod.requests;
      if (!fits(ctx, i, p.shape, 0, 0) || fits(ctx, i, p.shape, r.cpu, r.memory)) return MAX_SCORE;
      return (MAX_SCORE * Math.min(1, Math.max(0, p.fitting - 1) / keep));
    },
  }),
};
