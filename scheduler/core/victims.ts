// Which batch pods may be taken back, and in which order: shared by preemption (extender), the
// descheduler's evictor (descheduling/evictor.ts) and the peers, so that all give up the same pods first.

import type { PodInfo } from './model.ts';

export interface EvictionRules {
  /** Only pods with priority strictly below this may be evicted; null for no threshold. */
  priorityThreshold: number | null;
  /** Pods with emptyDir/hostPath volumes lose that data when evicted; off by default. */
  evictLocalStorage: boolean;
  /** Pods without a controlling owner are not recreated; off by default. */
  evictBarePods: boolean;
  /** Pods younger than this are left alone (they may not have been observed yet). */
  minPodAgeMs: number;
}

/** kubernetes-sigs/descheduler's DefaultEvictor defaults; the one literal every planner and peer starts from. */
export const DEFAULT_EVICTION_RULES: Readonly<EvictionRules> = Object.freeze({
  priorityThreshold: null,
  evictLocalStorage: false,
  evictBarePods: false,
  minPodAgeMs: 0,
});

/** Why a pod must not be evicted, or null when it may be. Only batch pods are ever candidates. */
export function notEvictable(pod: PodInfo, rules: EvictionRules, now: number): string | null {
  if (pod.class !== 'batch') return `${pod.class} pod`;
  if (pod.terminating) return 'already terminating';
  if (pod.isMirror) return 'mirror (static) pod';
  if (pod.ownerKind === 'DaemonSet') return 'DaemonSet pod';
  if (!pod.ownerKind && !rules.evictBarePods) return 'bare pod (no controller would recreate it)';
  if (pod.hasLocalStorage && !rules.evictLocalStorage) return 'uses local storage';
  if (rules.priorityThreshold !== null && pod.priority >= rules.priorityThreshold) {
    return `priority ${pod.priority} is not below the threshold ${rules.priorityThreshold}`;
  }
  if (rules.minPodAgeMs > 0 && now - pod.createdAt < rules.minPodAgeMs) return 'younger than minPodAge';
  return null;
}

/**
 * Fraction of its work a pod has done: reported progress, else elapsed over declared runtime, else
 * 0.5 (unknown: neither cheapest nor dearest).
 */
export function progressOf(pod: PodInfo, now: number): number {
  if (pod.progress >= 0) return Math.min(1, pod.progress);
  if (pod.expectedRuntimeMs > 0 && pod.startedAt > 0) return Math.min(1, Math.max(0, (now - pod.startedAt) / pod.expectedRuntimeMs));
  return 0.5;
}

/**
 * Cheapest victim first: checkpointable before not, least progress, youngest, lowest priority; then
 * namespace/name so that the order is total and plans are deterministic.
 */
export function compareVictims(a: PodInfo, b: PodInfo, now: number): number {
  if (a.checkpointable !== b.checkpointable) return a.checkpointable ? -1 : 1;
  const pa = progressOf(a, now);
  const pb = progressOf(b, now);
  if (pa !== pb) return pa - pb;
  const sa = a.startedAt || a.createdAt;
  const sb = b.startedAt || b.createdAt;
  if (sa !== sb) return sb - sa;
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
