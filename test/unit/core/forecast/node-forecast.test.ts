// The node forecast, computed by hand: tenants' curves summed (correlated within an app), cold-start
// tenants at requests, the residual from the observation, leaving tenants, events, and the band.

import { describe, expect, it } from 'vitest';
import { AppCurves, SLOT_MS, SLOTS_PER_DAY, newDayCurve, type DayCurve } from '../../../../scheduler/core/app-curves.ts';
import { ForecastErrors } from '../../../../scheduler/core/forecast/errors.ts';
import type { SlotEvents } from '../../../../scheduler/core/forecast/events.ts';
import { aboveBand, compiledCurves, forecastNode, zOf, type CurveSource, type NodeForecastInput } from '../../../../scheduler/core/forecast/node-forecast.ts';
import { GiB } from '../../../helpers/core.ts';

const T0 = Date.parse('2026-11-02T00:00:00Z'); // a Monday 00:00 UTC: week slot 0
const flat = (cpu: number, cpuVar: number, mem = GiB, memVar = 0): DayCurve => {
  const c = newDayCurve();
  c.cpu.fill(cpu);
  c.cpuVar.fill(cpuVar);
  c.memory.fill(mem);
  c.memVar.fill(memVar);
  return c;
};
// web: 100m per pod, variance 400 (sd 20); api has no curve (cold start).
const source: CurveSource = (app) => (app === 'web' ? flat(100, 400) : null);
const R = (cpu: number, memory = GiB) => ({ cpu, memory });

function input(over: Partial<NodeForecastInput> = {}): NodeForecastInput {
  return {
    key: 'node/n1',
    start: T0,
    epoch: 0,
    slots: 8,
    tenants: [
      { app: 'web', requests: R(500), leavesAt: Infinity },
      { app: 'web', requests: R(500), leavesAt: Infinity },
      { app: 'api', requests: R(300, 2 * GiB), leavesAt: Infinity },
    ],
    system: R(150, GiB / 2),
    observed: R(700, 5 * GiB),
    events: null,
    ...over,
  };
}

describe('forecastNode', () => {
  it('sums the curves (sd adds linearly within an app), counts cold-start tenants at requests, anchors the residual on the observation', () => {
    const f = forecastNode(input(), source, 2, null);
    // online = 2 x 100 + 300 = 500; residual = 700 - 500 = 200; sd = 2 x 20 = 40; upper = 700 + 2 x 40.
    expect(f.residual).toEqual({ cpu: 200, memory: 5 * GiB - 4 * GiB });
    expect(f.coldStart).toBe(1);
    for (let k = 0; k < 8; k++) {
      expect(f.meanCpu[k]).toBe(700);
      expect(f.sdCpu[k]).toBe(40);
      expect(f.upperCpu[k]).toBe(780);
      // memory: 2 x 1 GiB + 2 GiB (api at requests) + residual 1 GiB, variance 0.
      expect(f.upperMem[k]).toBe(5 * GiB);
    }
  });

  it('without a fresh observation the residual is the system pods\' requests; an observation below the forecast gives residual 0', () => {
    expect(forecastNode(input({ observed: null }), source, 2, null).meanCpu[0]).toBe(500 + 150);
    const low = forecastNode(input({ observed: R(100, GiB) }), source, 2, null);
    expect(low.residual).toEqual({ cpu: 0, memory: 0 });
    expect(low.meanCpu[0]).toBe(500);
  });

  it('a tenant that leaves counts up to the slot it leaves in, not after', () => {
    const tenants = input().tenants.map((t, k) => (k === 0 ? { ...t, leavesAt: T0 + 2 * SLOT_MS } : t));
    const f = forecastNode(input({ tenants }), source, 2, null);
    expect(f.meanCpu[1]).toBe(700);
    expect(f.upperCpu[1]).toBe(780);
    // From slot 2: one web pod (100, sd 20) + api 300 + residual 200 (anchored in slot 0, with both).
    expect(f.meanCpu[2]).toBe(600);
    expect(f.upperCpu[2]).toBe(640);
  });

  it('cold start: an AppCurves without history gives requests for every tenant; with history, the learned level', () => {
    const curves = new AppCurves();
    const cold = forecastNode(input({ observed: null }), compiledCurves(curves, 0), 2, null);
    expect(cold.coldStart).toBe(3);
    expect(cold.meanCpu[5]).toBe(500 + 500 + 300 + 150);
    // One visit of slot 0 at 80m per pod (two samples: 60 and 100 -> variance 400), folded by a later one.
    curves.observe('web', T0, R(60));
    curves.observe('web', T0 + 60_000, R(100));
    curves.observe('web', T0 + SLOT_MS, R(80));
    const warm = forecastNode(input({ observed: null }), compiledCurves(curves, 0), 2, null);
    expect(warm.coldStart).toBe(1);
    expect(warm.meanCpu[0]).toBe(2 * 80 + 300 + 150);
    expect(warm.sdCpu[0]).toBe(2 * 20);
  });

  it('events: x F of the forecast (sd x F), F x requests (sd 0), the plain forecast kept where an event covers a slot in part; memory by its own factor', () => {
    const events: SlotEvents = {
      events: [
        [],
        [{ window: 'flash', factor: 5, memoryFactor: 1.5, of: 'forecast' }],
        [{ window: 'sale', factor: 2, memoryFactor: 2, of: 'requests' }],
        [{ window: 'lull', factor: 0.5, memoryFactor: 0.5, of: 'forecast' }],
        [],
        [],
        [],
        [],
      ],
      covered: Uint8Array.from([0, 1, 1, 0, 0, 0, 0, 0]),
    };
    const f = forecastNode(input({ events }), source, 2, null);
    // Slot 1: online 5 x 500 = 2500, sd 5 x 40 = 200; + residual 200 (slot 0 has no event).
    expect(f.meanCpu[1]).toBe(2700);
    expect(f.upperCpu[1]).toBe(3100);
    // Memory there by 1.5, not 5: 1.5 x (2 x 1 GiB of web's curve + api's 2 GiB requests) + residual
    // 1 GiB (5 GiB observed - 4 GiB in slot 0); the curves' memory variance is 0.
    expect(f.upperMem[1]).toBe(7 * GiB);
    // Slot 2: 2 x (500 + 500 + 300) requests = 2600, sd 0; memory 2 x 4 GiB.
    expect(f.upperCpu[2]).toBe(2800);
    expect(f.upperMem[2]).toBe(8 * GiB + GiB);
    // Slot 3: a lull over part of the slot: the plain forecast is larger and counts.
    expect(f.upperCpu[3]).toBe(780);
  });

  it('the band takes the adaptive margin of the node\'s errors, and aboveBand says by how much usage runs over it', () => {
    const errors = new ForecastErrors({ minSamples: 2 });
    // Observed 100 above the mean in two slots: bias 100, error sd 0.
    errors.observe('node/n1', T0 - 2 * SLOT_MS, R(800), R(700));
    errors.observe('node/n1', T0 - SLOT_MS, R(800), R(700));
    errors.flush();
    const f = forecastNode(input(), source, 2, errors);
    expect(f.marginCpu[0]).toBe(100);
    expect(f.upperCpu[0]).toBe(880);
    expect(aboveBand(f, T0 + 60_000, R(870))).toBeNull();
    expect(aboveBand(f, T0 + 60_000, R(900, 10 * GiB))).toEqual({ cpu: 20, memory: 10 * GiB - 5 * GiB });
    expect(aboveBand(f, T0 + 8 * SLOT_MS, R(1e9))).toBeNull(); // beyond the horizon
  });

  it('the quantile gives z (probit); out-of-range quantiles and horizons are refused', () => {
    expect(zOf(0.95)).toBeCloseTo(1.645, 2);
    expect(zOf(0.99)).toBeCloseTo(2.326, 2);
    expect(() => zOf(0.5)).toThrow(/quantile 0.5 must be in \(0.5, 1\)/);
    expect(() => forecastNode(input({ slots: SLOTS_PER_DAY + 1 }), source, 2, null)).toThrow(/1\.\.96/);
  });
});
