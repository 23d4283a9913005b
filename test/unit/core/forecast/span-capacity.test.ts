// Capacity over a span from the forecast, by hand: min over the span's slots of
// A x target - upper(k) - committed(k); commitments end with a batch pod's declared runtime.

import { describe, expect, it } from 'vitest';
import { SLOT_MS } from '../../../../scheduler/core/app-curves.ts';
import { forecastNode } from '../../../../scheduler/core/forecast/node-forecast.ts';
import { batchCommitments, batchEnd, spanCapacity, spanSlots, type SpanCapacity } from '../../../../scheduler/core/forecast/span-capacity.ts';
import { batch, GiB } from '../../../helpers/core.ts';

const T0 = Date.parse('2026-11-02T00:00:00Z');
const out = (): SpanCapacity => ({ cpu: 0, memory: 0, slotCpu: 0, slotMem: 0 });

/** A forecast whose upper band is 2000m in slots 0-3 and 6000m from slot 4 (a tenant's events), memory 8 GiB. */
function forecast() {
  const events = { events: Array.from({ length: 8 }, (_, k) => (k >= 4 ? [{ window: 'rise', factor: 3, memoryFactor: 3, of: 'requests' as const }] : [])), covered: Uint8Array.from([0, 0, 0, 0, 1, 1, 1, 1]) };
  return forecastNode(
    { key: 'n', start: T0, epoch: 0, slots: 8, tenants: [{ app: 'web', requests: { cpu: 2000, memory: 8 * GiB }, leavesAt: Infinity }], system: { cpu: 0, memory: 0 }, observed: null, events },
    () => null,
    2,
    null,
  );
}

describe('span capacity', () => {
  it('commitments: a batch pod with a declared runtime holds its requests until it ends; without one, throughout; a terminating one only in the current slot (it holds its requests until it is gone)', () => {
    const pods = [
      batch({ requests: { cpu: 1000, memory: GiB }, startedAt: T0 - 10 * 60_000, expectedRuntimeMs: 40 * 60_000 }), // ends 00:30
      batch({ requests: { cpu: 500, memory: GiB }, startedAt: T0 }),
      batch({ requests: { cpu: 4000, memory: GiB }, terminating: true }),
    ];
    const c = batchCommitments(pods, T0, 8, T0 + 60_000);
    expect([...c.cpu]).toEqual([5500, 1500, 500, 500, 500, 500, 500, 500]);
    expect(batchEnd(pods[0]!, T0 + 60 * 60_000)).toBe(T0 + 60 * 60_000 + 1); // past its runtime: still there now
  });

  it('the least free capacity over the span, and the slot where it is reached', () => {
    const f = forecast();
    expect(f.upperCpu[3]).toBe(2000);
    expect(f.upperCpu[4]).toBe(6000);
    const c = batchCommitments([batch({ requests: { cpu: 1000, memory: GiB }, startedAt: T0, expectedRuntimeMs: 30 * 60_000 })], T0, 8, T0);
    // 10000 x 0.9 = 9000: slots 0-1: 9000 - 2000 - 1000 = 6000; slots 2-3: 7000; from slot 4: 3000.
    const one = spanCapacity(f, c, 10_000, 64 * GiB, 0.9, 1, out());
    expect(one).toEqual({ cpu: 6000, memory: 0.9 * 64 * GiB - 8 * GiB - GiB, slotCpu: 0, slotMem: 0 });
    expect(spanCapacity(f, c, 10_000, 64 * GiB, 0.9, 4, out()).cpu).toBe(6000);
    const all = spanCapacity(f, c, 10_000, 64 * GiB, 0.9, 8, out());
    expect(all.cpu).toBe(3000);
    expect(all.slotCpu).toBe(4);
    expect(all.memory).toBe(0.9 * 64 * GiB - 24 * GiB);
    // Never more than any slot's own limit.
    for (let k = 0; k < 8; k++) expect(all.cpu).toBeLessThanOrEqual(9000 - f.upperCpu[k]! - c.cpu[k]!);
  });

  it('span slots: from now\'s slot to the one the runtime ends in, at least 1, at most the horizon', () => {
    const f = forecast();
    expect(spanSlots(f, T0 + 5 * 60_000, 0)).toBe(1);
    expect(spanSlots(f, T0 + 5 * 60_000, 10 * 60_000)).toBe(1);
    expect(spanSlots(f, T0 + 5 * 60_000, 11 * 60_000)).toBe(2);
    expect(spanSlots(f, T0, 100 * SLOT_MS)).toBe(8);
  });
});
