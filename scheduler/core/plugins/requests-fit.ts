// Requests must fit allocatable. With co-location on, batch requests do not count here: batch holds
// capacity online leaves idle and yields it (BatchCapacityFit governs batch). Without co-location
// (kube-default) every pod counts, batch included, exactly as kube-scheduler's NodeResourcesFit.

import type { FilterPlugin } from '../framework.ts';

export const RequestsFit: FilterPlugin = {
  name: 'RequestsFit',
  equivalence: 'shape',
  unresolvable: false,
  appliesTo: (ctx) => !ctx.config.colocation || ctx.pod.class !== 'batch',
  filter(ctx, i) {
    const t = ctx.t;
    const req = ctx.pod.requests;
    const colocation = ctx.config.colocation;
    const cpu = t.nonBatchCpu[i]! + (colocation ? 0 : t.batchCpu[i]!);
    const mem = t.nonBatchMem[i]! + (colocation ? 0 : t.batchMem[i]!);
    if (cpu + req.cpu > t.allocCpu[i]!) return colocation ? 'insufficient cpu (online and system requests; batch does not count)' : 'insufficient cpu';
    if (mem + req.memory > t.allocMem[i]!) return colocation ? 'insufficient memory (online and system requests; batch does not count)' : 'insufficient memory';
    return null;
  },
};
