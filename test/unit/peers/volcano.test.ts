// The volcano-tdm baseline pinned to hand-computed cases of TDM and its node agent, each from the
// source file named (volcano-sh/volcano ed72c7c8; simulator/peers/volcano-tdm/formula.ts).

import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import type { NodeTaint } from '../../../scheduler/core/model.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { DEFAULT_EVICTION_RULES } from '../../../scheduler/core/victims.ts';
import { loadProfileFile } from '../../../profiles/loader.ts';
import type { ControllerApi } from '../../../simulator/policies/types.ts';
import { agentUsage } from '../../../simulator/peers/volcano-tdm/controller.ts';
import {
  agentStep,
  newAgentNode,
  oversubscriptionReading,
  parseDailyWindow,
  planWindowClose,
  REVOCABLE_ZONE_LABEL,
  shouldPublish,
  tdmWindowOpen,
  VOLCANO_AGENT,
  weightedHistory,
} from '../../../simulator/peers/volcano-tdm/formula.ts';
import { OVERSUBSCRIPTION_KEYS } from '../../../simulator/peers/volcano-tdm/plugin.ts';
import { tdmWindowFor, VOLCANO_TDM, volcanoPolicy } from '../../../simulator/peers/volcano-tdm/policy.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

const ZONE = 'Asia/Shanghai';
const at = (local: string) => Date.parse(`${local}+08:00`);
const rules = DEFAULT_EVICTION_RULES;
const profile = loadProfileFile('profiles/daily-tidal.yaml');

describe('TDM revocable-zone windows (pkg/scheduler/plugins/tdm/tdm.go parseRevocableZone)', () => {
  it('parses HH:MM-HH:MM', () => {
    expect(parseDailyWindow('23:00-08:00')).toEqual({ startMinute: 23 * 60, endMinute: 8 * 60 });
    expect(() => parseDailyWindow('25:00-08:00')).toThrow(/not a time of day/);
    expect(() => parseDailyWindow('night')).toThrow(/HH:MM-HH:MM/);
  });
  it('opens a window that crosses midnight only from its start to midnight (start anchored today)', () => {
    const night = parseDailyWindow('23:00-08:00');
    expect(tdmWindowOpen(night, at('2026-11-10T23:30:00'), ZONE)).toBe(true);
    // 01:00: today's start, 23:00, lies ahead: closed, though "23:00-08:00" reads as open.
    expect(tdmWindowOpen(night, at('2026-11-11T01:00:00'), ZONE)).toBe(false);
    expect(tdmWindowOpen(night, at('2026-11-11T12:00:00'), ZONE)).toBe(false);
  });
  it('holds both ends inclusive (now < start or now > end is closed)', () => {
    const w = parseDailyWindow('00:00-08:00');
    expect(tdmWindowOpen(w, at('2026-11-11T00:00:00'), ZONE)).toBe(true);
    expect(tdmWindowOpen(w, at('2026-11-11T08:00:00'), ZONE)).toBe(true);
    expect(tdmWindowOpen(w, at('2026-11-11T08:00:01'), ZONE)).toBe(false);
  });
  it("configures the longer side of midnight of the profile's night: 23:00-08:00 -> 00:00-08:00", () => {
    expect(tdmWindowFor(profile)).toEqual({ startMinute: 0, endMinute: 8 * 60 });
  });
});

describe('volcano-agent oversubscription (extend.go CalOverSubscriptionResources, resource_calculator.go)', () => {
  it('reads 60% of what every pod leaves unused, batch included', () => {
    // 16 cores, online 6 cores, batch 3 cores: (16000 - 9000) x 60 / 100 = 4200; the online-only
    // formula gave (16000 - 6000) x 0.6 = 6000.
    expect(oversubscriptionReading(16_000, 6000 + 3000, 0.6)).toBe(4200);
    expect(oversubscriptionReading(16_000, 17_000, 0.6)).toBe(0);
  });
  it('publishes the mean of the last ten readings, oldest weighing 1 and each newer twice as much', () => {
    // Nine readings of 0 then one of 1023: 1023 x 512 / (1 + 2 + ... + 512 = 1023) = 512.
    expect(weightedHistory([0, 0, 0, 0, 0, 0, 0, 0, 0, 1023])).toBe(512);
    // Two readings, 100 then 400: (100 + 800) / 3 = 300.
    expect(weightedHistory([100, 400])).toBe(300);
    expect(weightedHistory([])).toBeNull();
  });
  it('keeps ten readings and rewrites the node on a >10% move or every 6th report (policy.go, resource_reporter.go)', () => {
    const n = newAgentNode();
    const a = { cpu: 16_000, memory: 64 * GiB };
    const first = agentStep(n, a, { cpu: 6000, memory: 24 * GiB }, 0.6);
    expect(first.publish).toEqual({ cpu: 6000, memory: 24 * GiB });
    for (let k = 0; k < 12; k++) agentStep(n, a, { cpu: 6000, memory: 24 * GiB }, 0.6);
    expect(n.readings).toHaveLength(VOLCANO_AGENT.historySize);
    expect(shouldPublish({ cpu: 1000, memory: 1000 }, { cpu: 1100, memory: 1000 }, 1)).toBe(false);
    expect(shouldPublish({ cpu: 1000, memory: 1000 }, { cpu: 1101, memory: 1000 }, 1)).toBe(true);
    expect(shouldPublish({ cpu: 1000, memory: 1000 }, { cpu: 1000, memory: 1000 }, 6)).toBe(true);
  });
});

describe('volcano-agent eviction watermarks (config/utils/utils.go, nodemonitor/node_monitor.go)', () => {
  const a = { cpu: 10_000, memory: 100 * GiB };
  it('calls for eviction on the 6th consecutive reading at or above 80% CPU', () => {
    const n = newAgentNode();
    for (let k = 0; k < 5; k++) expect(agentStep(n, a, { cpu: 8000, memory: 10 * GiB }, 0.6).pressure).toEqual([]);
    expect(agentStep(n, a, { cpu: 8000, memory: 10 * GiB }, 0.6).pressure).toEqual(['cpu']);
    // One reading under the mark resets the count.
    expect(agentStep(n, a, { cpu: 7999, memory: 10 * GiB }, 0.6).pressure).toEqual([]);
    expect(n.highCount.cpu).toBe(0);
  });
  it('presses on memory from 60%, and is all-low only at or below 30% of both', () => {
    const n = newAgentNode();
    let s = agentStep(n, a, { cpu: 1000, memory: 60 * GiB }, 0.6);
    for (let k = 0; k < 5; k++) s = agentStep(n, a, { cpu: 1000, memory: 60 * GiB }, 0.6);
    expect(s.pressure).toEqual(['memory']);
    expect(agentStep(n, a, { cpu: 3000, memory: 31 * GiB }, 0.6).allLow).toBe(false);
    expect(agentStep(n, a, { cpu: 3000, memory: 30 * GiB }, 0.6).allLow).toBe(true);
  });
});

/** A ControllerApi over a bare ClusterState: evicting removes the pod (its usage goes with it). */
function fakeApi(state: ClusterState, log: string[]): ControllerApi {
  return {
    state,
    engine: null as never,
    timeline: null as never,
    pending: () => [],
    evict: (uid, reason) => {
      if (!state.pods.has(uid)) return false;
      state.removePod(uid);
      log.push(`${reason}:${uid}`);
      return true;
    },
    setNodeLabels: (name, labels) => void state.upsertNode({ ...state.nodes.get(name)!.spec, labels: { ...labels } }, 0),
    setNodeTaints: (name, taints: readonly NodeTaint[]) => void state.upsertNode({ ...state.nodes.get(name)!.spec, taints: [...taints] }, 0),
    rateAvailable: () => Infinity,
    rateTake: () => {},
  };
}

describe('volcano-agent on a node (controller.ts)', () => {
  function setup() {
    const state = new ClusterState(VOLCANO_TDM.config.usage);
    const ctl = VOLCANO_TDM.controller!(profile);
    state.upsertNode(ctl.onNodeAdd!(node('r1', { allocatable: { cpu: 10_000, memory: 100 * GiB } })), 0);
    const t0 = at('2026-11-11T01:00:00');
    state.upsertPod(batch({ uid: 'small', ownerName: 'j1', nodeName: 'r1', requests: { cpu: 1000, memory: GiB } }), t0);
    state.upsertPod(batch({ uid: 'big', ownerName: 'j2', nodeName: 'r1', requests: { cpu: 3000, memory: GiB } }), t0);
    // Online 6 cores, batch 2.5 cores: 85 % CPU, memory 20 %.
    state.recordNodeUsage('r1', { time: t0, online: { cpu: 6000, memory: 10 * GiB }, batch: { cpu: 2500, memory: 10 * GiB } });
    state.recordPodUsage('small', { cpu: 500, memory: 5 * GiB });
    state.recordPodUsage('big', { cpu: 2000, memory: 5 * GiB });
    return { state, ctl, t0 };
  }
  it("reads the online side from the sample and batch from the pods still there", () => {
    const { state } = setup();
    expect(agentUsage(state.nodes.get('r1')!, state.podUsage)).toEqual({ cpu: 8500, memory: 20 * GiB });
  });
  it('publishes the oversubscription on the node: (10000 - 8500) x 0.6 = 900 millicores', () => {
    const { state, ctl, t0 } = setup();
    ctl.tick(fakeApi(state, []), t0);
    expect(state.nodes.get('r1')!.spec.labels[OVERSUBSCRIPTION_KEYS.cpu]).toBe('900');
    expect(state.nodes.get('r1')!.spec.labels[OVERSUBSCRIPTION_KEYS.memory]).toBe(String(Math.floor(80 * GiB * 0.6)));
  });
  it('after 6 high readings taints the node and evicts the largest CPU request; the taint holds above 30% and keeps online pods off', () => {
    const { state, ctl, t0 } = setup();
    const log: string[] = [];
    const api = fakeApi(state, log);
    for (let k = 0; k < 5; k++) ctl.tick(api, t0 + k * 10_000);
    expect(log).toEqual([]);
    ctl.tick(api, t0 + 50_000);
    expect(log).toEqual(['watermark:big']);
    expect(state.nodes.get('r1')!.spec.taints).toEqual([{ key: 'volcano.sh/offline-job-evicting', value: 'true', effect: 'NoSchedule' }]);
    // 6000 + 500 = 65 %: no more pressure, not low either: the taint stays.
    ctl.tick(api, t0 + 60_000);
    expect(log).toEqual(['watermark:big']);
    const config = { ...VOLCANO_TDM.config, pluginArgs: { ...VOLCANO_TDM.config.pluginArgs, ...VOLCANO_TDM.pluginArgs!(profile) } };
    const engine = new PolicyEngine({ config, state, profile: VOLCANO_TDM.profileFor(profile), definitions: VOLCANO_TDM.definitions });
    const online = pod({ requests: { cpu: 100, memory: GiB } });
    expect(engine.filter(engine.context(online, t0 + 60_000), ['r1']).unresolvable.get('r1')).toBe('tidal/TaintToleration: node(s) had untolerated taint {volcano.sh/offline-job-evicting: true}');
    // A new sample at 25 % CPU, 15 % memory: every resource at or below 30 %: the taint comes off.
    state.recordNodeUsage('r1', { time: t0 + 65_000, online: { cpu: 2000, memory: 10 * GiB }, batch: { cpu: 500, memory: 5 * GiB } });
    ctl.tick(api, t0 + 70_000);
    expect(state.nodes.get('r1')!.spec.taints).toEqual([]);
    expect(engine.filter(engine.context(online, t0 + 70_000), ['r1']).feasible.map((n) => n.name)).toEqual(['r1']);
  });
});

describe('volcano-agent with the watermarks turned off (the sweep knob watermarks=0)', () => {
  it('publishes the oversubscription but neither taints nor evicts', () => {
    const state = new ClusterState(VOLCANO_TDM.config.usage);
    const ctl = volcanoPolicy({ watermarks: 0 }).controller!(profile);
    state.upsertNode(ctl.onNodeAdd!(node('r1', { allocatable: { cpu: 10_000, memory: 100 * GiB } })), 0);
    const t0 = at('2026-11-11T01:00:00');
    state.upsertPod(batch({ uid: 'big', nodeName: 'r1', requests: { cpu: 3000, memory: GiB } }), t0);
    state.recordNodeUsage('r1', { time: t0, online: { cpu: 6000, memory: 10 * GiB }, batch: { cpu: 2500, memory: 10 * GiB } });
    state.recordPodUsage('big', { cpu: 2500, memory: 10 * GiB });
    const log: string[] = [];
    for (let k = 0; k < 8; k++) ctl.tick(fakeApi(state, log), t0 + k * 10_000);
    expect(log).toEqual([]);
    expect(state.nodes.get('r1')!.spec.taints).toBeUndefined();
    expect(state.nodes.get('r1')!.spec.labels[OVERSUBSCRIPTION_KEYS.cpu]).toBe('900');
  });
});

describe('volcano TDM placement and eviction', () => {
  function cluster() {
    const state = new ClusterState(VOLCANO_TDM.config.usage);
    const ctl = VOLCANO_TDM.controller!(profile);
    for (const name of ['r1', 'r2']) state.upsertNode(ctl.onNodeAdd!(node(name, { labels: { [OVERSUBSCRIPTION_KEYS.cpu]: '4000', [OVERSUBSCRIPTION_KEYS.memory]: String(16 * GiB) } })), 0);
    state.upsertNode(node('plain'), 0);
    return state;
  }
  function engineFor(state: ClusterState, p = VOLCANO_TDM) {
    const config = { ...p.config, pluginArgs: { ...p.config.pluginArgs, ...p.pluginArgs!(profile) } };
    return new PolicyEngine({ config, state, profile: p.profileFor(profile), definitions: p.definitions });
  }
  it('places batch on revocable nodes only while the window is open and within the published oversubscription', () => {
    const state = cluster();
    const engine = engineFor(state);
    const b = batch({ requests: { cpu: 1000, memory: GiB } });
    const feasible = (t: number, p = b) => engine.filter(engine.context(p, t), null).feasible.map((x) => x.name).sort();
    expect(feasible(at('2026-11-11T01:00:00'))).toEqual(['r1', 'r2']);
    expect(feasible(at('2026-11-11T12:00:00'))).toEqual([]);
    expect(engine.filter(engine.context(b, at('2026-11-11T12:00:00')), ['r1']).unresolvable.get('r1')).toBe('tidal/VolcanoTDM: revocable zone rz1 is closed (window 00:00-08:00)');
    expect(feasible(at('2026-11-11T12:00:00'), pod({ requests: { cpu: 1000, memory: GiB } }))).toEqual(['plain', 'r1', 'r2']);
    // 3 cores of batch already on r1: 4000 - 3000 = 1000 left, a 1.5-core pod fits only on r2.
    state.upsertPod(batch({ uid: 'on-r1', nodeName: 'r1', requests: { cpu: 3000, memory: GiB } }), 0);
    expect(feasible(at('2026-11-11T01:00:00'), batch({ requests: { cpu: 1500, memory: GiB } }))).toEqual(['r2']);
  });
  it('with foresight keeps the zone closed through the profile\'s peak', () => {
    const d11 = loadProfileFile('profiles/double11.yaml');
    const state = cluster();
    const p = volcanoPolicy({ foresight: 1 });
    const mk = (q: typeof p) => new PolicyEngine({ config: { ...q.config, pluginArgs: { ...q.config.pluginArgs, ...q.pluginArgs!(d11) } }, state, profile: q.profileFor(d11), definitions: q.definitions });
    const b = batch({ requests: { cpu: 1000, memory: GiB } });
    const feasible = (e: PolicyEngine, t: number) => e.filter(e.context(b, t), null).feasible.map((x) => x.name).sort();
    // 01:00 on 11 November is inside the double11-peak window (23:00-02:00), 01:00 on the 13th is not.
    expect(feasible(mk(VOLCANO_TDM), at('2026-11-11T01:00:00'))).toEqual(['r1', 'r2']);
    expect(feasible(mk(p), at('2026-11-11T01:00:00'))).toEqual([]);
    expect(feasible(mk(p), at('2026-11-13T01:00:00'))).toEqual(['r1', 'r2']);
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
