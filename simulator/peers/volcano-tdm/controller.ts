// Volcano's controllers on the simulator's clock, one tick every 10 s (the agent's period):
//   volcano-agent (one per node, formula.ts agentStep): reads the node's usage, publishes the
//     oversubscription on the node (the annotations Volcano's scheduler reads, here labels), counts
//     watermark readings, evicts one batch pod per pressured resource per period under the NoSchedule
//     taint volcano.sh/offline-job-evicting, and lifts the taint once every resource is at or below
//     its low watermark;
//   TDM's window-close eviction (the scheduler plugin's victims): every minute, 1 pod per job on
//     revocable nodes whose window is closed.
// Usage as the agent reads it: the agent samples cgroups every 10 s, the simulator has a usage sample
// every sampleIntervalMs (5 min by default). Each 10-s reading takes the online side (online and
// system pods, the node's own use) from the node's latest sample and the batch side from the batch
// pods still on the node, at their latest sampled usage (a pod evicted since leaves at once, as its
// cgroup would; one bound since counts 0 until it is sampled). So the ten-reading window (100 s) spans
// at most two samples when sampleIntervalMs >= 100 s, and the published figure moves to a new sample
// within a few periods (its weights favour the newest). A node without a sample yet publishes nothing
// (it offers batch nothing).

import type { NodeTaint, PodInfo } from '../../../scheduler/core/model.ts';
import type { NodeState } from '../../../scheduler/core/state.ts';
import { notEvictable } from '../../../scheduler/core/victims.ts';
import type { PeerController } from '../../policies/types.ts';
import { agentStep, newAgentNode, planWindowClose, REVOCABLE_ZONE_LABEL, VOLCANO_AGENT, VOLCANO_DEFAULTS, type AgentNode, type DailyWindow } from './formula.ts';
import { OVERSUBSCRIPTION_KEYS, zoneOpen } from './plugin.ts';
import { DEFAULT_EVICTION_RULES } from '../../../scheduler/core/victims.ts';

export const TDM_ZONE = 'rz1';

const EVICTING: NodeTaint = { key: VOLCANO_AGENT.evictingTaint, value: 'true', effect: 'NoSchedule' };

export interface VolcanoControllerOptions {
  window: DailyWindow;
  timeZone: string;
  /** Oversubscription ratio (0.6). */
  ratio: number;
  /** Spans in which an operator closed the zone (foresight); none by default. */
  closed: ReadonlyArray<readonly [number, number]>;
  /** The agent's eviction watermarks (on by default in Volcano; off: no watermark eviction, no taint). */
  watermarks: boolean;
}

/**
 * The node's whole usage as the agent reads it (file comment), or null without a sample. `batchUids`:
 * the uids of the node's batch pods in the order node.pods holds them (batchUidsOf), when the caller
 * keeps them between periods.
 */
export function agentUsage(node: NodeState, podUsage: ReadonlyMap<string, { cpu: number; memory: number }>, batchUids: readonly string[] = batchUidsOf(node)): { cpu: number; memory: number } | null {
  const s = node.usage.latest();
  if (!s) return null;
  const u = { cpu: s.online.cpu, memory: s.online.memory };
  for (const uid of batchUids) {
    const x = podUsage.get(uid);
    if (x) {
      u.cpu += x.cpu;
      u.memory += x.memory;
    }
  }
  return u;
}

/** The uids of the node's batch pods, in the order node.pods holds them. */
export function batchUidsOf(node: NodeState): string[] {
  const out: string[] = [];
  for (const p of node.pods.values()) if (p.class === 'batch') out.push(p.uid);
  return out;
}

/** The agent's victim for a pressured resource: the evictable batch pod with the largest request of it. */
export function watermarkVictim(node: NodeState, r: 'cpu' | 'memory', now: number): PodInfo | null {
  let best: PodInfo | null = null;
  for (const p of node.pods.values()) {
    if (notEvictable(p, DEFAULT_EVICTION_RULES, now) !== null) continue;
    if (best === null || p.requests[r] > best.requests[r] || (p.requests[r] === best.requests[r] && p.uid < best.uid)) best = p;
  }
  return best;
}

export function volcanoController(o: VolcanoControllerOptions): PeerController {
  const agents = new Map<string, AgentNode>();
  // Each node's batch pods as of its podsVersion: the agent reads them every 10 s, and they change
  // only when a pod is bound or leaves.
  const batchPods = new WeakMap<NodeState, { version: number; uids: string[] }>();
  const batchUids = (node: NodeState): string[] => {
    let c = batchPods.get(node);
    if (c === undefined || c.version !== node.podsVersion) batchPods.set(node, (c = { version: node.podsVersion, uids: batchUidsOf(node) }));
    return c.uids;
  };
  let nextWindowEvict = -Infinity;
  return {
    intervalMs: VOLCANO_AGENT.periodMs,
    onNodeAdd: (spec) => ({ ...spec, labels: { ...spec.labels, [REVOCABLE_ZONE_LABEL]: TDM_ZONE } }),
    tick(api, now) {
      if (now >= nextWindowEvict) {
        nextWindowEvict = now + VOLCANO_DEFAULTS.evictPeriodMs;
        const open = zoneOpen(o.window, now, o.timeZone, o.closed);
        if (!open) {
          const victims = planWindowClose({ state: api.state, now, open: () => open, jobBudget: VOLCANO_DEFAULTS.jobBudget, rules: DEFAULT_EVICTION_RULES });
          for (const v of victims) api.evict(v.pod.uid, 'window-close');
        }
      }
      for (const node of [...api.state.nodeList]) {
        const usage = agentUsage(node, api.state.podUsage, batchUids(node));
        if (usage === null) continue;
        let a = agents.get(node.name);
        if (!a) agents.set(node.name, (a = newAgentNode()));
        const step = agentStep(a, node.spec.allocatable, usage, o.ratio);
        if (step.publish) {
          const labels = { ...node.spec.labels, [OVERSUBSCRIPTION_KEYS.cpu]: String(step.publish.cpu), [OVERSUBSCRIPTION_KEYS.memory]: String(step.publish.memory) };
          if (labels[OVERSUBSCRIPTION_KEYS.cpu] !== node.spec.labels[OVERSUBSCRIPTION_KEYS.cpu] || labels[OVERSUBSCRIPTION_KEYS.memory] !== node.spec.labels[OVERSUBSCRIPTION_KEYS.memory]) api.setNodeLabels(node.name, labels);
        }
        if (!o.watermarks) continue;
        const tainted = node.spec.taints?.some((t) => t.key === EVICTING.key) ?? false;
        let evicted = false;
        for (const r of step.pressure) {
          const v = watermarkVictim(node, r, now);
          if (!v) continue;
          if (!tainted && !evicted) api.setNodeTaints(node.name, [...(node.spec.taints ?? []), EVICTING]);
          api.evict(v.uid, 'watermark');
          evicted = true;
        }
        if (!evicted && tainted && step.allLow) api.setNodeTaints(node.name, (node.spec.taints ?? []).filter((t) => t.key !== EVICTING.key));
      }
      // Agents of nodes that left (the node list is the one the loop walked: a tick adds and removes none).
      for (const name of agents.keys()) if (!api.state.nodes.has(name)) agents.delete(name);
    },
  };
}
