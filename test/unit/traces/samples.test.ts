import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openTrace } from '../../../simulator/traces/index.ts';
import { expectedDigest, fileDigest, SAMPLES, SAMPLES_DIR } from '../../../simulator/traces/make-samples.ts';
import { readTidalTrace } from '../../../simulator/traces/tidal.ts';

const D11 = fileURLToPath(new URL('../../../simulator/samples/double11-small.jsonl', import.meta.url));

describe('shipped samples', () => {
  it('double11-small.jsonl is exactly what its documented options generate', async () => {
    expect(await fileDigest(`${SAMPLES_DIR}double11-small.jsonl`)).toBe(await expectedDigest(SAMPLES['double11-small.jsonl']!));
  });

  it('double11-small.jsonl reads back strictly, covers Double 11, and is a few MB', async () => {
    const t = await readTidalTrace(D11);
    expect(t.header).toMatchObject({ generator: 'synthetic', options: { seed: 11, nodes: { count: 40 } } });
    const peak = Date.parse('2026-11-11T00:00:00+08:00');
    expect(t.info.start).toBeLessThan(peak);
    expect(t.info.end).toBeGreaterThan(peak);
    const counts: Record<string, number> = {};
    for await (const e of t.events()) counts[e.type] = (counts[e.type] ?? 0) + 1;
    expect(counts['node-add']).toBe(40);
    expect(counts['pod-end']).toBeGreaterThan(0);
    expect(counts['pod-arrival']).toBeGreaterThan(5000);
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(D11));
    expect(size).toBeLessThan(8_000_000);
    expect((await openTrace(D11)).info.format).toBe('tidal-trace');
  });
});
