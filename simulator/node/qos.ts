// A pod's Kubernetes QoS class and the oom_score_adj the kubelet gives it, from the policy core's
// PodInfo (sums over containers, so "every container" in the QoS rules becomes "the pod's sums").

import type { PodInfo } from '../../scheduler/core/model.ts';
import { kubeletOomScoreAdj, type QosClass } from './contention.ts';

/** scheduling.SystemCriticalPriority + 1000: the system-node-critical priority class's value. */
const SYSTEM_NODE_CRITICAL_PRIORITY = 2_000_001_000;

/**
 * pkg/apis/core/v1/helper/qos GetPodQOS on pod-level sums: BestEffort without native CPU/memory
 * requests or limits (extended resources do not count, so a pod on Tidal's batch resources is
 * BestEffort); Guaranteed when CPU and memory limits are set and equal to the requests; else Burstable.
 */
export function qosClassOf(pod: Pick<PodInfo, 'requests' | 'limits' | 'extendedBatchResources'>): QosClass {
  const reqCpu = pod.extendedBatchResources ? 0 : pod.requests.cpu;
  const reqMem = pod.extendedBatchResources ? 0 : pod.requests.memory;
  const { cpu: limCpu, memory: limMem } = pod.limits;
  if (reqCpu === 0 && reqMem === 0 && limCpu === 0 && limMem === 0) return 'BestEffort';
  // A request left unset defaults to the limit, so limits alone can make a pod Guaranteed.
  if (limCpu > 0 && limMem > 0 && (reqCpu === 0 || reqCpu === limCpu) && (reqMem === 0 || reqMem === limMem)) return 'Guaranteed';
  return 'Burstable';
}

/** The kubelet's oom_score_adj for the pod on a node with `memoryCapacity` bytes. */
export function podOomScoreAdj(pod: Pick<PodInfo, 'requests' | 'limits' | 'extendedBatchResources' | 'priority'>, memoryCapacity: number): number {
  const qos = qosClassOf(pod);
  const memRequest = pod.extendedBatchResources ? 0 : pod.requests.memory;
  return kubeletOomScoreAdj(qos, memRequest, memoryCapacity, pod.priority >= SYSTEM_NODE_CRITICAL_PRIORITY);
}
