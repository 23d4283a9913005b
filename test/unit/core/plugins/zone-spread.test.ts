// ZoneSpread by hand: the zone holding the fewest of the app's pods scores 100, the most 0, between
// them linearly (normalised over the zones of the feasible nodes); a node without a zone, and any node
// when every zone holds as many, scores 100.

import { describe, expect, it } from 'vitest';
import { ZoneSpread } from '../../../../scheduler/core/plugins/zone-spread.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildScore, scoresOn, world } from '../../../helpers/plugins.ts';

const shop = (nodeName = '') => pod({ nodeName, app: 'shop', requests: { cpu: 100, memory: GiB } });

describe('ZoneSpread', () => {
  // shop: 2 pods in zone a, 1 in b, none in c; other apps do not count.
  const w = world({
    nodes: [node('a1', { zone: 'a' }), node('a2', { zone: 'a' }), node('b1', { zone: 'b' }), node('c1', { zone: 'c' }), node('none', { zone: '' })],
    pods: [shop('a1'), shop('a2'), shop('b1'), pod({ nodeName: 'c1', app: 'web', requests: { cpu: 100, memory: GiB } })],
  });
  const s = buildScore(ZoneSpread, w);

  it('scores 100 x (max - count) / (max - min) over the feasible nodes\' zones', () => {
    expect(scoresOn(s, w, w.ctx(shop()), ['a1', 'a2', 'b1', 'c1', 'none'])).toEqual([0, 0, 50, 100, 100]);
    // Without c among the feasible nodes, b is the least loaded zone.
    expect(scoresOn(s, w, w.ctx(shop()), ['a1', 'b1'])).toEqual([0, 100]);
    // An app with no pods anywhere: every zone equal.
    expect(scoresOn(s, w, w.ctx(pod({ app: 'new' })), ['a1', 'b1', 'c1'])).toEqual([100, 100, 100]);
  });

  it('spreads an app across two zones (moved from the engine test)', () => {
    const two = world({ nodes: [node('a1', { zone: 'a' }), node('b1', { zone: 'b' })], pods: [shop('a1')] });
    expect(scoresOn(buildScore(ZoneSpread, two), two, two.ctx(shop()), ['a1', 'b1'])).toEqual([0, 100]);
  });

  it('scoreInto adds exactly w x score per row', () => {
    const ctx = w.ctx(shop());
    const names = ['a1', 'b1', 'c1', 'none'];
    const rows = Int32Array.from(names.map((n) => w.row(ctx, n)));
    const prepared = s.prepare!(ctx, rows);
    const out = new Float64Array([1, 1, 1, 1]);
    s.scoreInto!(ctx, rows, rows.length, prepared, 0.5, out);
    expect([...out]).toEqual([1, 26, 51, 51]);
  });

  it('scores online pods only, is never cached (no signature) and reads no prediction', () => {
    expect(s.appliesTo(w.ctx(batch({ app: 'shop' })))).toBe(false);
    expect(s.signature).toBeUndefined();
    expect(s.readsPrediction).toBe(false);
    expect(ZoneSpread.classes).toEqual(['online']);
  });
});
