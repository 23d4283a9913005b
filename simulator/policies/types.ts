// What a simulator policy is: a configuration of the one core (PolicyConfig for placement, the core's
// PlannerConfig for its descheduler, the profile it follows) plus, for the peers' baselines, the small
// pieces the peer does differently: its filter/score plugins (named in its config), and a controller of its own (a
// descheduler or a node-pool manager) that the simulator runs on its virtual clock.

import type { PolicyConfig } from '../../scheduler/core/config.ts';
import { KUBE_SCHEDULER_SCORES } from '../../scheduler/core/registry.ts';
import type { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { PluginDefinition } from '../../scheduler/core/framework.ts';
import type { PlannerConfig } from '../../scheduler/core/descheduling/plan.ts';
import type { NodeInfo, NodeTaint, PodInfo, WorkloadClass } from '../../scheduler/core/model.ts';
import type { Profile } from '../../scheduler/core/profile.ts';
import type { ClusterState } from '../../scheduler/core/state.ts';
import type { BeSuppressionConfig } from '../node/be-suppression.ts';
import type { ProfileTimeline } from '../../scheduler/core/timeline.ts';

export interface SimPolicy {
  name: string;
  description: string;
  config: PolicyConfig;
  /** The core's descheduler (peak drain, hot-spot relief); null: it does not run. */
  planner: PlannerConfig | null;
  /** The profile this policy follows, given the profile the user chose. */
  profileFor(profile: Profile): Profile;
  /** Plugin args that depend on the user's profile (Volcano's window), merged over config.pluginArgs. */
  pluginArgs?(profile: Profile): Readonly<Record<string, unknown>>;
  /** The peer's own controller, one per simulated cluster, given the user's profile. */
  controller?(profile: Profile): PeerController;
  /** The descheduler's rate limit for this policy (default: the simulation's evictionRate option). */
  evictionRate?: { perMinute: number; burst: number };
  /** The peer's own plugins (kept with the peer, simulator/peers/), given to its engine before the registry's. */
  definitions?: readonly PluginDefinition[];
  /**
   * The peer's node agent, run on every node each usage sample: koordlet's BE CPU suppression caps the
   * batch tier's CPU (simulator/node/be-suppression.ts). Without one, batch gets what CFS leaves it.
   */
  nodeAgent?: { beSuppression: BeSuppressionConfig };
}

/** What a peer controller may see and do in its simulated cluster. */
export interface ControllerApi {
  readonly state: ClusterState;
  readonly engine: PolicyEngine;
  readonly timeline: ProfileTimeline;
  /** Pods of a class waiting for a node (active queue first, then the unschedulable ones). */
  pending(cls: WorkloadClass): PodInfo[];
  /** Evicts a running pod of any class (its controller recreates it); false when it is not running. */
  evict(uid: string, reason: string): boolean;
  /** Replaces a node's labels (a label swap); pods waiting for a node are retried. */
  setNodeLabels(name: string, labels: Readonly<Record<string, string>>): void;
  /** Replaces a node's taints (spec.taints); pods waiting for a node are retried. */
  setNodeTaints(name: string, taints: readonly NodeTaint[]): void;
  /** Evictions this policy's rate limiter allows now; take() spends one. */
  rateAvailable(): number;
  rateTake(): void;
}

export interface PeerController {
  /** Period of tick(); null: every descheduler cycle of the simulation. */
  readonly intervalMs: number | null;
  /** A node joins: the spec as the peer labels it (before any pod sees the node). */
  onNodeAdd?(spec: NodeInfo): NodeInfo;
  tick(api: ControllerApi, now: number): void;
}

/**
 * Score weights that may name a peer's own score plugins (PolicyConfig's type lists only the built-in
 * names; the engine accepts any plugin it was given and refuses unknown ones when it is built).
 */
export function peerScoreWeights(w: { online: Record<string, number>; batch: Record<string, number> }): PolicyConfig['scoreWeights'] {
  return w as PolicyConfig['scoreWeights'];
}

/**
 * A peer whose scheduler is kube-scheduler with the peer's plugins (koord-scheduler, Crane's and
 * Katalyst's schedulers): its own scores beside kube-scheduler's default set (KUBE_SCHEDULER_SCORES,
 * the one definition kube-default runs too), for both classes, summed as kube-scheduler sums them
 * (config.ts KubeSchedulerScoring). kube-scheduler's NodeResourcesFit there counts native requests only
 * (a peer's batch pods ask for its extended resource), as the peers' former NativeLeastAllocated did.
 */
export function onKubeScheduler(own: { online: Record<string, number>; batch: Record<string, number> }): Pick<PolicyConfig, 'scoreWeights' | 'kubeScheduler'> {
  return {
    scoreWeights: peerScoreWeights({ online: { ...KUBE_SCHEDULER_SCORES, ...own.online }, batch: { ...KUBE_SCHEDULER_SCORES, ...own.batch } }),
    kubeScheduler: { extenderWeight: 0 },
  };
}
