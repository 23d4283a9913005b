// RequestsFit by hand on a 16-core, 64 GiB node holding an online pod (4 cores, 8 GiB) and a batch pod
// (10 cores, 8 GiB). Under co-location batch does not count against online requests: an online pod
// fits while 4000 + cpu <= 16000 (unresolvable beyond: evicting batch cannot help). Without it
// (kube-default) every pod counts, as kube-scheduler's NodeResourcesFit: 4000 + 10000 + cpu <= 16000,
// resolvable (evicting the batch pod makes room).

import { describe, expect, it } from 'vitest';
import { KUBE_DEFAULT } from '../../../../scheduler/core/config.ts';
import { RequestsFit } from '../../../../scheduler/core/plugins/requests-fit.ts';
import { argsIssues } from '../../../../scheduler/core/registry.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildFilter, messageOn, verdictOn, world, type World } from '../../../helpers/plugins.ts';

const tenants = () => [pod({ nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } }), batch({ nodeName: 'n1', requests: { cpu: 10_000, memory: 8 * GiB } })];
const ask = (w: World, cpu: number, memory = GiB, cls: 'online' | 'batch' | 'system' = 'online') => verdictOn(buildFilter(RequestsFit, w), w, w.ctx(pod({ class: cls, requests: { cpu, memory } })), 'n1');

describe('RequestsFit under co-location (time-sharing)', () => {
  const w = world({ nodes: [node('n1')], pods: tenants() });

  it('counts online and system requests only: 4000 + 12000 fits, 4000 + 12001 does not, unresolvably', () => {
    expect(ask(w, 12_000)).toBeNull();
    expect(ask(w, 12_001)).toMatchObject({ plugin: 'RequestsFit', reason: 'insufficient cpu (online and system requests; batch does not count)', unresolvable: true });
    expect(ask(w, 12_001, GiB, 'system')).toMatchObject({ unresolvable: true });
  });

  it('checks memory the same way: 8 + 56 GiB fits, a byte more does not', () => {
    expect(ask(w, 1000, 56 * GiB)).toBeNull();
    expect(ask(w, 1000, 56 * GiB + 1)).toMatchObject({ reason: 'insufficient memory (online and system requests; batch does not count)', unresolvable: true });
  });

  it('leaves batch pods to BatchCapacityFit', () => {
    expect(ask(w, 100_000, GiB, 'batch')).toBe('n/a');
  });
});

describe('RequestsFit without co-location (kube-default)', () => {
  const w = world({ nodes: [node('n1')], pods: tenants(), config: KUBE_DEFAULT });

  it('counts batch too: 4000 + 10000 + 2000 fits, 2001 does not, resolvably', () => {
    expect(ask(w, 2000)).toBeNull();
    expect(ask(w, 2001)).toMatchObject({ reason: 'insufficient cpu', unresolvable: false });
    expect(messageOn(buildFilter(RequestsFit, w), w, w.ctx(pod({ requests: { cpu: 2001, memory: GiB } })), 'n1')).toBe('tidal/RequestsFit: insufficient cpu');
    // 8 + 8 + 48 GiB fits; a byte more does not.
    expect(ask(w, 1000, 48 * GiB)).toBeNull();
    expect(ask(w, 1000, 48 * GiB + 1)).toMatchObject({ reason: 'insufficient memory', unresolvable: false });
  });

  it('applies to batch pods as to any other', () => {
    expect(ask(w, 2001, GiB, 'batch')).toMatchObject({ reason: 'insufficient cpu' });
  });

  it('takes no args and signs the requests', () => {
    expect(RequestsFit.defaults).toBeNull();
    expect(argsIssues(RequestsFit, null)).toEqual([]);
    expect(buildFilter(RequestsFit, w).signature!(w.ctx(pod({ requests: { cpu: 1500, memory: 2 * GiB } })))).toBe(`1500/${2 * GiB}`);
  });
});
