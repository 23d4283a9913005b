// The volcano-tdm baseline pinned to hand-computed cases of TDM and the agent's oversubscription
// (simulator/peers/volcano-tdm/formula.ts).

import { describe, expect, it } from 'vitest';
import { batchCapacity, predictedNonBatch } from '../../../scheduler/core/capacity.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { parseDailyWindow, planWindowClose, REVOCABLE_ZONE_LABEL, VOLCANO_LEVEL, windowOpen } from '../../../simulator/peers/volcano-tdm/formula.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { DEFAULT_EVICTION_RULES } from '../../../scheduler/core/victims.ts';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { tdmWindowFor, VOLCANO_TDM } from '../../../simulator/peers/volcano-tdm/policy.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

const ZONE = 'Asia/Shanghai';
const at = (local: string) => Date.parse(`${local}+08:00`);
const rules = DEFAULT_EVICTION_RULES;

describe('volcano TDM windows', () => {
  it('parses HH:MM-HH:MM and is open inside it, crossing midnight or not', () => {
    const night = parseDailyWindow('23:00-08:00');
    expect(night).toEqual({ startMinute: 23 * 60, endMinute: 8 * 60 });
    expect(windowOpen(night, at('2026-11-10T23:00:00'), ZONE)).toBe(true);
    expect(windowOpen(night, at('2026-11-11T07:59:00'), ZONE)).toBe(true);
    expect(windowOpen(night, at('2026-11-11T08:00:00'), ZONE)).toBe(false);
    expect(windowOpen(night, at('2026-11-11T12:00:00'), ZONE)).toBe(false);
    const day = parseDailyWindow('10:00-21:00');
    expect(windowOpen(day, at('2026-11-11T12:00:00'), ZONE)).toBe(true);
    expect(windowOpen(day, at('2026-11-11T21:00:00'), ZONE)).toBe(false);
    expect(() => parseDailyWindow('25:00-08:00')).toThrow(/not a time of day/);
    expect(() => parseDailyWindow('night')).toThrow(/HH:MM-HH:MM/);
  });
  it("takes the profile's night as the revocable window", () => {
    expect(tdmWindowFor(loadProfileFile('profiles/daily-tidal.yaml'))).toEqual({ startMinute: 23 * 60, endMinute: 8 * 60 });
  });
});

describe('volcano oversubscription', () => {
  it('batch may hold 60% of what online leaves unused', () => {
    const state = new ClusterState(VOLCANO_TDM.config.usage);
    const n = state.upsertNode(node('n1'), 0); // 16 cores, 64 GiB
    state.recordNodeUsage('n1', { time: 0, online: { cpu: 6000, memory: 24 * GiB }, batch: { cpu: 0, memory: 0 } });
    // (16000 - 6000) x 0.6 = 6000; (64 - 24) GiB x 0.6 = 24 GiB
    const cap = batchCapacity(n, VOLCANO_LEVEL, predictedNonBatch(n, 1000), { cpu: 0, memory: 0 });
    expect(cap.cpu).toBeCloseTo(6000, 6);
    expect(cap.memory).toBeCloseTo(24 * GiB, 0);
  });
});

describe('volcano TDM placement and eviction', () => {
  function cluster() {
    const state = new ClusterState(VOLCANO_TDM.config.usage);
    const ctl = VOLCANO_TDM.controller!(loadProfileFile('profiles/daily-tidal.yaml'));
    for (const name of ['r1', 'r2']) state.upsertNode(ctl.onNodeAdd!(node(name)), 0);
    state.upsertNode(node('plain'), 0);
    return state;
  }
  it('places batch on revocable nodes only while the window is open, online anywhere', () => {
    const state = cluster();
    const profile = loadProfileFile('profiles/daily-tidal.yaml');
    const config = { ...VOLCANO_TDM.config, pluginArgs: { ...VOLCANO_TDM.config.pluginArgs, ...VOLCANO_TDM.pluginArgs!(profile) } };
    const engine = new PolicyEngine({ config, state, profile: VOLCANO_TDM.profileFor(profile), definitions: VOLCANO_TDM.definitions });
    const b = batch({ requests: { cpu: 1000, memory: GiB } });
    const feasible = (t: number, p = b) => engine.filter(engine.context(p, t), null).feasible.map((x) => x.name).sort();
    expect(feasible(at('2026-11-11T01:00:00'))).toEqual(['r1', 'r2']);
    expect(feasible(at('2026-11-11T12:00:00'))).toEqual([]);
    expect(engine.filter(engine.context(b, at('2026-11-11T12:00:00')), ['r1']).unresolvable.get('r1')).toBe('tidal/VolcanoTDM: revocable zone rz1 is closed (window 23:00-08:00)');
    expect(feasible(at('2026-11-11T12:00:00'), pod({ requests: { cpu: 1000, memory: GiB } }))).toEqual(['plain', 'r1', 'r2']);
  });
  it('evicts at most one pod per job per period once the window has closed', () => {
    const state = cluster();
    for (const [job, nodeName, k] of [['j1', 'r1', 3], ['j2', 'r2', 2], ['j3', 'plain', 2]] as const) {
      for (let i = 0; i < k; i++) state.upsertPod(batch({ uid: `${job}-${i}`, name: `${job}-${i}`, ownerName: job, nodeName, startedAt: 1000 + i }), 0);
    }
    const closed = planWindowClose({ state, now: at('2026-11-11T08:01:00'), open: () => false, jobBudget: 1, rules });
    // j3 runs on a node outside the zone: untouched. One pod of j1 and one of j2, the youngest each.
    expect(closed.map((e) => e.pod.uid)).toEqual(['j1-2', 'j2-1']);
    expect(planWindowClose({ state, now: 0, open: () => true, jobBudget: 1, rules })).toEqual([]);
    expect(planWindowClose({ state, now: 0, open: () => false, jobBudget: 2, rules })).toHaveLength(4);
    expect(state.nodes.get('r1')!.spec.labels[REVOCABLE_ZONE_LABEL]).toBe('rz1');
  });
});
