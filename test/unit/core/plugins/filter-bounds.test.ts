// What Tidal's filters admit at most (FilterPlugin.bound), by hand: on each row the filter refuses a
// pod asking a milli-core (or a byte) more than the bound and admits one asking exactly the bound;
// -Infinity marks a row refusing every pod of the class, null a class the filter does not bound.
// Nodes are 16 cores, 64 GiB, at batchShare 0.5, headroom 0.2 (helpers/plugins.ts world), no usage.

import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT, TIME_SHARING } from '../../../../scheduler/core/config.ts';
import type { FilterPlugin } from '../../../../scheduler/core/framework.ts';
import type { WorkloadClass } from '../../../../scheduler/core/model.ts';
import { BatchCapacityFit } from '../../../../scheduler/core/plugins/batch-capacity.ts';
import { NodeUnschedulable } from '../../../../scheduler/core/plugins/node-unschedulable.ts';
import { PodCountFit } from '../../../../scheduler/core/plugins/pod-count.ts';
import { RequestsFit } from '../../../../scheduler/core/plugins/requests-fit.ts';
import type { Profile } from '../../../../scheduler/core/profile.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { askOn, boundOn, buildFilter, expectRefusesWholeNode, NOW, PEAK_IN_2H, REFUSES_ALL, UNBOUNDED, world, type World } from '../../../helpers/plugins.ts';

const H = 3_600_000;
const ask = (f: FilterPlugin, w: World, name: string, cls: WorkloadClass, cpu: number, memory: number, over = {}) => askOn(f, w, name, cls, cpu, memory, over);

describe('NodeUnschedulable bound', () => {
  const w = world({ nodes: [node('cordoned', { unschedulable: true }), node('open')] });
  const f = buildFilter(NodeUnschedulable, w);

  it('refuses every online and batch pod on a cordoned node, bounds nothing elsewhere, and leaves system pods alone', () => {
    expectRefusesWholeNode(f, w, 'cordoned', 'open');
  });
});

describe('PodCountFit bound', () => {
  // full: maxPods 1 holding one pod; room: maxPods 2 holding one.
  const w = world({
    nodes: [node('full', { maxPods: 1 }), node('room', { maxPods: 2 })],
    pods: [pod({ nodeName: 'full', requests: { cpu: 100, memory: 1 } }), batch({ nodeName: 'room', requests: { cpu: 100, memory: 1 } })],
  });
  const f = buildFilter(PodCountFit, w);

  it('refuses every pod of every class on a full node, bounds nothing on one with a free slot', () => {
    for (const cls of ['online', 'batch', 'system'] as const) {
      expect(boundOn(f, w, cls, 'full')).toEqual(REFUSES_ALL);
      expect(ask(f, w, 'full', cls, 0, 0)).not.toBeNull();
      expect(boundOn(f, w, cls, 'room')).toEqual(UNBOUNDED);
      expect(ask(f, w, 'room', cls, 1000, GiB)).toBeNull();
    }
  });
});

describe('RequestsFit bound', () => {
  // n1 holds an online pod (4 cores, 8 GiB) and a batch pod (10 cores, 8 GiB).
  const tenants = () => [pod({ nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } }), batch({ nodeName: 'n1', requests: { cpu: 10_000, memory: 8 * GiB } })];

  it('under co-location: allocatable less online and system requests (12 cores, 56 GiB) for online and system pods, no bound for batch', () => {
    const w = world({ nodes: [node('n1')], pods: tenants(), config: TIME_SHARING });
    const f = buildFilter(RequestsFit, w);
    for (const cls of ['online', 'system'] as const) {
      expect(boundOn(f, w, cls, 'n1')).toEqual({ cpu: 12_000, memory: 56 * GiB });
      expect(ask(f, w, 'n1', cls, 12_000, 56 * GiB)).toBeNull();
      expect(ask(f, w, 'n1', cls, 12_001, GiB)).not.toBeNull();
      expect(ask(f, w, 'n1', cls, 1000, 56 * GiB + 1)).not.toBeNull();
    }
    expect(boundOn(f, w, 'batch', 'n1')).toBeNull();
  });

  it('without co-location (kube-default): batch counts too, for every class (2 cores, 48 GiB)', () => {
    const w = world({ nodes: [node('n1')], pods: tenants(), config: KUBE_DEFAULT });
    const f = buildFilter(RequestsFit, w);
    for (const cls of ['online', 'batch', 'system'] as const) {
      expect(boundOn(f, w, cls, 'n1')).toEqual({ cpu: 2000, memory: 48 * GiB });
      expect(ask(f, w, 'n1', cls, 2000, 48 * GiB)).toBeNull();
      expect(ask(f, w, 'n1', cls, 2001, GiB)).not.toBeNull();
      expect(ask(f, w, 'n1', cls, 1000, 48 * GiB + 1)).not.toBeNull();
    }
  });
});

describe('BatchCapacityFit bound', () => {
  it('is batchFreeAt at the level now: n1 holds 7 batch cores of the 8-core share (1 core, 25 GiB left); online pods and kube-default get none', () => {
    const w = world({ nodes: [node('n1')], pods: [batch({ nodeName: 'n1', requests: { cpu: 7000, memory: 7 * GiB } })] });
    const f = buildFilter(BatchCapacityFit, w);
    expect(boundOn(f, w, 'batch', 'n1')).toEqual({ cpu: 1000, memory: 25 * GiB });
    expect(ask(f, w, 'n1', 'batch', 1000, 25 * GiB)).toBeNull();
    expect(ask(f, w, 'n1', 'batch', 1001, GiB)).not.toBeNull();
    expect(ask(f, w, 'n1', 'batch', 1000, 25 * GiB + 1)).not.toBeNull();
    expect(boundOn(f, w, 'online', 'n1')).toBeNull();
    const kd = world({ nodes: [node('n1')], config: KUBE_DEFAULT });
    expect(boundOn(buildFilter(BatchCapacityFit, kd), kd, 'batch', 'n1')).toBeNull();
  });

  it('holds for a pod held to its runtime: a peak 2 h ahead only lowers what it gets (8 cores now, 0 for a 3 h job)', () => {
    const w = world({ nodes: [node('n1')], profile: PEAK_IN_2H });
    const f = buildFilter(BatchCapacityFit, w);
    expect(boundOn(f, w, 'batch', 'n1')).toEqual({ cpu: 8000, memory: 32 * GiB });
    expect(ask(f, w, 'n1', 'batch', 8000, 32 * GiB)).toBeNull();
    expect(ask(f, w, 'n1', 'batch', 8001, GiB)).not.toBeNull();
    expect(ask(f, w, 'n1', 'batch', 1000, GiB, { expectedRuntimeMs: 3 * H })).not.toBeNull();
  });

  it('under a level with a capacity model, covers a span that drops the model (the level now without it)', () => {
    // The model caps batch at a quarter of what online leaves unused: min(8000, 0.25 x 16000) = 4000
    // now; a span crossing into the window (no model) is held to the formula alone, 8000.
    const model = { unusedFraction: 0.25 };
    const profile: Profile = {
      name: 'm',
      timeZone: 'UTC',
      default: { batchShare: 0.5, onlineHeadroom: 0, drainLeadMs: 0, rampMs: 0, model },
      windows: [{ name: 'w', priority: 0, index: 0, batchShare: 0.5, onlineHeadroom: 0, drainLeadMs: 0, rampMs: 0, start: NOW + H, end: NOW + 2 * H }],
    };
    const w = world({ nodes: [node('n1')], profile });
    const f = buildFilter(BatchCapacityFit, w);
    // Now (model): min(8000, 0.25 x 16000) = 4000; a 90-minute job's span (no model): 8000.
    expect(ask(f, w, 'n1', 'batch', 4001, GiB)).not.toBeNull();
    expect(ask(f, w, 'n1', 'batch', 8000, GiB, { expectedRuntimeMs: 1.5 * H })).toBeNull();
    expect(boundOn(f, w, 'batch', 'n1')).toEqual({ cpu: 8000, memory: 32 * GiB });
  });
});
