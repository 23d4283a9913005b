// Preemption, Tidal's side of kube-scheduler's DefaultPreemption (PostFilter). Two callers share it:
//  - the extender's preempt verb: kube-scheduler has already found the candidate nodes and proposes,
//    per node, the lower-priority pods it would evict; selectVictims answers with the cheapest set of
//    BATCH pods on that node that makes room, or drops the node;
//  - the simulator, which plays kube-scheduler too: planPreemption finds the candidates as
//    DefaultPreemption does (nodes where preemption might help, a window of them), has selectVictims
//    answer for each, and picks the node as pickOneNodeForPreemption would.
// Online and system pods are never victims, so a node can make room only if the pod fits beside its
// online and system pods alone (roomBesideNonBatch): a column test that rules most nodes out before
// any pod is looked at.

import type { PolicyEngine } from './engine.ts';
import type { PodInfo, Resources } from './model.ts';
import type { NodeTable } from './node-table.ts';
import { fnv1a } from './node-table.ts';
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
export function selectVictims(state: ClusterState, pod: PodInfo, candidates: readonly PreemptionCandidate[], now: number): PreemptionCandidate[] {
  if (pod.class === 'system') return candidates.map((c) => ({ ...c, victims: [...c.victims] }));
  const out: PreemptionCandidate[] = [];
  for (const c of candidates) {
    const node = state.nodes.get(c.nodeName);
    if (!node) continue;
    // Where the pod would not fit beside the non-batch pods, cheapestRoom would find no room either
    // (its victims are a subset of the batch pods): skip the walk over the node's pods.
    if (!roomBesideNonBatch(state.table, node.index, pod)) continue;
    const eligible: PodInfo[] = [];
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
function cheapestRoom(node: NodeState, pod: PodInfo, eligible: PodInfo[], now: number): PodInfo[] | 'fits' | null {
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
  const chosen: PodInfo[] = [];
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

const nativeCpu = (p: PodInfo): number => (p.extendedBatchResources ? 0 : p.requests.cpu);
const nativeMemory = (p: PodInfo): number => (p.extendedBatchResources ? 0 : p.requests.memory);

/** How many of the victims would each PodDisruptionBudget refuse, summed (as kube-scheduler counts them). */
export function pdbViolations(state: ClusterState, victims: readonly PodInfo[]): number {
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

/**
 * Whether `pod` would fit on row i beside the node's online and system pods alone (requests against
 * allocatable, cpu and memory). Where it would not, evicting batch pods cannot make room. A system
 * pod's proposed victims stand whatever their class (selectVictims), so for it every node may.
 */
export function roomBesideNonBatch(t: NodeTable, i: number, pod: PodInfo): boolean {
  return pod.class === 'system' || (t.allocCpu[i]! - t.nonBatchCpu[i]! >= pod.requests.cpu && t.allocMem[i]! - t.nonBatchMem[i]! >= pod.requests.memory);
}

/**
 * The nodes a preemption for `pod` may look at, in row order: those holding batch pods (the only
 * victims Tidal takes; the others are not even filtered). Empty when none of them has room beside its
 * non-batch pods: no dry run could succeed.
 */
export function preemptionScope(state: ClusterState, pod: PodInfo): string[] {
  const t = state.table;
  const nodes = state.nodeList;
  const names: string[] = [];
  let anyRoom = false;
  for (let i = 0; i < nodes.length; i++) {
    if (t.batchCpu[i]! > 0 || t.batchMem[i]! > 0) {
      names.push(nodes[i]!.spec.name);
      if (!anyRoom && roomBesideNonBatch(t, i, pod)) anyRoom = true;
    }
  }
  return anyRoom ? names : [];
}

/**
 * DefaultPreemption's nodesWherePreemptionMightHelp over `names`: nodes that fail the filters, but not
 * unresolvably. A node fails on its first failing filter; one that a filter further down would refuse
 * unresolvably is no candidate either (evicting there would free room the pod still could not use).
 */
export function nodesWherePreemptionMightHelp(engine: PolicyEngine, pod: PodInfo, names: readonly string[], now: number): string[] {
  const ctx = engine.context(pod, now);
  const v = engine.verdicts(ctx, names);
  const filters = engine.activeFilters(ctx);
  const rows = engine.state.rows;
  return names.filter((name, k) => {
    const r = v.refusals[k]!;
    if (r === null || r.unresolvable) return false;
    const row = rows.get(name)!;
    return filters.every((f) => f.filter(ctx, row)?.unresolvable !== true);
  });
}

/** kube-scheduler's minCandidateNodesPercentage and minCandidateNodesAbsolute (DefaultPreemption's defaults). */
export const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
export const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

/**
 * The nodes DefaultPreemption dry-runs: max(10% of all nodes, 100) of the possible ones, consecutive
 * (wrapping) from an offset. kube-scheduler draws the offset at random; here it is a hash of the pod's
 * uid, so that replays are deterministic. All of them when there are no more than that.
 */
export function candidateWindow(possible: readonly string[], nodeCount: number, podUid: string): readonly string[] {
  const want = Math.max(MIN_CANDIDATE_NODES_ABSOLUTE, Math.floor((nodeCount * MIN_CANDIDATE_NODES_PERCENTAGE) / 100));
  if (possible.length <= want) return possible;
  const offset = fnv1a(podUid) >>> 0;
  return Array.from({ length: want }, (_, k) => possible[(offset + k) % possible.length]!);
}

/**
 * The dry run's proposals, as kube-scheduler would send them to the preempt verb: for each node of
 * `window` with room beside its non-batch pods, every pod of lower priority than `pod`; nodes with
 * none are left out.
 */
export function proposeVictims(state: ClusterState, pod: PodInfo, window: readonly string[]): PreemptionCandidate[] {
  const out: PreemptionCandidate[] = [];
  for (const nodeName of window) {
    const node = state.nodes.get(nodeName)!;
    if (!roomBesideNonBatch(state.table, node.index, pod)) continue;
    const victims: string[] = [];
    for (const v of node.pods.values()) if (v.priority < pod.priority) victims.push(v.uid);
    if (victims.length > 0) out.push({ nodeName, victims, numPdbViolations: 0 });
  }
  return out;
}

/**
 * pickOneNodeForPreemption over Tidal's answers: the fewest victims, then the fewest PDB violations,
 * then the first name (so that the choice does not depend on the order of the candidates).
 */
export function pickCandidate(candidates: readonly PreemptionCandidate[]): PreemptionCandidate | null {
  let best: PreemptionCandidate | null = null;
  for (const c of candidates) {
    if (
      best === null ||
      c.victims.length < best.victims.length ||
      (c.victims.length === best.victims.length && (c.numPdbViolations < best.numPdbViolations || (c.numPdbViolations === best.numPdbViolations && c.nodeName < best.nodeName)))
    ) {
      best = c;
    }
  }
  return best;
}

/**
 * kube-scheduler's preemption for a pod that fits nowhere, with Tidal answering the preempt verb: the
 * node to preempt on and its victims, or null when no eviction would make room. Evicting them is the
 * caller's (who should check that the pod then passes the filters there).
 */
export function planPreemption(engine: PolicyEngine, pod: PodInfo, now: number): PreemptionCandidate | null {
  const state = engine.state;
  const scope = preemptionScope(state, pod);
  if (scope.length === 0) return null;
  const possible = nodesWherePreemptionMightHelp(engine, pod, scope, now);
  const window = candidateWindow(possible, state.nodeList.length, pod.uid);
  return pickCandidate(selectVictims(state, pod, proposeVictims(state, pod, window), now));
}
