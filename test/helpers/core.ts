// Builders for core model objects in tests: terse defaults, override what a test is about.

import { batchCapacity } from '../../scheduler/core/capacity.ts';
import type { NodeInfo, PodInfo, Resources } from '../../scheduler/core/model.ts';
import type { Level } from '../../scheduler/core/profile.ts';
import type { NodeState } from '../../scheduler/core/state.ts';

export const GiB = 2 ** 30;

export function node(name: string, over: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    allocatable: { cpu: 16_000, memory: 64 * GiB },
    maxPods: 110,
    labels: {},
    zone: over.zone ?? 'zone-a',
    unschedulable: false,
    ...over,
  };
}

let seq = 0;

export function pod(over: Partial<PodInfo> = {}): PodInfo {
  const n = ++seq;
  return {
    uid: over.uid ?? `uid-${n}`,
    namespace: 'default',
    name: over.name ?? `pod-${n}`,
    nodeName: '',
    class: 'online',
    app: 'web',
    priority: 0,
    labels: {},
    requests: { cpu: 1000, memory: 2 * GiB },
    limits: { cpu: 0, memory: 0 },
    extendedBatchResources: false,
    createdAt: 0,
    startedAt: 0,
    expectedRuntimeMs: 0,
    checkpointable: false,
    progress: -1,
    ownerKind: 'ReplicaSet',
    ownerName: 'web-abc',
    isMirror: false,
    terminating: false,
    hasLocalStorage: false,
    ...over,
  };
}

export function batch(over: Partial<PodInfo> = {}): PodInfo {
  return pod({ class: 'batch', app: 'job', ownerKind: 'Job', ownerName: 'job', priority: 5000, ...over });
}

/** batchFree of the capacity formula (capacity.ts): batchCapacity less the batch requests already on the node. */
export function batchFree(node: NodeState, level: Level, online: Readonly<Resources>, out: Resources): Resources {
  batchCapacity(node, level, online, out);
  out.cpu = Math.max(0, out.cpu - node.requested.batch.cpu);
  out.memory = Math.max(0, out.memory - node.requested.batch.memory);
  return out;
}
