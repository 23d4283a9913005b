// What a peer policy's own controller (its descheduler or node-pool manager, simulator/policies/)
// sees of one virtual cluster and may do to it: read the core's state, engine and timeline, list the
// pending pods, evict under the policy's rate limit, and relabel or taint nodes. Everything it does goes
// through the same paths as the core's own decisions (evictions count as evictions, a relabelled node
// is a queueing hint), so that peers and Tidal are measured alike.

import type { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { TokenBucket } from '../../scheduler/core/rate.ts';
import type { ClusterState } from '../../scheduler/core/state.ts';
import type { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import type { ControllerApi } from '../policies/types.ts';
import type { PodLifecycle } from './lifecycle.ts';
import type { SchedulingQueue } from './queue.ts';

export interface ControlledCluster {
  state: ClusterState;
  engine: PolicyEngine;
  timeline: ProfileTimeline;
  queue: SchedulingQueue;
  lifecycle: PodLifecycle;
  rate: TokenBucket;
  /** The virtual time of the controller's current tick. */
  now(): number;
}

export function controllerApi(c: ControlledCluster): ControllerApi {
  return {
    state: c.state,
    engine: c.engine,
    timeline: c.timeline,
    pending: (cls) => c.queue.pending(cls),
    evict: (uid, reason) => {
      const p = c.lifecycle.pods.get(uid);
      if (!p?.running) return false;
      c.lifecycle.evict(p, c.now(), reason);
      return true;
    },
    setNodeLabels: (name, labels) => {
      const node = c.state.nodes.get(name);
      if (!node) return;
      c.state.upsertNode({ ...node.spec, labels: { ...labels } }, c.now());
      c.queue.nodeChanged(name);
    },
    setNodeTaints: (name, taints) => {
      const node = c.state.nodes.get(name);
      if (!node) return;
      c.state.upsertNode({ ...node.spec, taints: taints.map((t) => ({ ...t })) }, c.now());
      c.queue.nodeChanged(name);
    },
    rateAvailable: () => c.rate.available(c.now()),
    rateTake: () => c.rate.take(),
  };
}
