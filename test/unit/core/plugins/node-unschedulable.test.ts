// NodeUnschedulable by hand: a cordoned node refuses online and batch pods, unresolvably; system
// pods are left to kube-scheduler (the filter has nothing to say about them).

import { describe, expect, it } from 'vitest';
import { argsIssues } from '../../../../scheduler/core/registry.ts';
import { NodeUnschedulable } from '../../../../scheduler/core/plugins/node-unschedulable.ts';
import { batch, node, pod } from '../../../helpers/core.ts';
import { buildFilter, messageOn, verdictOn, world } from '../../../helpers/plugins.ts';

describe('NodeUnschedulable', () => {
  const w = world({ nodes: [node('open'), node('cordoned', { unschedulable: true })] });
  const f = buildFilter(NodeUnschedulable, w);

  it('refuses online and batch pods on a cordoned node, unresolvably, and passes an open one', () => {
    for (const p of [pod(), batch()]) {
      const ctx = w.ctx(p);
      expect(verdictOn(f, w, ctx, 'open')).toBeNull();
      const v = verdictOn(f, w, ctx, 'cordoned');
      expect(v).toMatchObject({ plugin: 'NodeUnschedulable', reason: 'node is cordoned (spec.unschedulable)', unresolvable: true });
      expect(messageOn(f, w, ctx, 'cordoned')).toBe('tidal/NodeUnschedulable: node is cordoned (spec.unschedulable)');
    }
  });

  it('says nothing about system pods', () => {
    expect(verdictOn(f, w, w.ctx(pod({ class: 'system' })), 'cordoned')).toBe('n/a');
  });

  it('signs nothing of the pod (the row and the class decide) and takes no args', () => {
    expect(f.signature!(w.ctx(pod()))).toBe('');
    expect(NodeUnschedulable.defaults).toBeNull();
    expect(NodeUnschedulable.fields).toBeUndefined();
    expect(argsIssues(NodeUnschedulable, null)).toEqual([]);
  });
});
