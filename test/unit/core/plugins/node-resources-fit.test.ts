// NodeResourcesFit (LeastAllocated) against hand-computed kube-scheduler scores.
import { describe, expect, it } from 'vitest';
import { leastRequestedScore } from '../../../../scheduler/core/plugins/node-resources-fit.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { only } from './kube-helpers.ts';

const MiB = 2 ** 20;

describe('NodeResourcesFit (LeastAllocated)', () => {
  const nodes = [node('a', { allocatable: { cpu: 4000, memory: 8 * GiB } }), node('b', { allocatable: { cpu: 8000, memory: 16 * GiB } })];

  it('scores floor((alloc - requested) x 100 / alloc) per resource, then the integer mean', () => {
    const { scores } = only('NodeResourcesFit', nodes, [[pod({ requests: { cpu: 1000, memory: 2 * GiB } }), 'a']]);
    // a: cpu 1500/4000 -> 62.5 -> 62; memory 3/8 GiB -> 62.5 -> 62; (62 + 62) / 2 = 62.
    // b: cpu 500/8000 -> 93.75 -> 93; memory 1/16 GiB -> 93.75 -> 93.
    expect(scores(pod({ requests: { cpu: 500, memory: 1 * GiB } }))).toEqual({ a: 62, b: 93 });
  });

  it('counts a pod without native requests at 100m / 200 MiB, on the node and when placed', () => {
    const ext = batch({ requests: { cpu: 2000, memory: 4 * GiB }, extendedBatchResources: true });
    const { scores } = only('NodeResourcesFit', nodes, [[ext, 'b']]);
    // b: cpu (100 + 100) of 8000 -> 97.5 -> 97; memory 400 MiB of 16 GiB -> 97.56 -> 97.
    // a: cpu 100 of 4000 -> 97.5 -> 97; memory 200 MiB of 8 GiB -> 97.56 -> 97.
    expect(scores(batch({ requests: { cpu: 500, memory: 1 * GiB }, extendedBatchResources: true }))).toEqual({ a: 97, b: 97 });
    // A native pod of 1000m / 1 GiB: b cpu 1100/8000 -> 86.25 -> 86, memory (200 MiB + 1 GiB)/16 GiB -> 92.48 -> 92: 89.
    expect(scores(pod({ requests: { cpu: 1000, memory: 1 * GiB } })).b).toBe(89);
    expect(leastRequestedScore(200 * MiB + GiB, 16 * GiB)).toBe(92);
  });

  it('gives 0 for a resource the node is over', () => {
    expect(leastRequestedScore(5000, 4000)).toBe(0);
    const { scores } = only('NodeResourcesFit', nodes);
    // a: cpu 0; memory 2/8 -> 75: 37.
    expect(scores(pod({ requests: { cpu: 5000, memory: 2 * GiB } })).a).toBe(37);
  });
});
