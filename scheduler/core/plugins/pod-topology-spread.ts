// kube-scheduler's PodTopologySpread score with the system default constraints, as it scores a pod
// that declares no topologySpreadConstraints (upstream: pkg/scheduler/framework/plugins/podtopologyspread/
// scoring.go and plugin.go systemDefaultConstraints, kube-scheduler 1.37; weight 2 in
// apis/config/v1/default_plugins.go). The constraints: topology.kubernetes.io/zone maxSkew 5 and
// kubernetes.io/hostname maxSkew 3, both ScheduleAnyway, over the pods matching the selector of the
// Services, ReplicationControllers, ReplicaSets and StatefulSets that select the pod.
//
// What is assumed of a pod the core knows (PodInfo carries no selectors):
//   - it has default constraints when its owner is a ReplicaSet (a Deployment), a StatefulSet or a
//     ReplicationController; a Job's pod, a bare pod (and a system pod) has none and is skipped: every
//     node gets 0 from this plugin (PreScore returns Skip). A Service selecting a Job's pods would give
//     them constraints too: not modelled.
//   - the pods that match its selector are the pods of its app (PodInfo.app: the app label, else the
//     owner; namespaced in traces recorded from a cluster), all classes, terminating ones included
//     (kube-scheduler skips terminating pods). Exact for a Deployment with one ReplicaSet whose pods
//     carry the app label; a rollout's two ReplicaSets count as one here.
//   - every node has a hostname label (the kubelet sets it). Nodes without a zone (zone id -1) skip the
//     zone constraint; they make one more zone value ("") when some feasible node has none, as upstream.
// Score, exactly as kube-scheduler's: per feasible node, with n_zone = the app's pods in the node's
// zone over all nodes (ClusterState.appZoneCounts), n_host = on the node (ClusterState.appRows),
//   raw = round(n_zone x ln(zones + 2) + (5 - 1) + n_host x ln(feasible nodes + 2) + (3 - 1))
// where zones = distinct zone values among the feasible nodes; then NormalizeScore over the feasible
// nodes: 100 x (max + min - raw) / max, integer division (100 for all when max = 0).
// It normalises over the nodes scored, so it is not cached (no signature); per decision it costs two
// lookups per feasible node in the app's own by-row counts (one map, small and hot in cache).

import { MAX_SCORE, statelessScore } from '../framework.ts';
import type { PodContext } from '../framework.ts';
import type { PodInfo } from '../model.ts';

const ZONE_MAX_SKEW = 5;
const HOSTNAME_MAX_SKEW = 3;

/** Whether the pod's owner gives it the system default constraints (a Deployment's pods are owned by its ReplicaSet). */
export function hasDefaultSpread(pod: PodInfo): boolean {
  const o = pod.ownerKind;
  return pod.class !== 'system' && pod.app !== '' && (o === 'ReplicaSet' || o === 'StatefulSet' || o === 'ReplicationController');
}

/** topologyNormalizingWeight: ln(size + 2). */
export function topologyNormalizingWeight(size: number): number {
  return Math.log(size + 2);
}

/** Go's math.Round: half away from zero (the counts are non-negative). */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.floor(x + 0.5);
}

interface Prepared {
  /** The app's pods per table row (ClusterState.appRows): n_host. */
  hosts: ReadonlyMap<number, number> | undefined;
  /** The app's pods per zone id, over all nodes. */
  zoneCounts: Float64Array;
  zoneWeight: number;
  hostWeight: number;
  min: number;
  max: number;
}

function raw(ctx: PodContext, i: number, p: Prepared): number {
  const z = ctx.t.zone[i]!;
  let s = (p.hosts?.get(i) ?? 0) * p.hostWeight + (HOSTNAME_MAX_SKEW - 1);
  if (z >= 0) s += p.zoneCounts[z]! * p.zoneWeight + (ZONE_MAX_SKEW - 1);
  return roundHalfAway(s);
}

export const PodTopologySpread = statelessScore<Prepared>(
  'PodTopologySpread',
  "kube-scheduler's PodTopologySpread with the system default constraints (zone maxSkew 5, hostname 3) for pods of ReplicaSets/StatefulSets; normalised over the feasible nodes",
  ['online', 'batch'],
  {
    name: 'PodTopologySpread',
    readsPrediction: false,
    appliesTo: (ctx) => hasDefaultSpread(ctx.pod),
    prepare(ctx, rows) {
      const zoneNames = ctx.state.zoneNames;
      const zoneCounts = new Float64Array(zoneNames.length);
      const byZone = ctx.state.appZoneCounts.get(ctx.pod.app);
      if (byZone) for (const [zone, n] of byZone) if (zone) zoneCounts[ctx.state.zoneId(zone)] = n;
      const present = new Uint8Array(zoneNames.length);
      const zone = ctx.t.zone;
      let zones = 0;
      let noZone = 0;
      for (let k = 0; k < rows.length; k++) {
        const z = zone[rows[k]!]!;
        if (z < 0) noZone = 1;
        else if (!present[z]) {
          present[z] = 1;
          zones++;
        }
      }
      const p: Prepared = { hosts: ctx.state.appRows(ctx.pod.app), zoneCounts, zoneWeight: topologyNormalizingWeight(zones + noZone), hostWeight: topologyNormalizingWeight(rows.length), min: Infinity, max: 0 };
      for (let k = 0; k < rows.length; k++) {
        const s = raw(ctx, rows[k]!, p);
        if (s < p.min) p.min = s;
        if (s > p.max) p.max = s;
      }
      return p;
    },
    score(ctx, i, p) {
      if (p.max === 0) return MAX_SCORE;
      return Math.floor((MAX_SCORE * (p.max + p.min - raw(ctx, i, p))) / p.max);
    },
  },
);
