// Peak drain: batch on a node holds more than the effective level allows now, per resource
//   excess = max(0, batch requests - requests of batch already leaving - batchCapacity(level))
// (capacity.ts; leaving = terminating or in flight). The effective level already includes each
// window's drain lead time and ramp (timeline.ts), so a coming peak is drained ahead of time and
// gradually, a few pods per cycle. Paid down by the victims' requests.

import { batchCapacity, predictedNonBatch } from '../../capacity.ts';
import type { ClusterState, NodeState } from '../../state.ts';
import type { EffectiveLevel } from '../../timeline.ts';
import { byRequests, ExcessNeed } from '../needs.ts';

/** The level a plan used, as operators read it. */
export interface LevelSummary {
  batchShare: number;
  onlineHeadroom: number;
  window: string;
  drainingFor: string | null;
}

export function summarizeLevel(lv: EffectiveLevel): LevelSummary {
  return {
    batchShare: lv.batchShare,
    onlineHeadroom: lv.onlineHeadroom,
    window: lv.segment.window?.name ?? 'default',
    drainingFor: lv.drainingFor ? (lv.drainingFor.window?.name ?? 'default') : null,
  };
}

export interface PeakDrainInput {
  state: ClusterState;
  now: number;
  level: EffectiveLevel;
  /** Pods already asked to leave: their requests no longer count. */
  inFlight: ReadonlySet<string>;
}

/** One need per node whose batch exceeds its capacity at the level. */
export function peakDrainNeeds(input: PeakDrainInput): Array<ExcessNeed<'peak-drain'>> {
  const { state, now, level, inFlight } = input;
  const summary = summarizeLevel(level);
  const why = summary.drainingFor ? `draining ahead of window ${summary.drainingFor}` : `window ${summary.window}`;
  const tail = `exceeds its capacity at batchShare ${summary.batchShare.toFixed(2)}, onlineHeadroom ${summary.onlineHeadroom.toFixed(2)} (${why})`;
  const message = (node: NodeState) => `Tidal peak drain: batch on ${node.name} ${tail}`;
  const out: Array<ExcessNeed<'peak-drain'>> = [];
  const cap = { cpu: 0, memory: 0 };
  for (const node of state.nodeList) {
    // Batch that is already leaving does not need evicting again.
    let leavingCpu = 0;
    let leavingMem = 0;
    for (const p of node.pods.values()) {
      if (p.class !== 'batch' || !(p.terminating || inFlight.has(p.uid))) continue;
      leavingCpu += p.requests.cpu;
      leavingMem += p.requests.memory;
    }
    batchCapacity(node, level, predictedNonBatch(node, now), cap);
    const b = node.requested.batch;
    const excess = { cpu: Math.max(0, b.cpu - leavingCpu - cap.cpu), memory: Math.max(0, b.memory - leavingMem - cap.memory) };
    if (excess.cpu + excess.memory === 0) continue;
    out.push(new ExcessNeed(node, 'peak-drain', excess, byRequests, message));
  }
  return out;
}
