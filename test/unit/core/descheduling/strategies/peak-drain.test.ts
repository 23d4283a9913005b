// Peak drain's needs, hand-computed: excess = batch requests - leaving batch - batchCapacity(level).

import { describe, expect, it } from 'vitest';
import { peakDrainNeeds, summarizeLevel } from '../../../../../scheduler/core/descheduling/strategies/peak-drain.ts';
import { constantProfile, type Profile } from '../../../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../../../scheduler/core/timeline.ts';
import { batch, GiB, node, pod } from '../../../../helpers/core.ts';

const H = 3_600_000;
const NOW = Date.parse('2026-11-10T12:00:00Z');

/** n1: 16 cores, 64 GiB, web 4000m / 8 GiB, six batch pods of 1000m / 4 GiB (b0 youngest). */
function cluster() {
  const state = new ClusterState();
  state.upsertNode(node('n1'), NOW);
  state.upsertNode(node('idle'), NOW);
  state.upsertPod(pod({ uid: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } }), NOW);
  for (let i = 0; i < 6; i++) state.upsertPod(batch({ uid: `b${i}`, nodeName: 'n1', requests: { cpu: 1000, memory: 4 * GiB }, startedAt: NOW - (i + 1) * 60_000 }), NOW);
  return state;
}
const at = (profile: Profile, t = NOW) => new ProfileTimeline(profile).at(t);

describe('peak drain strategy', () => {
  it('states the batch over capacity per resource, on the nodes that have it only', () => {
    const state = cluster();
    // cpu: min(16000 x 0.25, 16000 x 0.9 - 4000) = 4000 -> 6000 - 4000 = 2000
    // memory: min(64 x 0.25, 64 x 0.9 - 8) = 16 GiB -> 24 - 16 = 8 GiB
    const needs = peakDrainNeeds({ state, now: NOW, level: at(constantProfile({ batchShare: 0.25, onlineHeadroom: 0.1 })), inFlight: new Set() });
    expect(needs).toHaveLength(1);
    const [n] = needs;
    expect(n!.node.name).toBe('n1');
    expect(n!.reason).toBe('peak-drain');
    expect(n!.initial).toEqual({ cpu: 2000, memory: 8 * GiB });
    expect(n!.severity).toBe(Math.max(2000 / 16000, 8 / 64));
    expect(n!.message()).toBe('Tidal peak drain: batch on n1 exceeds its capacity at batchShare 0.25, onlineHeadroom 0.10 (window default)');
  });

  it('does not count batch already leaving (terminating or in flight)', () => {
    const state = cluster();
    state.upsertPod({ ...state.pods.get('b5')!, terminating: true }, NOW);
    const lv = at(constantProfile({ batchShare: 0.25, onlineHeadroom: 0.1 }));
    // 6000 - 1000 (b5) - 1000 (b4) - 4000 = 0 cpu; memory 24 - 8 - 16 = 0.
    expect(peakDrainNeeds({ state, now: NOW, level: lv, inFlight: new Set(['b4']) })).toEqual([]);
    // One pod leaving: 1000m and 4 GiB over.
    expect(peakDrainNeeds({ state, now: NOW, level: lv, inFlight: new Set() })[0]!.initial).toEqual({ cpu: 1000, memory: 4 * GiB });
  });

  it('is paid down by requests, and helps only with a resource still short', () => {
    const state = cluster();
    // cpu: min(16000 x 0.4, 16000 x 0.5 - 4000) = 4000 -> 2000 over; memory: min(25.6, 32 - 8) = 24 GiB,
    // the batch's 24 GiB: none over.
    const [n] = peakDrainNeeds({ state, now: NOW, level: at(constantProfile({ batchShare: 0.4, onlineHeadroom: 0.5 })), inFlight: new Set() });
    expect(n!.initial).toEqual({ cpu: 2000, memory: 0 });
    const memOnly = batch({ requests: { cpu: 0, memory: GiB } });
    expect(n!.helps(memOnly)).toBe(false);
    const b0 = state.pods.get('b0')!;
    expect(n!.helps(b0)).toBe(true);
    n!.take(b0);
    expect(n!.unmet()).toBe(true);
    expect(n!.remaining()).toEqual({ cpu: 1000, memory: 0 });
    n!.take(state.pods.get('b1')!);
    expect(n!.unmet()).toBe(false);
    expect(n!.helps(b0)).toBe(false);
    expect(n!.remaining()).toEqual({ cpu: 0, memory: 0 });
  });

  it('drains ahead of a coming window, and says so', () => {
    const peak: Profile = {
      name: 'p',
      timeZone: 'UTC',
      default: { batchShare: 0.5, onlineHeadroom: 0.1, drainLeadMs: 0, rampMs: 0 },
      windows: [{ name: 'peak', priority: 0, index: 0, batchShare: 0, onlineHeadroom: 0.5, drainLeadMs: H, rampMs: 2 * H, start: NOW + 3 * H, end: NOW + 5 * H }],
    };
    const lv = at(peak, NOW + 2 * H); // the lead time: the peak's level already
    expect(summarizeLevel(lv)).toEqual({ batchShare: 0, onlineHeadroom: 0.5, window: 'default', drainingFor: 'peak' });
    const [n] = peakDrainNeeds({ state: cluster(), now: NOW + 2 * H, level: lv, inFlight: new Set() });
    expect(n!.initial).toEqual({ cpu: 6000, memory: 24 * GiB });
    expect(n!.message()).toMatch(/at batchShare 0\.00, onlineHeadroom 0\.50 \(draining ahead of window peak\)$/);
  });
});
