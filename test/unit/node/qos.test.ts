// QoS class and oom_score_adj from a PodInfo's sums.

import { describe, expect, it } from 'vitest';
import { podOomScoreAdj, qosClassOf } from '../../../simulator/node/qos.ts';

const GiB = 2 ** 30;
const pod = (req: [number, number], lim: [number, number], extendedBatchResources = false, priority = 0) => ({
  requests: { cpu: req[0], memory: req[1] },
  limits: { cpu: lim[0], memory: lim[1] },
  extendedBatchResources,
  priority,
});

describe('qosClassOf', () => {
  it('classifies like GetPodQOS', () => {
    expect(qosClassOf(pod([0, 0], [0, 0]))).toBe('BestEffort');
    expect(qosClassOf(pod([1000, GiB], [0, 0], true))).toBe('BestEffort'); // Tidal's extended batch resources
    expect(qosClassOf(pod([1000, GiB], [0, 0]))).toBe('Burstable');
    expect(qosClassOf(pod([1000, GiB], [2000, GiB]))).toBe('Burstable');
    expect(qosClassOf(pod([1000, GiB], [1000, GiB]))).toBe('Guaranteed');
    expect(qosClassOf(pod([0, 0], [1000, GiB]))).toBe('Guaranteed'); // requests default to limits
    expect(qosClassOf(pod([0, 0], [1000, 0]))).toBe('Burstable');
  });
});

describe('podOomScoreAdj', () => {
  it('gives batch on extended resources 1000, an online pod requesting 4 of 16 GiB 750, node-critical -997', () => {
    expect(podOomScoreAdj(pod([1000, 4 * GiB], [0, 0], true), 16 * GiB)).toBe(1000);
    expect(podOomScoreAdj(pod([1000, 4 * GiB], [0, 0]), 16 * GiB)).toBe(750);
    expect(podOomScoreAdj(pod([100, GiB / 8], [0, 0], false, 2_000_001_000), 16 * GiB)).toBe(-997);
    expect(podOomScoreAdj(pod([1000, GiB], [1000, GiB]), 16 * GiB)).toBe(-997);
  });
});
