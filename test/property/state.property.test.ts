// The node table (column-wise per-node figures the hot loops read) always agrees with the node
// objects, whatever sequence of node and pod changes led there (fast-check).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../scheduler/core/state.ts';
import { batch, GiB, node, pod } from '../helpers/core.ts';

const op = fc.oneof(
  fc.record({ kind: fc.constant('addNode' as const), n: fc.integer({ min: 0, max: 7 }), cpu: fc.integer({ min: 1000, max: 64_000 }), cordon: fc.boolean() }),
  fc.record({ kind: fc.constant('removeNode' as const), n: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('addPod' as const), p: fc.integer({ min: 0, max: 30 }), n: fc.integer({ min: -1, max: 7 }), batch: fc.boolean(), cpu: fc.integer({ min: 0, max: 8000 }) }),
  fc.record({ kind: fc.constant('removePod' as const), p: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ kind: fc.constant('usage' as const), n: fc.integer({ min: 0, max: 7 }), cpu: fc.integer({ min: 0, max: 64_000 }) }),
);

describe('node table', () => {
  it('mirrors every node after any sequence of changes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const state = new ClusterState();
        let now = 1_000_000;
        for (const o of ops) {
          now += 1000;
          if (o.kind === 'addNode') state.upsertNode(node(`n${o.n}`, { allocatable: { cpu: o.cpu, memory: 64 * GiB }, unschedulable: o.cordon }), now);
          else if (o.kind === 'removeNode') state.removeNode(`n${o.n}`);
          else if (o.kind === 'addPod') {
            const spec = { uid: `p${o.p}`, nodeName: o.n < 0 ? '' : `n${o.n}`, requests: { cpu: o.cpu, memory: GiB } };
            state.upsertPod(o.batch ? batch(spec) : pod(spec), now);
          } else if (o.kind === 'removePod') state.removePod(`p${o.p}`);
          else state.recordNodeUsage(`n${o.n}`, { time: now, online: { cpu: o.cpu, memory: GiB }, batch: { cpu: 0, memory: 0 } });
        }
        const t = state.table;
        expect(t.size).toBe(state.nodes.size);
        expect(state.rows.size).toBe(state.nodes.size);
        expect(state.nodeList.length).toBe(state.nodes.size);
        state.nodeList.forEach((n, i) => {
          expect(n.index).toBe(i);
          expect(state.nodes.get(n.name)).toBe(n);
          expect(state.rows.get(n.name)).toBe(i);
          expect(t.zone[i]).toBe(n.spec.zone ? state.zoneNames.indexOf(n.spec.zone) : -1);
          const r = n.requested;
          expect(t.allocCpu[i]).toBe(n.spec.allocatable.cpu);
          expect(t.pods[i]).toBe(n.podCount);
          expect(t.nonBatchCpu[i]).toBe(r.online.cpu + r.system.cpu);
          expect(t.batchCpu[i]).toBe(r.batch.cpu);
          expect(t.unschedulable[i]).toBe(n.spec.unschedulable ? 1 : 0);
          expect(t.version[i]).toBe(n.version);
          expect(t.histories[i]).toBe(n.usage);
          expect(t.unmeteredCpu[i]).toBe(n.unmeteredRequests.cpu);
        });
      }),
      { numRuns: 300 },
    );
  });
});
