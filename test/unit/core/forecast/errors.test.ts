// Forecast errors and the adaptive margin, by hand: margin = max(0, bias) + z x max(0, sd_e - sd).

import { describe, expect, it } from 'vitest';
import { SLOT_MS } from '../../../../scheduler/core/app-curves.ts';
import { ForecastErrors } from '../../../../scheduler/core/forecast/errors.ts';

const T0 = Date.parse('2026-11-02T00:00:00Z');
const R = (cpu: number, memory = 0) => ({ cpu, memory });
const zero = R(0);

describe('ForecastErrors', () => {
  it('pools a slot\'s samples and folds it when a later slot is observed; late data for a folded slot is ignored', () => {
    const e = new ForecastErrors({ minSamples: 1 });
    e.observe('k', T0, R(150), R(100));
    e.observe('k', T0 + 60_000, R(250), R(100)); // slot error (50 + 150) / 2 = 100
    expect(e.stats('k')).toBeNull(); // still pooling
    e.observe('k', T0 + SLOT_MS, R(100), R(100)); // folds slot 0
    expect(e.stats('k')).toEqual({ n: 1, bias: R(100), sd: R(0) });
    e.observe('k', T0, R(1e9), R(0)); // late: ignored
    e.flush();
    // Slots' errors 100 and 0: bias 50, sd 50.
    expect(e.stats('k')).toEqual({ n: 2, bias: R(50), sd: R(50) });
  });

  it('a forecast that runs low is lifted by its bias; one whose errors spread wider than the band is widened', () => {
    const e = new ForecastErrors({ minSamples: 4 });
    const out = R(0);
    for (let k = 0; k < 4; k++) e.observe('low', T0 + k * SLOT_MS, R(1100, 10), R(1000));
    for (let k = 0; k < 4; k++) e.observe('noisy', T0 + k * SLOT_MS, R(k % 2 ? 1100 : 900), R(1000));
    e.flush();
    expect(e.margin('low', zero, 2, out)).toEqual({ cpu: 100, memory: 10 });
    // Errors +-100: bias 0, sd 100; the band's own sd 30 at z 2: 2 x (100 - 30).
    expect(e.margin('noisy', R(30), 2, out)).toEqual({ cpu: 140, memory: 0 });
    // A band already as wide as the errors gets nothing.
    expect(e.margin('noisy', R(100), 2, out)).toEqual({ cpu: 0, memory: 0 });
  });

  it('no margin until minSamples slots are folded; the margin grows as the error grows', () => {
    const e = new ForecastErrors({ minSamples: 3, alpha: 0.2 });
    const out = R(0);
    const margins: number[] = [];
    for (let k = 0; k < 10; k++) {
      e.observe('n', T0 + k * SLOT_MS, R(1000 + 50 * k), R(1000));
      margins.push(e.margin('n', zero, 2, out).cpu);
    }
    expect(margins.slice(0, 3)).toEqual([0, 0, 0]); // 0, 1, 2 slots folded (the third is still pooling at k = 2)
    expect(margins[3]).toBeGreaterThan(0);
    for (let k = 4; k < 10; k++) expect(margins[k]).toBeGreaterThan(margins[k - 1]!);
    expect(e.margin('unknown', zero, 2, out)).toEqual({ cpu: 0, memory: 0 });
  });
});
