// NodeResourcesBalancedAllocation against hand-computed kube-scheduler scores.
import { describe, expect, it } from 'vitest';
import { balanceChangeScore, balancedAllocationScore } from '../../../../scheduler/core/plugins/balanced-allocation.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { only } from './kube-helpers.ts';

describe('NodeResourcesBalancedAllocation', () => {
  const nodes = [node('a', { allocatable: { cpu: 4000, memory: 8 * GiB } }), node('b', { allocatable: { cpu: 8000, memory: 16 * GiB } })];

  it('scores the change of balance, balance = trunc((1 - |f_cpu - f_mem| / 2) x 100) over plain requests', () => {
    const { scores } = only('NodeResourcesBalancedAllocation', nodes, [[pod({ requests: { cpu: 1000, memory: 2 * GiB } }), 'a']]);
    // a before: cpu 1000/4000 = 0.25, memory 2/8 = 0.25: balance 100. After: cpu 0.5, memory 3/8: std 0.0625 -> 93.
    //   50 + (50 + 93 - 100) / 2 = 50 + 21 = 71.
    // b before: empty, balance 100. After: cpu 1000/8000 = 0.125, memory 1/16: std 0.03125 -> 96. 50 + 46 / 2 = 73.
    expect(scores(pod({ requests: { cpu: 1000, memory: 1 * GiB } }))).toEqual({ a: 71, b: 73 });
    // Shares kept equal: 75.
    expect(scores(pod({ requests: { cpu: 500, memory: 1 * GiB } })).a).toBe(75);
    // A pod that evens out a lopsided node scores above 75: before cpu 3000/8000, memory 1/16 (std 0.15625 -> 84);
    // a pod of 0 cpu and 5 GiB: after cpu 0.375, memory 6/16 = 0.375 -> 100. 50 + (50 + 100 - 84) / 2 = 83.
    expect(balanceChangeScore(balancedAllocationScore(3000, 8000, 6 * GiB, 16 * GiB), balancedAllocationScore(3000, 8000, 1 * GiB, 16 * GiB))).toBe(83);
  });

  it('caps a fraction at 1', () => {
    // cpu 6000/4000 -> 1, memory 2/8 = 0.25: std 0.375 -> 62.5 -> 62.
    expect(balancedAllocationScore(6000, 4000, 2 * GiB, 8 * GiB)).toBe(62);
  });

  it('skips a pod without native requests (best effort, or extended batch resources only)', () => {
    const { applies } = only('NodeResourcesBalancedAllocation', nodes);
    expect(applies(pod({ requests: { cpu: 0, memory: 0 } }))).toBe(false);
    expect(applies(batch({ extendedBatchResources: true }))).toBe(false);
    expect(applies(batch())).toBe(true);
  });

  it('does not count pods asking for extended batch resources on the node', () => {
    const { scores } = only('NodeResourcesBalancedAllocation', nodes, [[batch({ requests: { cpu: 3000, memory: 1 * GiB }, extendedBatchResources: true }), 'a']]);
    // As on an empty node: balance 100 before and after.
    expect(scores(pod({ requests: { cpu: 500, memory: 1 * GiB } })).a).toBe(75);
  });
});
