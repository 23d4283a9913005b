// RecentMap keeps lru-cache's get / peek / set semantics (the stores it replaced in the hot loops):
// checked against lru-cache itself as the oracle over random operation sequences, evictions included.

import fc from 'fast-check';
import { LRUCache } from 'lru-cache';
import { describe, expect, it } from 'vitest';
import { RecentMap } from '../../../scheduler/core/recent-map.ts';

describe('RecentMap', () => {
  it('drops the least recently read or written key when a new one comes in full (by hand)', () => {
    const dropped: string[] = [];
    const m = new RecentMap<string, number>(2, (_v, k) => dropped.push(k));
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1); // a is now the most recent
    m.set('c', 3); // b goes
    expect(dropped).toEqual(['b']);
    expect(m.peek('b')).toBeUndefined();
    expect(m.peek('a')).toBe(1); // a peek does not make it recent
    m.set('d', 4); // so a goes before c
    expect(dropped).toEqual(['b', 'a']);
    m.set('c', 30); // an existing key: nothing dropped
    expect(dropped).toEqual(['b', 'a']);
    expect([m.peek('c'), m.peek('d'), m.size]).toEqual([30, 4, 2]);
    expect(() => new RecentMap(0)).toThrow(/positive integer/);
  });

  it('answers and evicts as lru-cache does for any sequence of get, peek and set (property)', () => {
    const op = fc.record({ kind: fc.constantFrom('get', 'peek', 'set'), key: fc.integer({ min: 0, max: 7 }), value: fc.integer() });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 80 }), (max, ops) => {
        const mine: number[] = [];
        const theirs: number[] = [];
        const m = new RecentMap<number, number>(max, (_v, k) => mine.push(k));
        const l = new LRUCache<number, number>({ max, dispose: (_v, k, reason) => reason === 'evict' && theirs.push(k) });
        for (const o of ops) {
          if (o.kind === 'set') {
            m.set(o.key, o.value);
            l.set(o.key, o.value);
          } else expect(m[o.kind](o.key)).toBe(l[o.kind](o.key));
          expect(mine).toEqual(theirs);
          expect(m.size).toBe(l.size);
        }
      }),
      { numRuns: 500 },
    );
  });
});
