// Explains how overlapping windows resolve, for `tidal profile validate`: every pair of occurrences
// that overlap in a span, and which one wins by the precedence rule.

import type { Profile, WindowSpec } from '../scheduler/core/profile.ts';
import { comparePrecedence, isAbsolute } from '../scheduler/core/profile.ts';
import { occurrences } from '../scheduler/core/timeline.ts';

export const PRECEDENCE_RULE = 'higher priority wins; at equal priority an absolute window beats a recurring one; then the window listed later wins';

export interface Overlap {
  a: WindowSpec;
  b: WindowSpec;
  start: number;
  end: number;
  winner: WindowSpec;
  why: string;
}

export function findOverlaps(profile: Profile, from: number, to: number): Overlap[] {
  const occ = occurrences(profile, from, to).sort((x, y) => x.start - y.start);
  const out: Overlap[] = [];
  for (let i = 0; i < occ.length; i++) {
    for (let j = i + 1; j < occ.length && occ[j]!.start < occ[i]!.end; j++) {
      const x = occ[i]!;
      const y = occ[j]!;
      if (x.window === y.window) continue;
      const winner = comparePrecedence(x.window, y.window) > 0 ? x.window : y.window;
      const loser = winner === x.window ? y.window : x.window;
      out.push({ a: x.window, b: y.window, start: Math.max(x.start, y.start), end: Math.min(x.end, y.end), winner, why: reason(winner, loser) });
    }
  }
  // Listed in time order (an overlap starts at the later of its two occurrences, so the scan's order is not).
  return out.sort((x, y) => x.start - y.start || x.end - y.end);
}

function reason(w: WindowSpec, l: WindowSpec): string {
  if (w.priority !== l.priority) return `priority ${w.priority} > ${l.priority}`;
  if (isAbsolute(w) !== isAbsolute(l)) return 'absolute beats recurring';
  return 'listed later';
}
