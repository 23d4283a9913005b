// Volcano TDM's predicate for the simulator's `volcano-tdm` policy (../peers/volcano.ts): a node in a
// revocable zone takes preemptable (batch) pods only while the zone's daily window is open; a node
// outside every revocable zone takes no batch in this baseline. Volcano also keeps non-preemptable
// pods off revocable nodes; in the simulated cluster every node is both an online node and a
// revocable one (a co-location pool, as the other policies see it), so this filter leaves online pods
// alone: `strict` restores Volcano's rule for clusters that dedicate nodes to the zone.

import { failWith, type FilterDefinition } from '../framework.ts';
import { formatDailyWindow, REVOCABLE_ZONE_LABEL, windowOpen, type DailyWindow } from '../peers/volcano.ts';

export interface VolcanoTdmArgs {
  /** Revocable zone name -> its daily window (when batch may run there). */
  windows: ReadonlyMap<string, DailyWindow>;
  /** IANA time zone the windows are read in (the scheduler's). */
  timeZone: string;
  /** Volcano's own rule for dedicated zones: online (non-preemptable) pods stay off revocable nodes. */
  strict: boolean;
}

export const VolcanoTdm: FilterDefinition<VolcanoTdmArgs> = {
  kind: 'filter',
  name: 'VolcanoTDM',
  description: "Volcano TDM: batch only on revocable-zone nodes while the zone's daily window is open",
  defaults: { windows: new Map(), timeZone: 'UTC', strict: false },
  create({ windows, timeZone, strict }) {
    // Whether each zone is open, for the last instant asked (decisions come many per instant).
    let at = NaN;
    const open = new Map<string, boolean>();
    const isOpen = (zone: string, now: number): boolean => {
      if (now !== at) {
        at = now;
        open.clear();
      }
      let o = open.get(zone);
      if (o === undefined) {
        const w = windows.get(zone);
        o = w !== undefined && windowOpen(w, now, timeZone);
        open.set(zone, o);
      }
      return o;
    };
    return {
      name: 'VolcanoTDM',
      appliesTo: (ctx) => ctx.pod.class === 'batch' || (strict && ctx.pod.class === 'online'),
      filter(ctx, i) {
        const zone = ctx.nodes[i]!.spec.labels[REVOCABLE_ZONE_LABEL];
        if (ctx.pod.class !== 'batch') {
          return zone === undefined ? null : failWith(ctx, 'VolcanoTDM', 'not-preemptable', true, () => 'revocable-zone node takes preemptable pods only');
        }
        if (zone === undefined) return failWith(ctx, 'VolcanoTDM', 'no-zone', true, () => 'batch runs on revocable-zone nodes only');
        if (isOpen(zone, ctx.now)) return null;
        const w = windows.get(zone);
        return failWith(ctx, 'VolcanoTDM', `closed/${zone}`, true, () => `revocable zone ${zone} is closed (window ${w ? formatDailyWindow(w) : 'none'})`);
      },
    };
  },
};
