// Requests must fit allocatable. With co-location on, batch requests do not count here: batch holds
// capacity online leaves idle and yields it (BatchCapacityFit governs batch). Without co-location
// (kube-default) every pod counts, batch included, exactly as kube-scheduler's NodeResourcesFit.

import type { FilterPlugin } from '../framework.ts';

export const RequestsFit: FilterPlugin = {
  name: 'RequestsFit',
  unresolvable: false,
  appliesTo: (ctx) => !ctx.config.colocation || ctx.pod.class !== 'batch',
  filter(ctx, node) {
    const r = node.requested;
    const a = node.spec.allocatable;
    const req = ctx.pod.requests;
    const batchCpu = ctx.config.colocation ? 0 : r.batch.cpu;
    const batchMem = ctx.config.colocation ? 0 : r.batch.memory;
    const cpu = r.online.cpu + r.system.cpu + batchCpu;
    const mem = r.online.memory + r.system.memory + batchMem;
    if (cpu + req.cpu > a.cpu) return ctx.config.colocation ? 'insufficient cpu (online and system requests; batch does not count)' : 'insufficient cpu';
    if (mem + req.memory > a.memory) return ctx.config.colocation ? 'insufficient memory (online and system requests; batch does not count)' : 'insufficient memory';
    return null;
  },
};
