import { describe, expect, it } from 'vitest';
import { selectVictims } from '../../../scheduler/core/preemption.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { compareVictims, notEvictable, DEFAULT_EVICTION_RULES } from '../../../scheduler/core/victims.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');

function cluster() {
  const state = new ClusterState();
  state.upsertNode(node('n1', { allocatable: { cpu: 8000, memory: 32 * GiB } }), NOW);
  const web = pod({ uid: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 4 * GiB }, priority: 9500 });
  const old = batch({ uid: 'old', nodeName: 'n1', requests: { cpu: 2000, memory: 2 * GiB }, startedAt: NOW - 3_600_000 });
  const young = batch({ uid: 'young', nodeName: 'n1', requests: { cpu: 2000, memory: 2 * GiB }, startedAt: NOW - 60_000 });
  const ckpt = batch({ uid: 'ckpt', nodeName: 'n1', requests: { cpu: 1000, memory: GiB }, startedAt: NOW - 7_200_000, checkpointable: true });
  for (const p of [web, old, young, ckpt]) state.upsertPod(p, NOW);
  return state;
}

describe('preemption', () => {
  it('never takes online pods and picks the cheapest batch set that makes room', () => {
    const state = cluster();
    // node: 4 + 2 + 2 + 1 = 9 cores requested of 8; an online pod of 2 cores needs 3 cores freed.
    const preemptor = pod({ requests: { cpu: 2000, memory: GiB }, priority: 9500 });
    const out = selectVictims(state, preemptor, [{ nodeName: 'n1', victims: ['web', 'old'], numPdbViolations: 0 }], NOW);
    expect(out).toHaveLength(1);
    expect(out[0]!.victims).not.toContain('web');
    // cheapest first: ckpt (checkpointable), then young (younger than old); 1 + 2 = 3 cores.
    expect(out[0]!.victims.sort()).toEqual(['ckpt', 'young']);
  });

  it('drops a node where batch alone cannot make room', () => {
    const state = cluster();
    const big = pod({ requests: { cpu: 7000, memory: GiB }, priority: 9500 });
    expect(selectVictims(state, big, [{ nodeName: 'n1', victims: ['web', 'old', 'young', 'ckpt'], numPdbViolations: 0 }], NOW)).toEqual([]);
    expect(selectVictims(state, big, [{ nodeName: 'ghost', victims: ['x'], numPdbViolations: 0 }], NOW)).toEqual([]);
  });

  it('keeps the scheduler proposal when it preempts for something Tidal does not model, if all victims are batch', () => {
    const state = cluster();
    const small = pod({ requests: { cpu: 0, memory: 0 }, priority: 9500 });
    state.removePod('young');
    state.removePod('old');
    expect(selectVictims(state, small, [{ nodeName: 'n1', victims: ['ckpt'], numPdbViolations: 0 }], NOW)[0]!.victims).toEqual(['ckpt']);
    expect(selectVictims(state, small, [{ nodeName: 'n1', victims: ['web'], numPdbViolations: 0 }], NOW)).toEqual([]);
  });

  it('counts PDB violations among the chosen victims', () => {
    const state = cluster();
    state.upsertPdb({ namespace: 'default', name: 'jobs', selector: {}, disruptionsAllowed: 1 });
    const preemptor = pod({ requests: { cpu: 2000, memory: GiB }, priority: 9500 });
    const out = selectVictims(state, preemptor, [{ nodeName: 'n1', victims: ['old'], numPdbViolations: 0 }], NOW);
    // web is online, but the selector {} matches every pod in the namespace; only victims count.
    expect(out[0]!.numPdbViolations).toBe(1);
  });

  it('orders victims cheapest first and refuses what must not be evicted', () => {
    const a = batch({ checkpointable: true, progress: 0.9 });
    const b = batch({ progress: 0.1 });
    const c = batch({ progress: 0.1, startedAt: 5 });
    expect([b, a, c].sort((x, y) => compareVictims(x, y, NOW))).toEqual([a, c, b]);
    expect(notEvictable(pod(), DEFAULT_EVICTION_RULES, NOW)).toBe('online pod');
    expect(notEvictable(batch({ ownerKind: '' }), DEFAULT_EVICTION_RULES, NOW)).toMatch(/bare pod/);
    expect(notEvictable(batch({ hasLocalStorage: true }), DEFAULT_EVICTION_RULES, NOW)).toMatch(/local storage/);
    expect(notEvictable(batch({ hasLocalStorage: true }), { ...DEFAULT_EVICTION_RULES, evictLocalStorage: true }, NOW)).toBeNull();
    expect(notEvictable(batch({ priority: 5000 }), { ...DEFAULT_EVICTION_RULES, priorityThreshold: 5000 }, NOW)).toMatch(/threshold/);
    expect(notEvictable(batch({ terminating: true }), DEFAULT_EVICTION_RULES, NOW)).toMatch(/terminating/);
  });
});
