// Katalyst's Tide (ByteDance) as a baseline: a node pool split into reserved online nodes, reserved
// offline nodes and "tide" nodes that flip between online and offline, reimplemented from its
// controller (kubewharf/katalyst-core: pkg/controller/tide/tide.go; no code copied). Pure functions
// over the core's ClusterState: the simulator's `katalyst-tide` policy (simulator/peers/katalyst-tide/policy.ts)
// runs them every 10 s.
//
// Labels (as the controller writes them; pods select nodes by node-type, the peer filter reads it):
//   tide.katalyst.kubewharf.io/node-pool=<pool>, .../node-type=online|offline,
//   .../reverse=true (reserved) | false (tide), .../tide=true on tide nodes.
// Pool classification of new nodes: reserved online until ceil(online% x nodes), then reserved offline
// until floor(offline% x nodes), the rest become tide nodes, starting online. Katalyst ships no default
// for the reserve; this baseline uses 50 % online and 10 % offline (TIDE_DEFAULT_RESERVE).
// Each cycle (every 10 s), at most one flip:
//   1. online pods pending that fit no node now: offline tide nodes, least utilised first (requests /
//      allocatable, the descheduler's NodeUtilization), are tried one by one; the first one where the
//      pending pod would fit once it is online flips online (label swap; its offline-not-used taint
//      has effect NoExecute, so its offline pods are evicted). The cycle ends.
//   2. otherwise (also when no flip helped), the least utilised online tide node, if there are at least
//      two, flips offline when every online pod on it fits on the other online nodes (a first-fit
//      pre-schedule, largest request first); its online pods are evicted (online-not-used taint) and
//      rescheduled onto the online nodes.
// Placement: online pods only on node-type=online nodes, offline (batch) pods only on node-type=offline
// nodes, each at its requests against allocatable (offline pods use Katalyst's reclaimed resources,
// which on a node without online pods are the node).

import type { NodeInfo, PodInfo, Resources } from '../../../scheduler/core/model.ts';
import type { ClusterState, NodeState } from '../../../scheduler/core/state.ts';

const P = 'tide.katalyst.kubewharf.io';
export const TIDE_LABELS = {
  pool: `${P}/node-pool`,
  nodeType: `${P}/node-type`,
  reverse: `${P}/reverse`,
  tide: `${P}/tide`,
} as const;

export const TIDE_POOL = 'tidal-sim';
export const TIDE_DEFAULT_RESERVE = { online: 0.5, offline: 0.1 };
export const TIDE_INTERVAL_MS = 10_000;

export type NodeType = 'online' | 'offline';

export function nodeTypeOf(spec: NodeInfo): NodeType | null {
  const v = spec.labels[TIDE_LABELS.nodeType];
  return v === 'online' || v === 'offline' ? v : null;
}

export function isTide(spec: NodeInfo): boolean {
  return spec.labels[TIDE_LABELS.tide] === 'true';
}

/** The labels a node gets when it joins the pool in a role. */
export function poolLabels(base: Readonly<Record<string, string>>, role: 'reserve-online' | 'reserve-offline' | 'tide-online'): Record<string, string> {
  const out: Record<string, string> = { ...base, [TIDE_LABELS.pool]: TIDE_POOL };
  delete out[TIDE_LABELS.tide];
  if (role === 'reserve-online' || role === 'reserve-offline') {
    out[TIDE_LABELS.nodeType] = role === 'reserve-online' ? 'online' : 'offline';
    out[TIDE_LABELS.reverse] = 'true';
  } else {
    out[TIDE_LABELS.nodeType] = 'online';
    out[TIDE_LABELS.reverse] = 'false';
    out[TIDE_LABELS.tide] = 'true';
  }
  return out;
}

/** The label swap of a flip. */
export function flipLabels(base: Readonly<Record<string, string>>, to: NodeType): Record<string, string> {
  return { ...base, [TIDE_LABELS.nodeType]: to };
}

/**
 * Roles for nodes not yet in the pool, given the pool's nodes (reconcile): reserved online up to
 * ceil(online x n), then reserved offline up to floor(offline x n), the rest tide (online).
 */
export function classifyNewNodes(nodes: readonly NodeInfo[], reserve = TIDE_DEFAULT_RESERVE): Map<string, 'reserve-online' | 'reserve-offline' | 'tide-online'> {
  const n = nodes.length;
  const wantOnline = Math.ceil(reserve.online * n - 1e-9);
  const wantOffline = Math.floor(reserve.offline * n + 1e-9);
  let online = 0;
  let offline = 0;
  for (const s of nodes) {
    if (s.labels[TIDE_LABELS.pool] === undefined || s.labels[TIDE_LABELS.reverse] !== 'true') continue;
    if (nodeTypeOf(s) === 'online') online++;
    else if (nodeTypeOf(s) === 'offline') offline++;
  }
  const out = new Map<string, 'reserve-online' | 'reserve-offline' | 'tide-online'>();
  for (const s of nodes) {
    if (s.labels[TIDE_LABELS.pool] !== undefined) continue;
    if (online < wantOnline) {
      out.set(s.name, 'reserve-online');
      online++;
    } else if (offline < wantOffline) {
      out.set(s.name, 'reserve-offline');
      offline++;
    } else out.set(s.name, 'tide-online');
  }
  return out;
}

/** Requested share of the node (mean of CPU and memory), the utilisation the controller sorts by. */
export function requestUtilisation(node: NodeState): number {
  const a = node.spec.allocatable;
  const r = node.requested;
  const cpu = r.online.cpu + r.batch.cpu + r.system.cpu;
  const mem = r.online.memory + r.batch.memory + r.system.memory;
  return (cpu / a.cpu + mem / a.memory) / 2;
}

function byUtilisation(nodes: NodeState[]): NodeState[] {
  return nodes.map((n) => ({ n, u: requestUtilisation(n) })).sort((x, y) => x.u - y.u || (x.n.name < y.n.name ? -1 : 1)).map((x) => x.n);
}

/** Free requests on a node for online pods once its offline pods are gone. */
function onlineFree(node: NodeState): Resources & { pods: number } {
  const a = node.spec.allocatable;
  const r = node.requested;
  let batchPods = 0;
  for (const p of node.pods.values()) if (p.class === 'batch') batchPods++;
  return { cpu: a.cpu - r.online.cpu - r.system.cpu, memory: a.memory - r.online.memory - r.system.memory, pods: node.spec.maxPods - (node.podCount - batchPods) };
}

function fits(req: Resources, free: Resources & { pods: number }): boolean {
  return req.cpu <= free.cpu && req.memory <= free.memory && free.pods >= 1;
}

export type TideAction = { flip: string; to: NodeType; evict: PodInfo[]; reason: string } | null;

/**
 * One Tide cycle. `pending` are the online pods waiting for a node; `fitsNow(pod)` says whether the
 * scheduler could place one now (the controller leaves those to it).
 */
export function tideStep(state: ClusterState, pending: readonly PodInfo[], fitsNow: (pod: PodInfo) => boolean): TideAction {
  const tide = state.nodeList.filter((n) => isTide(n.spec) && n.spec.labels[TIDE_LABELS.pool] === TIDE_POOL && !n.spec.unschedulable);
  const stuck = pending.filter((p) => p.class === 'online' && !fitsNow(p));
  if (stuck.length > 0) {
    const offline = byUtilisation(tide.filter((n) => nodeTypeOf(n.spec) === 'offline'));
    for (const pod of stuck) {
      for (const node of offline) {
        if (!fits(pod.requests, onlineFree(node))) continue;
        return { flip: node.name, to: 'online', evict: [...node.pods.values()].filter((p) => p.class === 'batch'), reason: 'tide: node flipped online' };
      }
    }
  }
  const online = byUtilisation(tide.filter((n) => nodeTypeOf(n.spec) === 'online'));
  if (online.length <= 1) return null;
  const candidate = online[0]!;
  const others = state.nodeList.filter((n) => n !== candidate && nodeTypeOf(n.spec) === 'online' && !n.spec.unschedulable);
  const free = others.map(onlineFree);
  const movers = [...candidate.pods.values()].filter((p) => p.class === 'online').sort((x, y) => y.requests.cpu - x.requests.cpu || y.requests.memory - x.requests.memory || (x.uid < y.uid ? -1 : 1));
  const bySize = (x: PodInfo, y: PodInfo) => y.requests.cpu - x.requests.cpu || y.requests.memory - x.requests.memory || (x.uid < y.uid ? -1 : 1);
  movers.sort(bySize);
  for (const p of movers) {
    const k = free.findIndex((f) => fits(p.requests, f));
    if (k < 0) return null;
    free[k]!.cpu -= p.requests.cpu;
    free[k]!.memory -= p.requests.memory;
    free[k]!.pods -= 1;
  }
  return { flip: candidate.name, to: 'offline', evict: movers, reason: 'tide: node released offline (online pod moved)' };
}
