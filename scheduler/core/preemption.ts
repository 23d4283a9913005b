// The extender's preempt verb: kube-scheduler proposes, per candidate node, the lower-priority pods it
// would evict; Tidal answers with the cheapest set of BATCH pods on that node that makes room, or drops
// the node. Online and system pods are never victims.

import type { PodSpec, Resources } from './model.ts';
import type { ClusterState, NodeState } from './state.ts';
import { compareVictims } from './victims.ts';

export interface PreemptionCandidate {
  nodeName: string;
  victims: string[];
  numPdbViolations: number;
}

/**
 * For each candidate node, the victims Tidal accepts. Room is judged on requests as kube-scheduler
 * judges them (every pod counts, plus the pod count). When by that measure the pod already fits, the
 * scheduler is preempting for something Tidal does not model (ports, volumes, other resources): its
 * proposal stands if every proposed victim is an acceptable batch pod, otherwise the node is dropped.
 */
export function selectVictims(state: ClusterState, pod: PodSpec, candidates: readonly PreemptionCandidate[], now: number): PreemptionCandidate[] {
  if (pod.class === 'system') return candidates.map((c) => ({ ...c, victims: [...c.victims] }));
  const out: PreemptionCandidate[] = [];
  for (const c of candidates) {
    const node = state.nodes.get(c.nodeName);
    if (!node) continue;
    const eligible: PodSpec[] = [];
    for (const v of node.pods.values()) if (v.class === 'batch' && !v.terminating && v.priority < pod.priority) eligible.push(v);
    const chosen = cheapestRoom(node, pod, eligible, now);
    if (chosen === 'fits') {
      const ok = c.victims.length > 0 && c.victims.every((uid) => eligible.some((v) => v.uid === uid));
      if (ok) out.push({ nodeName: c.nodeName, victims: [...c.victims], numPdbViolations: pdbViolations(state, c.victims.map((u) => node.pods.get(u)!)) });
      continue;
    }
    if (chosen === null) continue;
    out.push({ nodeName: c.nodeName, victims: chosen.map((v) => v.uid), numPdbViolations: pdbViolations(state, chosen) });
  }
  return out;
}

/**
 * The cheapest prefix of `eligible` (sorted here, cheapest first, only when evicting all of them would
 * make room) that makes room, then reprieved from the dearest end; null if none does.
 */
function cheapestRoom(node: NodeState, pod: PodSpec, eligible: PodSpec[], now: number): PodSpec[] | 'fits' | null {
  // Native requests as kube-scheduler counts them: pods on Tidal's extended batch resources do not count.
  const deficit: Resources & { pods: number } = {
    cpu: pod.requests.cpu - node.spec.allocatable.cpu,
    memory: pod.requests.memory - node.spec.allocatable.memory,
    pods: node.podCount + 1 - node.spec.maxPods,
  };
  for (const p of node.pods.values()) {
    if (p.extendedBatchResources) continue;
    deficit.cpu += p.requests.cpu;
    deficit.memory += p.requests.memory;
  }
  const short = (): boolean => deficit.cpu > 0 || deficit.memory > 0 || deficit.pods > 0;
  if (!short()) return 'fits';
  // Most candidates of a failed preemption cannot make room at all: no need to rank their pods.
  let cpu = 0;
  let memory = 0;
  for (const v of eligible) {
    cpu += nativeCpu(v);
    memory += nativeMemory(v);
  }
  if (deficit.cpu > cpu || deficit.memory > memory || deficit.pods > eligible.length) return null;
  eligible.sort((a, b) => compareVictims(a, b, now));
  const chosen: PodSpec[] = [];
  for (const v of eligible) {
    if (!short()) break;
    chosen.push(v);
    deficit.cpu -= nativeCpu(v);
    deficit.memory -= nativeMemory(v);
    deficit.pods -= 1;
  }
  if (short()) return null;
  // Reprieve: give back the dearest victims whose removal is not needed after all.
  for (let i = chosen.length - 1; i >= 0; i--) {
    const v = chosen[i]!;
    if (deficit.cpu + nativeCpu(v) <= 0 && deficit.memory + nativeMemory(v) <= 0 && deficit.pods + 1 <= 0) {
      deficit.cpu += nativeCpu(v);
      deficit.memory += nativeMemory(v);
      deficit.pods += 1;
      chosen.splice(i, 1);
    }
  }
  return chosen;
}

const nativeCpu = (p: PodSpec): number => (p.extendedBatchResources ? 0 : p.requests.cpu);
const nativeMemory = (p: PodSpec): number => (p.extendedBatchResources ? 0 : p.requests.memory);

/** How many of the victims would each PodDisruptionBudget refuse, summed (as kube-scheduler counts them). */
export function pdbViolations(state: ClusterState, victims: readonly PodSpec[]): number {
  const used = new Map<string, number>();
  let violations = 0;
  for (const v of victims) {
    for (const pdb of state.pdbsFor(v)) {
      const key = `${pdb.namespace}/${pdb.name}`;
      const n = (used.get(key) ?? 0) + 1;
      used.set(key, n);
      if (n > pdb.disruptionsAllowed) violations++;
    }
  }
  return violations;
}
