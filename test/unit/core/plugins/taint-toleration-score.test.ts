// TaintToleration's score against hand-computed kube-scheduler scores.
import { describe, expect, it } from 'vitest';
import { node, pod } from '../../../helpers/core.ts';
import { only } from './kube-helpers.ts';

describe('TaintToleration (score)', () => {
  it('counts PreferNoSchedule taints, normalised reversed: 100 - 100 x count / max', () => {
    const nodes = [
      node('a'),
      node('b', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }),
      node('c', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }, { key: 'l', value: 'w', effect: 'PreferNoSchedule' }, { key: 'm', value: 'x', effect: 'NoSchedule' }] }),
    ];
    const { scores } = only('TaintToleration', nodes);
    expect(scores(pod())).toEqual({ a: 100, b: 50, c: 0 });
    // b alone feasible: max 1, b 0.
    expect(scores(pod(), ['a', 'b'])).toEqual({ a: 100, b: 0 });
  });

  it('gives every node 100 when none has a PreferNoSchedule taint', () => {
    const { scores } = only('TaintToleration', [node('a'), node('b', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] })]);
    expect(scores(pod())).toEqual({ a: 100, b: 100 });
  });
});
