// A synthetic cluster for the benchmarks: N nodes (32 cores, 128 GiB, 3 zones), 30 pods per node
// (20 online pods of a few hundred apps, 10 batch pods on Tidal's batch resources), and an hour of
// usage samples per node (every 3 minutes), so that predictions come from usage as in production.

import type { NodeInfo, PodInfo } from '../scheduler/core/model.ts';
import { ClusterState } from '../scheduler/core/state.ts';
import type { UsageConfig } from '../scheduler/core/usage.ts';

export const GiB = 2 ** 30;
export const NOW = Date.parse('2026-11-10T03:00:00+08:00'); // night: the daily profile lends batch the most

export function benchNode(i: number): NodeInfo {
  return {
    name: `node-${String(i).padStart(5, '0')}`,
    allocatable: { cpu: 32_000, memory: 128 * GiB },
    maxPods: 110,
    labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` },
    zone: `zone-${i % 3}`,
    unschedulable: false,
  };
}

export function benchPod(uid: string, over: Partial<PodInfo>): PodInfo {
  return {
    uid,
    namespace: 'bench',
    name: uid,
    nodeName: '',
    class: 'online',
    app: 'bench/app',
    priority: 9000,
    labels: {},
    requests: { cpu: 500, memory: 2 * GiB },
    limits: { cpu: 0, memory: 0 },
    extendedBatchResources: false,
    createdAt: NOW - 7_200_000,
    startedAt: NOW - 7_200_000,
    expectedRuntimeMs: 0,
    checkpointable: false,
    progress: -1,
    ownerKind: 'ReplicaSet',
    ownerName: 'app',
    isMirror: false,
    terminating: false,
    hasLocalStorage: false,
    ...over,
  };
}

export interface BenchCluster {
  state: ClusterState;
  names: string[];
}

export function buildCluster(nodes: number, usage: UsageConfig, podsPerNode = 30, batchPerNode = 10): BenchCluster {
  const state = new ClusterState(usage);
  const names: string[] = [];
  for (let i = 0; i < nodes; i++) {
    const spec = benchNode(i);
    names.push(spec.name);
    state.upsertNode(spec, NOW - 3_600_000);
  }
  let k = 0;
  for (let i = 0; i < nodes; i++) {
    for (let j = 0; j < podsPerNode; j++) {
      const uid = `p-${k++}`;
      const nodeName = names[i]!;
      const pod =
        j < batchPerNode
          ? benchPod(uid, { class: 'batch', app: `bench/job-${k % 97}`, nodeName, priority: 5000, requests: { cpu: 700, memory: 2 * GiB }, extendedBatchResources: true, ownerKind: 'Job', ownerName: `job-${k % 97}`, expectedRuntimeMs: 7_200_000 })
          : benchPod(uid, { app: `bench/app-${(i * 7 + j) % 400}`, nodeName, requests: { cpu: 600, memory: 3 * GiB } });
      state.upsertPod(pod, NOW - 3_600_000);
    }
  }
  for (let i = 0; i < nodes; i++) {
    for (let s = 20; s >= 1; s--) {
      const wave = (i % 11) * 300 + (s % 5) * 100;
      state.recordNodeUsage(names[i]!, { time: NOW - s * 180_000, online: { cpu: 5000 + wave, memory: 40 * GiB }, batch: { cpu: 6000, memory: 18 * GiB } });
    }
  }
  return { state, names };
}
