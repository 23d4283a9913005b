// The SeriesPoint fields in report order, with what each one means. The Record type makes the
// compiler insist that every field of SeriesPoint is listed here exactly once, so the CSV and JSON
// writers cannot silently drop a field that the engine adds.

import type { SeriesPoint } from '../engine/metrics.ts';

export const SERIES_FIELD_DOCS: Readonly<Record<keyof SeriesPoint, string>> = {
  time: 'sample time (ms since the Unix epoch)',
  nodes: 'nodes in the cluster',
  nodesInUse: 'nodes holding at least one pod',
  cpuUsedOnline: 'online CPU usage, fraction of allocatable CPU',
  cpuUsedBatch: 'batch CPU usage, fraction of allocatable CPU',
  cpuRequestedOnline: 'online (and system) CPU requests, fraction of allocatable CPU',
  cpuRequestedBatch: 'batch CPU requests, fraction of allocatable CPU',
  memUsedOnline: 'online memory usage, fraction of allocatable memory',
  memUsedBatch: 'batch memory usage, fraction of allocatable memory',
  memRequestedOnline: 'online (and system) memory requests, fraction of allocatable memory',
  memRequestedBatch: 'batch memory requests, fraction of allocatable memory',
  hotNodes: 'nodes with usage above the risk threshold',
  pendingOnline: 'online pods waiting for a node',
  pendingBatch: 'batch pods waiting for a node',
  runningBatch: 'batch pods running',
  evictions: 'evictions since the previous sample',
  batchShare: "effective batch share of the policy's profile",
  interferenceNodes: 'nodes with CPU granted above the interference threshold while online pods run',
  unmetOnlineCpu: 'online and system CPU demand not served over the interval, core-seconds',
  batchCpuDenied: 'batch CPU demand denied over the interval, core-seconds',
  oomKills: 'pods OOM-killed at this sample',
};

export const SERIES_FIELDS = Object.keys(SERIES_FIELD_DOCS) as (keyof SeriesPoint)[];

/** Mean of a field over the samples (samples are evenly spaced, so this is the time-weighted mean). */
export function seriesMean(series: readonly SeriesPoint[], f: (p: SeriesPoint) => number): number {
  if (series.length === 0) return 0;
  let s = 0;
  for (const p of series) s += f(p);
  return s / series.length;
}
