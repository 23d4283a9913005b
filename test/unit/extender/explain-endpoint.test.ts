// The extender's /debug/explain/node/:name: the same capacity the simulator's time-sharing computes
// for the same state and time (one core), loopback only, 404 without ForecastCapacity.

import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../scheduler/core/clock.ts';
import { TIME_SHARING, TIME_SHARING_FORECAST, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { explainNode, type NodeExplanation } from '../../../scheduler/core/forecast/explain.ts';
import { forecastBookOf } from '../../../scheduler/core/plugins/forecast-capacity.ts';
import { constantProfile, forecastModeProfile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../scheduler/core/timeline.ts';
import { createExtenderApp, startExtender, type RunningExtender } from '../../../scheduler/extender/server.ts';
import { policyByName } from '../../../simulator/policies/index.ts';
import { ToggleSource } from '../../fixtures/extender/cluster.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

const MIN = 60_000;
const NOW = Date.parse('2026-11-11T00:00:00Z');
const PROFILE = forecastModeProfile(constantProfile({ batchShare: 0.3, onlineHeadroom: 0.25 }));

function world(config: PolicyConfig) {
  const state = new ClusterState(config.usage);
  state.upsertNode(node('n1', { allocatable: { cpu: 10_000, memory: 64 * GiB } }), NOW - 60 * MIN);
  state.upsertPod(pod({ uid: 'web', app: 'web', requests: { cpu: 3000, memory: 8 * GiB }, nodeName: 'n1', startedAt: NOW - 60 * MIN }), NOW - 60 * MIN);
  state.upsertPod(batch({ uid: 'b1', name: 'b1', requests: { cpu: 1000, memory: GiB }, nodeName: 'n1', startedAt: NOW - 10 * MIN, expectedRuntimeMs: 40 * MIN }), NOW - 10 * MIN);
  state.recordNodeUsage('n1', { time: NOW - MIN, online: { cpu: 3500, memory: 9 * GiB }, batch: { cpu: 800, memory: GiB } });
  return { state, engine: new PolicyEngine({ config, state, profile: new ProfileTimeline(PROFILE) }) };
}

let server: RunningExtender | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function serve(config: PolicyConfig) {
  const w = world(config);
  const app = createExtenderApp({ log: pino({ level: 'silent' }), engine: w.engine, source: new ToggleSource(w.state, true), clock: new VirtualClock(NOW), registry: new Registry() });
  server = await startExtender(app, { host: '127.0.0.1', port: 0 });
  return server.url;
}

describe('extender /debug/explain/node', () => {
  it('answers the capacity the simulator computes for the same state and time', async () => {
    const url = await serve(TIME_SHARING_FORECAST);
    const r = await fetch(`${url}/debug/explain/node/n1`);
    expect(r.status).toBe(200);
    const x = (await r.json()) as NodeExplanation;
    const sim = world(policyByName('time-sharing').config);
    const y = explainNode(sim.state, sim.state.nodes.get('n1')!, sim.engine.timeline, forecastBookOf(sim.engine.handle), NOW, { target: 0.8, admissionMargin: 0.02, quantile: 0.95 });
    expect(x.capacityNow).toEqual(y.capacityNow);
    expect(x.spans).toEqual(y.spans);
    // 10 cores x (0.8 - 0.02) = 7800 - 3500 (the observed online side: residual 500 over web's 3000m requests) - 1000 (b1) = 3300m.
    expect(x).toMatchObject({ target: 0.8, admissionMargin: 0.02 });
    expect(x.capacityNow.cpu).toBeCloseTo(3300, 6);
    expect((await fetch(`${url}/debug/explain/node/nope`)).status).toBe(404);
  });

  it('404 when the policy has no forecast', async () => {
    const url = await serve(TIME_SHARING);
    expect((await fetch(`${url}/debug/explain/node/n1`)).status).toBe(404);
  });
});
