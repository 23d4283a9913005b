// tidal trace record --prometheus: a past span of a real cluster from Prometheus' HTTP API, as a
// base trace (the live snapshot/sampling mode of `trace record` is in simulate.ts).

import { parseDuration } from '../core/duration.ts';
import { recordPrometheusHistory } from '../../simulator/traces/prometheus-history.ts';
import { writeTrace } from '../../simulator/traces/index.ts';
import { parseTime } from './time.ts';

export interface HistoryFlags {
  prometheus: string;
  from?: string;
  to?: string;
  step?: string;
  batchNamespace?: string[];
  nodeLabel?: string;
  out: string;
  pin: boolean;
}

export async function recordHistory(f: HistoryFlags): Promise<void> {
  if (!f.from) throw new Error('--prometheus needs --from (start of the span, ISO 8601)');
  let url: URL;
  try {
    url = new URL(f.prometheus);
  } catch {
    throw new Error(`--prometheus must be a URL such as http://prometheus:9090 (got ${f.prometheus})`);
  }
  const start = parseTime(f.from);
  const end = f.to ? parseTime(f.to) : Date.now();
  const stepMs = parseDuration(f.step ?? '1m');
  if (!(end > start)) throw new Error(`--to must be after --from (got ${f.from} .. ${f.to ?? 'now'})`);
  if (stepMs < 1000) throw new Error(`--step must be at least 1s (got ${f.step})`);
  if ((end - start) / stepMs > 11_000) throw new Error(`--from .. --to at --step ${f.step ?? '1m'} is ${Math.ceil((end - start) / stepMs)} points; Prometheus answers at most 11000 per series: use a longer --step`);
  const trace = await recordPrometheusHistory({ url: url.href, start, end, stepMs, batchNamespaces: f.batchNamespace ?? [], nodeLabel: f.nodeLabel, pin: f.pin });
  const n = await writeTrace(trace, f.out, { meta: { recorder: 'tidal trace record --prometheus', prometheus: url.origin, step: f.step ?? '1m' } });
  console.log(`wrote ${n} events to ${f.out} (${new Date(start).toISOString()} .. ${new Date(end).toISOString()} from ${url.origin})`);
}
