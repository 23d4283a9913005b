// Hot-spot relief: a node whose observed usage (online + batch, latest fresh sample) exceeds the
// threshold in any resource for `consecutive` cycles in a row sheds batch until the usage it frees
// brings it under the target, per resource
//   excess = max(0, usage - usage of batch already leaving - target x allocatable).
// With a lookahead, usage predicted for the next slots counts too: the observed usage plus the
// largest rise of the node's summed online curves (node-curves.ts) over those slots from now's
// slot, so that batch makes way before a tenant's learned peak rather than after it. Paid down by
// the victims' observed usage (a pod without a metric at its requests).

import { SLOTS_PER_DAY } from '../../app-curves.ts';
import type { PodInfo, Resources } from '../../model.ts';
import type { ClusterState, NodeState } from '../../state.ts';
import { ExcessNeed } from '../needs.ts';

export interface HotSpotConfig {
  /** A node is hot when its observed usage exceeds this fraction of allocatable (any resource). */
  threshold: Resources;
  /** Evict until projected usage is at or under this fraction (defaults to the threshold). */
  target: Resources;
  /** Act only after this many consecutive hot observations (anomaly gating, against flapping). */
  consecutive: number;
  /**
   * Also count a node as hot when its usage predicted for any of the next this-many 15-minute slots
   * crosses the threshold: observed usage plus the rise of its tenants' summed usage curves from
   * now's slot (a curve that has not been learned adds nothing). 0 or absent: observed usage only.
   */
  lookaheadSlots?: number;
}

export interface HotSpotInput {
  state: ClusterState;
  now: number;
  config: HotSpotConfig;
  /** Consecutive hot observations per node before this cycle. */
  hotStreaks: ReadonlyMap<string, number>;
  /** Pods already asked to leave: their usage no longer counts. */
  inFlight: ReadonlySet<string>;
}

export interface HotSpotResult {
  needs: Array<ExcessNeed<'hot-spot'>>;
  /** Hot streaks to carry into the next cycle (hot nodes only). */
  hotStreaks: Map<string, number>;
}

export function hotSpotNeeds(input: HotSpotInput): HotSpotResult {
  const { state, now, config: hs, inFlight } = input;
  const out: HotSpotResult = { needs: [], hotStreaks: new Map() };
  const look = Math.min(SLOTS_PER_DAY - 1, Math.max(0, Math.floor(hs.lookaheadSlots ?? 0)));
  const curves = look > 0 ? state.nodeCurves : null;
  let slot0 = 0;
  if (curves) {
    curves.sync(now);
    slot0 = state.curves.slotOf(now) % SLOTS_PER_DAY;
  }
  const pct = (f: number) => Math.round(f * 100);
  const above = `${pct(hs.threshold.cpu)}% cpu or ${pct(hs.threshold.memory)}% memory`;
  const gate = `for ${hs.consecutive} consecutive observations`;
  const observed = (node: NodeState) => `Tidal hot-spot relief: ${node.name} usage above ${above} ${gate}`;
  const predicted = (node: NodeState) => `Tidal hot-spot relief: ${node.name} usage predicted above ${above} within ${(hs.lookaheadSlots ?? 0) * 15} minutes (its tenants' usage curves) ${gate}`;
  const usageOf = (p: PodInfo): Resources => state.podUsage.get(p.uid) ?? p.requests;

  for (const node of state.nodeList) {
    const sample = node.usage.latest();
    if (!sample || now - sample.time > state.usageConfig.staleAfterMs) continue;
    const a = node.spec.allocatable;
    let cpu = sample.online.cpu + sample.batch.cpu;
    let mem = sample.online.memory + sample.batch.memory;
    let hot = cpu > hs.threshold.cpu * a.cpu || mem > hs.threshold.memory * a.memory;
    let soonOnly = false;
    if (curves) {
      const i = node.index;
      const p0c = curves.pCpu(i, slot0);
      const p0m = curves.pMem(i, slot0);
      let riseCpu = 0;
      let riseMem = 0;
      for (let k = 1; k <= look; k++) {
        const d = (slot0 + k) % SLOTS_PER_DAY;
        riseCpu = Math.max(riseCpu, curves.pCpu(i, d) - p0c);
        riseMem = Math.max(riseMem, curves.pMem(i, d) - p0m);
      }
      const soon = cpu + riseCpu > hs.threshold.cpu * a.cpu || mem + riseMem > hs.threshold.memory * a.memory;
      soonOnly = soon && !hot;
      hot ||= soon;
      cpu += riseCpu;
      mem += riseMem;
    }
    if (!hot) continue;
    const streak = (input.hotStreaks.get(node.name) ?? 0) + 1;
    out.hotStreaks.set(node.name, streak);
    if (streak < hs.consecutive) continue;
    // Batch that is already leaving frees its usage without another eviction.
    let leavingCpu = 0;
    let leavingMem = 0;
    for (const p of node.pods.values()) {
      if (p.class !== 'batch' || !(p.terminating || inFlight.has(p.uid))) continue;
      const u = usageOf(p);
      leavingCpu += u.cpu;
      leavingMem += u.memory;
    }
    const excess = { cpu: Math.max(0, cpu - leavingCpu - hs.target.cpu * a.cpu), memory: Math.max(0, mem - leavingMem - hs.target.memory * a.memory) };
    if (excess.cpu + excess.memory === 0) continue;
    out.needs.push(new ExcessNeed(node, 'hot-spot', excess, usageOf, soonOnly ? predicted : observed));
  }
  return out;
}
