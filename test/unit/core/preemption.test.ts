import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import type { PodInfo } from '../../../scheduler/core/model.ts';
import {
  candidateWindow,
  nodesWherePreemptionMightHelp,
  pickCandidate,
  planPreemption,
  preemptionScope,
  proposeVictims,
  roomBesideNonBatch,
  selectVictims,
} from '../../../scheduler/core/preemption.ts';
import { constantProfile } from '../../../scheduler/core/profile.ts';
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

/**
 * Nodes of 8 cores and 32 GiB under kube-default (batch counts in requests, as in kube-scheduler):
 *   a-cordoned  web-a 2 cores, batch 6 cores (1 pod)   unschedulable: no eviction helps
 *   n1          web-1 4 cores, b1 3 cores, b2 1 core     full; 3 cores need b1 alone
 *   n2          web-2 3 cores, b3 and b4 2.5 cores each  full; 3 cores need both
 *   n3          web-3 6 cores, b5 2 cores                room beside online is 2 cores only
 *   n4          web-4 8 cores                            no batch at all
 */
function preemptCluster(config: PolicyConfig = KUBE_DEFAULT) {
  const state = new ClusterState();
  const size = { allocatable: { cpu: 8000, memory: 32 * GiB } };
  for (const name of ['a-cordoned', 'n1', 'n2', 'n3', 'n4']) state.upsertNode(node(name, { ...size, unschedulable: name === 'a-cordoned' }), NOW);
  const web = (uid: string, nodeName: string, cpu: number, app = `web-${uid}`) => pod({ uid, nodeName, app, priority: 9500, requests: { cpu, memory: GiB } });
  const job = (uid: string, nodeName: string, cpu: number) => batch({ uid, name: uid, nodeName, requests: { cpu, memory: GiB }, startedAt: NOW - 600_000 });
  const pods: PodInfo[] = [
    web('wa', 'a-cordoned', 2000),
    job('ba', 'a-cordoned', 6000),
    web('w1', 'n1', 4000),
    job('b1', 'n1', 3000),
    job('b2', 'n1', 1000),
    web('w2', 'n2', 3000, 'shop'),
    job('b3', 'n2', 2500),
    job('b4', 'n2', 2500),
    web('w3', 'n3', 6000),
    job('b5', 'n3', 2000),
    web('w4', 'n4', 8000),
  ];
  for (const p of pods) state.upsertPod(p, NOW);
  const engine = new PolicyEngine({ config, state, profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.1 }) });
  return { state, engine };
}

const preemptor = (over: Partial<PodInfo> = {}) => pod({ uid: 'a', app: 'shop', priority: 9500, requests: { cpu: 3000, memory: GiB }, ...over });
const row = (state: ClusterState, name: string) => state.rows.get(name)!;

describe('preemption candidates', () => {
  it('room beside non-batch pods: allocatable minus online and system requests, cpu and memory', () => {
    const { state } = preemptCluster();
    // n1: 8 - 4 = 4 cores beside web-1; 32 - 1 = 31 GiB.
    expect(roomBesideNonBatch(state.table, row(state, 'n1'), preemptor({ requests: { cpu: 4000, memory: GiB } }))).toBe(true);
    expect(roomBesideNonBatch(state.table, row(state, 'n1'), preemptor({ requests: { cpu: 4001, memory: GiB } }))).toBe(false);
    expect(roomBesideNonBatch(state.table, row(state, 'n1'), preemptor({ requests: { cpu: 1000, memory: 31 * GiB + 1 } }))).toBe(false);
    // n3: 8 - 6 = 2 cores; batch requests do not count against the room.
    expect(roomBesideNonBatch(state.table, row(state, 'n3'), preemptor({ requests: { cpu: 2000, memory: GiB } }))).toBe(true);
    expect(roomBesideNonBatch(state.table, row(state, 'n3'), preemptor())).toBe(false);
    // A system pod's victims stand whatever their class: every node may make room for it.
    expect(roomBesideNonBatch(state.table, row(state, 'n4'), preemptor({ class: 'system' }))).toBe(true);
  });

  it('scope: nodes holding batch, in row order; none when no node has room', () => {
    const { state } = preemptCluster();
    expect(preemptionScope(state, preemptor())).toEqual(['a-cordoned', 'n1', 'n2', 'n3']);
    // 7 cores fit beside no node's online pods (the most room is a-cordoned's 6 cores).
    expect(preemptionScope(state, preemptor({ requests: { cpu: 7000, memory: GiB } }))).toEqual([]);
    expect(preemptionScope(state, preemptor({ requests: { cpu: 6000, memory: GiB } }))).toEqual(['a-cordoned', 'n1', 'n2', 'n3']);
  });

  it('preemption might help only where the pod fails, and no unresolvable filter refuses it', () => {
    const { state, engine } = preemptCluster();
    const names = preemptionScope(state, preemptor());
    // a-cordoned is unschedulable (unresolvable); the others fail RequestsFit only.
    expect(nodesWherePreemptionMightHelp(engine, preemptor(), names, NOW)).toEqual(['n1', 'n2', 'n3']);
    // With one "shop" pod per node, n2 fails RequestsFit first but AppStackingLimit further down too.
    const stacking = preemptCluster({ ...KUBE_DEFAULT, pluginArgs: { ...KUBE_DEFAULT.pluginArgs, AppStackingLimit: { maxPodsPerAppPerNode: 1 } } });
    expect(nodesWherePreemptionMightHelp(stacking.engine, preemptor(), names, NOW)).toEqual(['n1', 'n3']);
    // A node where the pod passes is no candidate either.
    expect(nodesWherePreemptionMightHelp(engine, preemptor({ requests: { cpu: 0, memory: 0 } }), names, NOW)).toEqual([]);
  });

  it('window: max(10% of nodes, 100) consecutive possible nodes from the hash of the uid', () => {
    const possible = Array.from({ length: 300 }, (_, k) => `n${k}`);
    // Fewer possible nodes than the window: all of them, in order.
    expect(candidateWindow(possible.slice(0, 100), 500, 'a')).toEqual(possible.slice(0, 100));
    expect(candidateWindow(possible, 3000, 'a')).toEqual(possible);
    // 500 nodes: the absolute minimum, 100. FNV-1a("a") = 0xe40c292c = 3826002220, and 3826002220 mod 300 = 220:
    // n220..n299, then n0..n19.
    expect(candidateWindow(possible, 500, 'a')).toEqual([...possible.slice(220), ...possible.slice(0, 20)]);
    // 1990 nodes: 10% is 199 (rounded down).
    const w = candidateWindow(possible, 1990, 'a');
    expect(w).toHaveLength(199);
    expect(w[0]).toBe('n220');
    expect(w[198]).toBe('n118');
  });

  it('proposals: every lower-priority pod on the nodes with room, nodes without any left out', () => {
    const { state } = preemptCluster();
    expect(proposeVictims(state, preemptor(), ['n1', 'n3', 'n4'])).toEqual([{ nodeName: 'n1', victims: ['b1', 'b2'], numPdbViolations: 0 }]);
    // An online pod of higher priority proposes the online pods too (selectVictims drops them).
    expect(proposeVictims(state, preemptor({ priority: 10_000 }), ['n1'])).toEqual([{ nodeName: 'n1', victims: ['w1', 'b1', 'b2'], numPdbViolations: 0 }]);
    // A pod of the batch pods' priority has nothing to preempt.
    expect(proposeVictims(state, preemptor({ priority: 5000 }), ['n1', 'n2'])).toEqual([]);
  });

  it('pick: fewest victims, then fewest PDB violations, then the first name', () => {
    const c = (nodeName: string, victims: number, numPdbViolations = 0) => ({ nodeName, victims: Array.from({ length: victims }, (_, k) => `${nodeName}-${k}`), numPdbViolations });
    expect(pickCandidate([])).toBeNull();
    expect(pickCandidate([c('a', 3), c('b', 1), c('c', 2)])!.nodeName).toBe('b');
    expect(pickCandidate([c('a', 1, 2), c('b', 1, 1), c('c', 2, 0)])!.nodeName).toBe('b');
    expect(pickCandidate([c('z', 1), c('m', 1), c('q', 1)])!.nodeName).toBe('m');
  });

  it('plans the preemption a kube-scheduler with Tidal as its preempt verb would', () => {
    const { engine } = preemptCluster();
    // n1 needs b1 (3 cores) alone, n2 both of b3 and b4, n3 has no room, a-cordoned cannot help.
    expect(planPreemption(engine, preemptor(), NOW)).toEqual({ nodeName: 'n1', victims: ['b1'], numPdbViolations: 0 });
    // 5 cores: beside its online pods only n2 (5 cores) has room, and a-cordoned, which cannot help.
    expect(planPreemption(engine, preemptor({ requests: { cpu: 5000, memory: GiB } }), NOW)).toEqual({ nodeName: 'n2', victims: ['b3', 'b4'], numPdbViolations: 0 });
    // 4 cores: two victims on n1 (b1, b2) and on n2 (b3, b4); the tie goes to the first name.
    expect(planPreemption(engine, preemptor({ requests: { cpu: 4000, memory: GiB } }), NOW)).toEqual({ nodeName: 'n1', victims: ['b1', 'b2'], numPdbViolations: 0 });
    // 6 cores: only a-cordoned has the room, and it is cordoned.
    expect(planPreemption(engine, preemptor({ requests: { cpu: 6000, memory: GiB } }), NOW)).toBeNull();
  });
});
