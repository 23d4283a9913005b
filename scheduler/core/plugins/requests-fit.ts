// Requests must fit allocatable. With co-location on, batch requests do not count here: batch holds
// capacity online leaves idle and yields it (BatchCapacityFit governs batch). Without co-location
// (kube-default) every pod counts, batch included, exactly as kube-scheduler's NodeResourcesFit.
//
// Resolvable or not: without co-location, evicting lower-priority pods (batch) may make room, as in
// kube-scheduler. With co-location, batch does not count against online requests, and Tidal never
// evicts online or system pods, so no eviction can make the node pass: unresolvable.

import { statelessFilter, verdict, type FilterVerdict } from '../framework.ts';
import { requestsSig } from '../signatures.ts';

const reasons = (colocation: boolean): { cpu: FilterVerdict; memory: FilterVerdict } =>
  colocation
    ? {
        cpu: verdict('RequestsFit', 'insufficient cpu (online and system requests; batch does not count)', true),
        memory: verdict('RequestsFit', 'insufficient memory (online and system requests; batch does not count)', true),
      }
    : { cpu: verdict('RequestsFit', 'insufficient cpu', false), memory: verdict('RequestsFit', 'insufficient memory', false) };

const COLOCATED = reasons(true);
const ALONE = reasons(false);

export const RequestsFit = statelessFilter('RequestsFit', 'requests fit allocatable (batch does not count against online under co-location)', {
  name: 'RequestsFit',
  signature: requestsSig,
  appliesTo: (ctx) => !ctx.config.colocation || ctx.pod.class !== 'batch',
  filter(ctx, i) {
    const t = ctx.t;
    const req = ctx.pod.requests;
    const colocation = ctx.config.colocation;
    const cpu = t.nonBatchCpu[i]! + (colocation ? 0 : t.batchCpu[i]!);
    const mem = t.nonBatchMem[i]! + (colocation ? 0 : t.batchMem[i]!);
    const r = colocation ? COLOCATED : ALONE;
    if (cpu + req.cpu > t.allocCpu[i]!) return r.cpu;
    if (mem + req.memory > t.allocMem[i]!) return r.memory;
    return null;
  },
  // Allocatable less what counts (requests are whole millicores and bytes: the difference is exact).
  bound(q) {
    const colocation = q.config.colocation;
    if (colocation && q.cls === 'batch') return null;
    const t = q.t;
    const batch = colocation ? 0 : 1;
    return (i, out) => {
      out.cpu = t.allocCpu[i]! - t.nonBatchCpu[i]! - batch * t.batchCpu[i]!;
      out.memory = t.allocMem[i]! - t.nonBatchMem[i]! - batch * t.batchMem[i]!;
    };
  },
});
