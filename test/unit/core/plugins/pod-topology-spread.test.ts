// PodTopologySpread with the system default constraints, against hand-computed kube-scheduler scores.
import { describe, expect, it } from 'vitest';
import { batch, node, pod } from '../../../helpers/core.ts';
import { only } from './kube-helpers.ts';

describe('PodTopologySpread (system defaults)', () => {
  // z1: a, b; z2: c; z3: d. The app's pods: 2 on a, 1 on b, 1 on d; another app's 3 on c.
  const nodes = [node('a', { zone: 'z1' }), node('b', { zone: 'z1' }), node('c', { zone: 'z2' }), node('d', { zone: 'z3' })];
  const web = () => pod({ app: 'web' });
  const bound: Array<[ReturnType<typeof pod>, string]> = [
    [web(), 'a'],
    [web(), 'a'],
    [web(), 'b'],
    [web(), 'd'],
    [pod({ app: 'other' }), 'c'],
    [pod({ app: 'other' }), 'c'],
    [pod({ app: 'other' }), 'c'],
  ];

  it('counts the app per zone (ln(zones + 2)) and per node (ln(nodes + 2)) plus maxSkew - 1, rounds, normalises', () => {
    const { scores } = only('PodTopologySpread', nodes, bound);
    // 3 zones: ln 5 = 1.6094; 4 nodes: ln 6 = 1.7918. Zone counts z1 3, z2 0, z3 1.
    // a: 3 x 1.6094 + 4 + 2 x 1.7918 + 2 = 14.41 -> 14; b: 12.62 -> 13; c: 6; d: 9.40 -> 9.
    // min 6, max 14: 100 x (20 - s) / 14 -> a 42, b 50, c 100, d 78.
    expect(scores(web())).toEqual({ a: 42, b: 50, c: 100, d: 78 });
  });

  it('weighs and normalises over the feasible nodes only, counting pods on every node', () => {
    const { scores } = only('PodTopologySpread', nodes, bound);
    // Feasible c, d: 2 zones (ln 4), 2 nodes (ln 4). c: 6; d: 1.386 + 4 + 1.386 + 2 = 8.77 -> 9.
    // 100 x (15 - s) / 9 -> c 100, d 66.
    expect(scores(web(), ['c', 'd'])).toEqual({ c: 100, d: 66 });
  });

  it('a node without a zone skips the zone constraint and adds the value "" to the zone count', () => {
    const { scores } = only('PodTopologySpread', [...nodes, node('e', { zone: '' })], bound);
    // 3 zones + "": ln 6 = 1.7918; 5 nodes: ln 7 = 1.9459.
    // a: 3 x 1.7918 + 4 + 2 x 1.9459 + 2 = 15.27 -> 15; b: 13.32 -> 13; c: 6; d: 1.7918 + 4 + 1.9459 + 2 = 9.74 -> 10; e: 2.
    // min 2, max 15: 100 x (17 - s) / 15 -> a 13, b 26, c 73, d 46, e 100.
    expect(scores(web())).toEqual({ a: 13, b: 26, c: 73, d: 46, e: 100 });
  });

  it("applies to pods of ReplicaSets and StatefulSets, not to Jobs' or bare pods", () => {
    const { applies } = only('PodTopologySpread', nodes);
    expect(applies(web())).toBe(true);
    expect(applies(pod({ ownerKind: 'StatefulSet' }))).toBe(true);
    expect(applies(batch())).toBe(false);
    expect(applies(pod({ ownerKind: '' }))).toBe(false);
  });
});
