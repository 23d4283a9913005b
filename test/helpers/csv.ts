// A replay's totals.csv and series.csv as text (simulator/report/csv.ts), for byte-for-byte comparisons
// of replays that must agree (lockstep, lanes, worker threads).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate, type SimulationInput } from '../../simulator/engine/simulation.ts';
import { writeCsvSeries } from '../../simulator/report/csv.ts';

export async function replayCsvs(input: SimulationInput): Promise<{ totals: string; series: string; events: number }> {
  const r = await simulate(input);
  const dir = await mkdtemp(join(tmpdir(), 'tidal-csv-'));
  try {
    const paths = await writeCsvSeries(r, dir);
    return { totals: await readFile(paths.totals, 'utf8'), series: await readFile(paths.series, 'utf8'), events: r.events };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
