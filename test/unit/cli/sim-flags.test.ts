// `tidal simulate`'s measurement flags: each bad value is refused naming its flag, good ones reach the options.

import { describe, expect, it } from 'vitest';
import type { Profile } from '../../../scheduler/core/profile.ts';
import { parseSimFlags, type SimFlags } from '../../../scheduler/cli/simulate.ts';

const profile: Profile = { name: 'p', timeZone: 'UTC', default: { batchShare: 1, onlineHeadroom: 0, drainLeadMs: 0, rampMs: 0 }, windows: [] };
const flags = (over: Partial<SimFlags>): SimFlags =>
  ({ trace: 't', profile: 'p', policy: [], sampleInterval: '5m', deschedulerInterval: '2m', riskThreshold: '0.9', interferenceThreshold: '0.8', nodeUsageStale: '15m', progress: false, ...over }) as SimFlags;

describe('simulate measurement flags', () => {
  it('pass the interference threshold and the staleness of node samples to the simulation', () => {
    const { options } = parseSimFlags(flags({ interferenceThreshold: '0.7', nodeUsageStale: '30m' }), profile);
    expect(options).toMatchObject({ interferenceFraction: 0.7, nodeUsageStaleMs: 30 * 60_000, riskThreshold: 0.9 });
  });
  it('refuse values out of range, naming the flag', () => {
    expect(() => parseSimFlags(flags({ interferenceThreshold: '1.5' }), profile)).toThrow(/--interference-threshold must be a fraction in \(0, 1\]/);
    expect(() => parseSimFlags(flags({ interferenceThreshold: 'x' }), profile)).toThrow(/--interference-threshold/);
    expect(() => parseSimFlags(flags({ nodeUsageStale: '0s' }), profile)).toThrow(/--node-usage-stale must be at least 1s/);
    expect(() => parseSimFlags(flags({ nodeUsageStale: 'soon' }), profile)).toThrow(/--node-usage-stale/);
  });
});
