// Online pods of one app spread across zones: the zone holding the fewest of the app's pods scores
// highest, normalised between the least and most loaded zone among the feasible nodes (as
// PodTopologySpread's scoring). Nodes without a zone label score as the least loaded zone.

import { MAX_SCORE, statelessScore } from '../framework.ts';

interface Prepared {
  min: number;
  max: number;
  /** The app's pods per zone id (table.zone). */
  counts: Float64Array;
}

export const ZoneSpread = statelessScore<Prepared>('ZoneSpread', "online pods of one app spread across zones (normalised over the feasible nodes: never cached)", ['online'], {
  name: 'ZoneSpread',
  readsPrediction: false,
  appliesTo: (ctx) => ctx.pod.class === 'online',
  prepare(ctx, rows) {
    const zoneNames = ctx.state.zoneNames;
    const counts = new Float64Array(zoneNames.length);
    const byZone = ctx.state.appZoneCounts.get(ctx.pod.app);
    if (byZone) for (const [zone, n] of byZone) counts[ctx.state.zoneId(zone)] = n;
    // Zones present among the feasible nodes: few zones, many nodes.
    const present = new Uint8Array(zoneNames.length);
    const zone = ctx.t.zone;
    let min = Infinity;
    let max = 0;
    for (let k = 0; k < rows.length; k++) {
      const z = zone[rows[k]!]!;
      if (z < 0 || present[z]) continue;
      present[z] = 1;
      const c = counts[z]!;
      if (c < min) min = c;
      if (c > max) max = c;
    }
    return { min: min === Infinity ? 0 : min, max, counts };
  },
  score(ctx, i, p) {
    const z = ctx.t.zone[i]!;
    if (z < 0 || p.max === p.min) return MAX_SCORE;
    return (MAX_SCORE * (p.max - p.counts[z]!)) / (p.max - p.min);
  },
  scoreInto(ctx, rows, n, p, w, out) {
    // One value per zone (the score depends on the row's zone only), as score() computes it.
    const counts = p.counts;
    const byZone = new Float64Array(counts.length);
    for (let z = 0; z < counts.length; z++) {
      const s = p.max === p.min ? MAX_SCORE : (MAX_SCORE * (p.max - counts[z]!)) / (p.max - p.min);
      byZone[z] = w * (s > MAX_SCORE ? MAX_SCORE : s > 0 ? s : 0);
    }
    const none = w * MAX_SCORE;
    const zone = ctx.t.zone;
    for (let k = 0; k < n; k++) {
      const z = zone[rows[k]!]!;
      out[k]! += z < 0 ? none : byZone[z]!;
    }
  },
});
