import { readdir } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { externalSort, Heap, mergeSorted } from '../../../simulator/traces/sort.ts';
import { collect, tempDir } from './helpers.ts';

interface Rec {
  k: number;
  id: number;
}
const byK = (a: Rec, b: Rec): number => a.k - b.k;

describe('Heap', () => {
  it('pops in order', () => {
    const h = new Heap<number>((a, b) => a - b);
    for (const x of [5, 1, 4, 1, 3, 9, 2]) h.push(x);
    const out: number[] = [];
    while (h.size > 0) out.push(h.pop()!);
    expect(out).toEqual([1, 1, 2, 3, 4, 5, 9]);
  });
});

describe('mergeSorted', () => {
  it('merges sorted sources, ties to the earlier source', async () => {
    const a = [{ k: 1, id: 0 }, { k: 3, id: 1 }];
    const b = [{ k: 1, id: 2 }, { k: 2, id: 3 }];
    const out = await collect(mergeSorted([a, b], byK));
    expect(out.map((r) => r.id)).toEqual([0, 2, 3, 1]);
  });
});

describe('externalSort', () => {
  it('is a stable sort and a permutation of its input, whatever the run size and fan-in (property)', async () => {
    const dir = await tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 120 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 2, max: 4 }),
        async (keys, runSize, maxFanIn) => {
          const input: Rec[] = keys.map((k, id) => ({ k, id }));
          const out = await collect(externalSort(input, { compare: byK, runSize, maxFanIn, tmpDir: dir }));
          const expected = [...input].sort(byK); // Array.prototype.sort is stable
          expect(out).toEqual(expected);
          expect(await readdir(dir)).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sorts in memory without temporary files when the input fits one run', async () => {
    const dir = await tempDir();
    const it = externalSort([3, 1, 2], { compare: (a, b) => a - b, runSize: 10, tmpDir: dir })[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(1);
    expect(await readdir(dir)).toEqual([]);
    await it.return(undefined);
  });

  it('spills runs to a temporary folder and removes it when done, abandoned or failed', async () => {
    const dir = await tempDir();
    const input = Array.from({ length: 100 }, (_, i) => (i * 37) % 100);
    // Abandoned mid-way: the folder exists while merging, and is gone after return().
    const it = externalSort(input, { compare: (a, b) => a - b, runSize: 7, maxFanIn: 3, tmpDir: dir })[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    expect((await readdir(dir)).length).toBe(1);
    await it.return(undefined);
    expect(await readdir(dir)).toEqual([]);
    // Failing input: the error propagates and nothing is left behind.
    async function* failing() {
      for (let i = 0; i < 50; i++) yield i;
      throw new Error('bad row');
    }
    await expect(collect(externalSort(failing(), { compare: (a, b) => a - b, runSize: 7, tmpDir: dir }))).rejects.toThrow('bad row');
    expect(await readdir(dir)).toEqual([]);
  });
});
