// A profile can validate and still not mean what it says: each of these is a warning naming the
// window and what Tidal will do; overlaps are listed in time order.

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../profiles/loader.ts';
import { findOverlaps } from '../../../profiles/overlaps.ts';
import { profileWarnings } from '../../../profiles/warnings.ts';

const head = (zone: string, def = 'batchShare: 0.3\n    onlineHeadroom: 0.2') => `apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: ${zone}\n  default:\n    ${def}\n  windows:\n`;
const FROM = Date.parse('2026-01-01T00:00:00Z');

describe('profile warnings', () => {
  it('a window whose start equals its end (read as 24 h)', () => {
    const p = parseProfile(head('UTC') + '    - name: night\n      batchShare: 0.6\n      schedule: {start: "02:00", end: "02:00"}\n');
    expect(profileWarnings(p, FROM)).toEqual(['window "night" (line 11): schedule start equals end (02:00): read as a whole day (24 h), so it covers every window it outranks on its days']);
  });

  it('a window in a daylight-saving gap', () => {
    const p = parseProfile(head('Europe/Berlin') + '    - name: early\n      batchShare: 0.6\n      schedule: {days: [Sun], start: "02:30", end: "04:00"}\n');
    expect(profileWarnings(p, FROM)).toEqual(['window "early" (line 11): 02:30 on 2026-03-29 does not exist in Europe/Berlin (a daylight-saving gap): the window moves by the gap there']);
  });

  it('batchShare + onlineHeadroom above 1', () => {
    const p = parseProfile(head('UTC', 'batchShare: 0.7\n    onlineHeadroom: 0.4') + '    - name: w\n      batchShare: 0.9\n      schedule: {start: "01:00", end: "02:00"}\n');
    const w = profileWarnings(p, FROM);
    expect(w[0]).toMatch(/^spec.default: batchShare 0.7 \+ onlineHeadroom 0.4 = 1.1 > 1/);
    expect(w[1]).toMatch(/^window "w" \(line 11\): batchShare 0.9 \+ onlineHeadroom 0.4 = 1.3 > 1/);
  });

  it('none for the shipped profiles', async () => {
    const { loadProfileFile } = await import('../../../profiles/loader.ts');
    for (const f of ['daily-tidal', 'double11']) expect(profileWarnings(loadProfileFile(new URL(`../../../profiles/${f}.yaml`, import.meta.url).pathname), FROM), f).toEqual([]);
  });

  it('overlaps come in time order', () => {
    const p = parseProfile(
      head('UTC') +
        '    - name: long\n      batchShare: 0.5\n      schedule: {start: "00:00", end: "12:00"}\n' +
        '    - name: mid\n      batchShare: 0.55\n      schedule: {start: "01:00", end: "05:00"}\n' +
        '    - name: late\n      batchShare: 0.6\n      schedule: {start: "10:00", end: "11:00"}\n' +
        '    - name: early\n      batchShare: 0.7\n      schedule: {start: "02:00", end: "03:00"}\n',
    );
    const o = findOverlaps(p, FROM, FROM + 86_400_000);
    expect(o.map((x) => x.start)).toEqual([...o.map((x) => x.start)].sort((a, b) => a - b));
    expect(o.map((x) => [x.a.name, x.b.name])).toEqual([['long', 'mid'], ['long', 'early'], ['mid', 'early'], ['long', 'late']]);
  });
});

describe('profile warnings for dated windows', () => {
  const dated = (start: string, end: string) => parseProfile(head('Europe/Berlin') + `    - name: sale\n      batchShare: 0.1\n      start: "${start}"\n      ${end}\n`);

  it('a start in a daylight-saving gap: said, with the time the zone rules move it to', () => {
    expect(profileWarnings(dated('2026-03-29T02:30', 'end: "2026-03-29T05:00"'), FROM)).toEqual([
      'window "sale" (line 11): start 2026-03-29T02:30 does not exist in Europe/Berlin (a daylight-saving gap): the zone rules move it to 2026-03-29T03:30+02:00',
    ]);
    // With a duration the end follows the moved start: only the start was written in the gap.
    expect(profileWarnings(dated('2026-03-29T02:00', 'duration: 2h'), FROM)).toEqual([
      'window "sale" (line 11): start 2026-03-29T02:00 does not exist in Europe/Berlin (a daylight-saving gap): the zone rules move it to 2026-03-29T03:00+02:00',
    ]);
  });

  it('an end in a gap, and none for times that exist or carry an offset', () => {
    expect(profileWarnings(dated('2026-03-28T22:00', 'end: "2026-03-29T02:15"'), FROM)).toEqual([
      'window "sale" (line 11): end 2026-03-29T02:15 does not exist in Europe/Berlin (a daylight-saving gap): the zone rules move it to 2026-03-29T03:15+02:00',
    ]);
    expect(profileWarnings(dated('2026-03-29T01:59', 'end: "2026-03-29T03:00"'), FROM)).toEqual([]);
    expect(profileWarnings(dated('2026-03-29T02:30+01:00', 'end: "2026-03-29T05:00Z"'), FROM)).toEqual([]);
    // The autumn overlap (02:30 happens twice) is no gap.
    expect(profileWarnings(dated('2026-10-25T02:30', 'end: "2026-10-25T04:00"'), FROM)).toEqual([]);
  });
});
