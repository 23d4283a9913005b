// Equal information: Tidal's profile knows a peak event (an absolute window, Double 11's midnight);
// an operator of a peer who knows it too takes a scheduled action before it. The peaks are the user's
// profile's absolute windows that give batch less than the profile's default level, merged where they
// touch, each with the lead its own drainLeadTime asks (the time Tidal's profile gives batch to leave).

import type { Profile } from '../../scheduler/core/profile.ts';

export interface PeakSpan {
  start: number;
  end: number;
  /** The longest drainLeadTime of the windows merged into it. */
  leadMs: number;
}

export function peakSpans(profile: Profile): PeakSpan[] {
  const spans = profile.windows
    .filter((w) => w.start !== undefined && w.end !== undefined && w.batchShare < profile.default.batchShare)
    .map((w) => ({ start: w.start!, end: w.end!, leadMs: w.drainLeadMs }))
    .sort((a, b) => a.start - b.start);
  const out: PeakSpan[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s.start <= last.end) {
      last.end = Math.max(last.end, s.end);
      last.leadMs = Math.max(last.leadMs, s.leadMs);
    } else out.push({ ...s });
  }
  return out;
}
