// The descheduler's planner: cluster state + profile + time -> an ordered eviction plan. Pure; the
// executor (scheduler/descheduler) carries the plan out through the Eviction API, and the simulator
// applies it to its virtual cluster. Two reasons to take capacity back from batch:
//   peak-drain: batch on a node holds more than the effective level allows now. The effective level
//               already includes each window's drain lead time and ramp (timeline.ts), so a coming
//               peak is drained ahead of time and gradually, a few pods per cycle.
//   hot-spot:   the node's observed usage stays above a threshold for N consecutive cycles; batch
//               is evicted until the usage it frees brings the node under the target. With a
//               lookahead, usage predicted for the next slots counts too: the observed usage plus
//               the rise of the node's summed online curves (curves-table.ts) over those slots, so
//               that batch makes way before a tenant's learned peak rather than after it.
// Victims are batch pods only, cheapest first (victims.ts); limits per node, per namespace, per cycle
// and a rate budget across cycles bound every plan, so that a profile change never becomes a storm.

import { SLOTS_PER_DAY } from './app-curves.ts';
import { batchCapacity, predictedOnline } from './capacity.ts';
import type { NodeCurves } from './curves-table.ts';
import type { PodSpec, Resources } from './model.ts';
import type { ClusterState, NodeState } from './state.ts';
import type { ProfileTimeline } from './timeline.ts';
import { compareVictims, notEvictable, type EvictionRules } from './victims.ts';

export type EvictionReason = 'peak-drain' | 'hot-spot';

export interface EvictionLimits {
  /** Per cycle; 0 means no limit. */
  maxPerNode: number;
  maxPerNamespace: number;
  maxTotal: number;
}

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

export interface PlannerConfig {
  rules: EvictionRules;
  limits: EvictionLimits;
  drain: boolean;
  hotSpot: HotSpotConfig | null;
}

export const DEFAULT_PLANNER: PlannerConfig = {
  rules: { priorityThreshold: null, evictLocalStorage: false, evictBarePods: false, minPodAgeMs: 0 },
  limits: { maxPerNode: 5, maxPerNamespace: 20, maxTotal: 50 },
  drain: true,
  hotSpot: { threshold: { cpu: 0.85, memory: 0.9 }, target: { cpu: 0.75, memory: 0.85 }, consecutive: 3, lookaheadSlots: 2 },
};

export interface PlanInput {
  state: ClusterState;
  timeline: ProfileTimeline;
  now: number;
  config: PlannerConfig;
  /** Evictions the rate limiter allows this cycle (whole tokens); Infinity for none. */
  rateBudget: number;
  /** Consecutive hot observations per node before this cycle (carried between cycles by the caller). */
  hotStreaks: ReadonlyMap<string, number>;
  /** Pods already asked to leave (evicted but not yet terminating in the state): they count as gone. */
  inFlight?: ReadonlySet<string>;
  /**
   * Evaluate the profile at this instant instead of `now` (rehearsing a coming window with today's
   * cluster and usage: `tidal deschedule --dry-run --at TIME`).
   */
  levelAt?: number;
}

export interface PlannedEviction {
  pod: PodSpec;
  node: string;
  reason: EvictionReason;
  /** Why, in words, for the pod annotation and the Kubernetes Event. */
  message: string;
}

export interface NodeNeed {
  node: string;
  /** Batch requests over capacity at the current level (peak drain), after in-flight and terminating pods. */
  drainExcess: Resources;
  /** Usage over the hot-spot target, when the node is hot and gated in. */
  hotExcess: Resources;
  /** What is still over after the plan: limits or unevictable pods left it. */
  remaining: Resources;
  planned: number;
}

export interface EvictionPlan {
  now: number;
  evictions: PlannedEviction[];
  nodes: NodeNeed[];
  /** Pods passed over, by reason (not evictable, limit reached, PDB would refuse). */
  skipped: Map<string, number>;
  /** Hot streaks to carry into the next cycle. */
  hotStreaks: Map<string, number>;
  /** The effective level the drain used. */
  level: { batchShare: number; onlineHeadroom: number; window: string; drainingFor: string | null };
}

export function planEvictions(input: PlanInput): EvictionPlan {
  const { state, timeline, now, config } = input;
  const lv = timeline.at(input.levelAt ?? now);
  const plan: EvictionPlan = {
    now,
    evictions: [],
    nodes: [],
    skipped: new Map(),
    hotStreaks: new Map(),
    level: {
      batchShare: lv.batchShare,
      onlineHeadroom: lv.onlineHeadroom,
      window: lv.segment.window?.name ?? 'default',
      drainingFor: lv.drainingFor ? (lv.drainingFor.window?.name ?? 'default') : null,
    },
  };
  const inFlight = input.inFlight ?? new Set<string>();
  const needs: Array<{ node: NodeState; need: NodeNeed; severity: number }> = [];
  const cap = { cpu: 0, memory: 0 };
  const look = Math.min(SLOTS_PER_DAY - 1, Math.max(0, Math.floor(config.hotSpot?.lookaheadSlots ?? 0)));
  let curves: NodeCurves | null = null;
  let slot0 = 0;
  if (look > 0) {
    curves = state.nodeCurves;
    curves.sync(now);
    slot0 = state.curves.slotOf(now) % SLOTS_PER_DAY;
  }
  const predictedHot = new Set<string>();

  for (const node of state.nodeList) {
    const a = node.spec.allocatable;
    // Batch that is already leaving does not need evicting again.
    const leaving = { cpu: 0, memory: 0 };
    const leavingUsage = { cpu: 0, memory: 0 };
    for (const p of node.pods.values()) {
      if (p.class !== 'batch' || !(p.terminating || inFlight.has(p.uid))) continue;
      leaving.cpu += p.requests.cpu;
      leaving.memory += p.requests.memory;
      const u = state.podUsage.get(p.uid) ?? p.requests;
      leavingUsage.cpu += u.cpu;
      leavingUsage.memory += u.memory;
    }
    const drainExcess = { cpu: 0, memory: 0 };
    if (config.drain) {
      batchCapacity(node, lv, predictedOnline(node, now), cap);
      const b = node.requested.batch;
      drainExcess.cpu = Math.max(0, b.cpu - leaving.cpu - cap.cpu);
      drainExcess.memory = Math.max(0, b.memory - leaving.memory - cap.memory);
    }
    const hotExcess = { cpu: 0, memory: 0 };
    const hs = config.hotSpot;
    const sample = node.usage.latest();
    if (hs && sample && now - sample.time <= state.usageConfig.staleAfterMs) {
      let cpu = sample.online.cpu + sample.batch.cpu;
      let mem = sample.online.memory + sample.batch.memory;
      let hot = cpu > hs.threshold.cpu * a.cpu || mem > hs.threshold.memory * a.memory;
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
        if (soon && !hot) predictedHot.add(node.name);
        hot ||= soon;
        cpu += riseCpu;
        mem += riseMem;
      }
      const streak = hot ? (input.hotStreaks.get(node.name) ?? 0) + 1 : 0;
      if (streak > 0) plan.hotStreaks.set(node.name, streak);
      if (hot && streak >= hs.consecutive) {
        hotExcess.cpu = Math.max(0, cpu - leavingUsage.cpu - hs.target.cpu * a.cpu);
        hotExcess.memory = Math.max(0, mem - leavingUsage.memory - hs.target.memory * a.memory);
      }
    }
    if (drainExcess.cpu + drainExcess.memory + hotExcess.cpu + hotExcess.memory === 0) continue;
    const severity = Math.max(drainExcess.cpu / a.cpu, drainExcess.memory / a.memory, hotExcess.cpu / a.cpu, hotExcess.memory / a.memory);
    needs.push({ node, need: { node: node.name, drainExcess, hotExcess, remaining: { cpu: 0, memory: 0 }, planned: 0 }, severity });
  }

  // Where the budget cannot cover every node, the nodes furthest over go first.
  needs.sort((x, y) => y.severity - x.severity || (x.node.name < y.node.name ? -1 : 1));
  const perNamespace = new Map<string, number>();
  const pdbUsed = new Map<string, number>();
  const skip = (why: string): void => {
    plan.skipped.set(why, (plan.skipped.get(why) ?? 0) + 1);
  };
  const { limits } = config;
  const totalCap = Math.min(limits.maxTotal > 0 ? limits.maxTotal : Infinity, input.rateBudget);

  for (const { node, need } of needs) {
    const drain = { ...need.drainExcess };
    const hot = { ...need.hotExcess };
    const victims = [...node.pods.values()]
      .filter((p) => {
        if (inFlight.has(p.uid)) return false;
        const why = notEvictable(p, config.rules, now);
        if (why !== null && p.class === 'batch') skip(`not evictable: ${why}`);
        return why === null;
      })
      .sort((x, y) => compareVictims(x, y, now));
    for (const v of victims) {
      const needDrain = drain.cpu > 0 || drain.memory > 0;
      const needHot = hot.cpu > 0 || hot.memory > 0;
      if (!needDrain && !needHot) break;
      // A victim that frees nothing the node is short of is left in place.
      const usage = state.podUsage.get(v.uid) ?? v.requests;
      const helps = (drain.cpu > 0 && v.requests.cpu > 0) || (drain.memory > 0 && v.requests.memory > 0) || (hot.cpu > 0 && usage.cpu > 0) || (hot.memory > 0 && usage.memory > 0);
      if (!helps) continue;
      if (plan.evictions.length >= totalCap) {
        skip(input.rateBudget < (limits.maxTotal > 0 ? limits.maxTotal : Infinity) ? 'limit: eviction rate' : 'limit: per cycle');
        break;
      }
      if (limits.maxPerNode > 0 && need.planned >= limits.maxPerNode) {
        skip('limit: per node');
        break;
      }
      if (limits.maxPerNamespace > 0 && (perNamespace.get(v.namespace) ?? 0) >= limits.maxPerNamespace) {
        skip('limit: per namespace');
        continue;
      }
      const pdbs = state.pdbsFor(v);
      if (pdbs.some((b) => (pdbUsed.get(`${b.namespace}/${b.name}`) ?? 0) >= b.disruptionsAllowed)) {
        skip('PodDisruptionBudget allows no more disruptions');
        continue;
      }
      for (const b of pdbs) pdbUsed.set(`${b.namespace}/${b.name}`, (pdbUsed.get(`${b.namespace}/${b.name}`) ?? 0) + 1);
      perNamespace.set(v.namespace, (perNamespace.get(v.namespace) ?? 0) + 1);
      need.planned++;
      const reason: EvictionReason = needDrain ? 'peak-drain' : 'hot-spot';
      plan.evictions.push({ pod: v, node: node.name, reason, message: message(reason, node, plan.level, input.config, predictedHot.has(node.name)) });
      drain.cpu -= v.requests.cpu;
      drain.memory -= v.requests.memory;
      hot.cpu -= usage.cpu;
      hot.memory -= usage.memory;
    }
    need.remaining = { cpu: Math.max(0, drain.cpu, hot.cpu), memory: Math.max(0, drain.memory, hot.memory) };
    plan.nodes.push(need);
  }
  return plan;
}

function message(reason: EvictionReason, node: NodeState, level: EvictionPlan['level'], cfg: PlannerConfig, predicted: boolean): string {
  if (reason === 'peak-drain') {
    const why = level.drainingFor ? `draining ahead of window ${level.drainingFor}` : `window ${level.window}`;
    return `Tidal peak drain: batch on ${node.name} exceeds its capacity at batchShare ${level.batchShare.toFixed(2)}, onlineHeadroom ${level.onlineHeadroom.toFixed(2)} (${why})`;
  }
  const t = cfg.hotSpot!.threshold;
  if (predicted) {
    return `Tidal hot-spot relief: ${node.name} usage predicted above ${Math.round(t.cpu * 100)}% cpu or ${Math.round(t.memory * 100)}% memory within ${(cfg.hotSpot!.lookaheadSlots ?? 0) * 15} minutes (its tenants' usage curves) for ${cfg.hotSpot!.consecutive} consecutive observations`;
  }
  return `Tidal hot-spot relief: ${node.name} usage above ${Math.round(t.cpu * 100)}% cpu or ${Math.round(t.memory * 100)}% memory for ${cfg.hotSpot!.consecutive} consecutive observations`;
}
