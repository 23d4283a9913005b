// The replay is bounded before it starts and runs to the trace's declared end: intervals have a
// floor, the tick count is checked against a limit (with the figure in the error), a stray far-future
// timestamp is refused instead of ticked towards, and --until before the start is an error.

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { simulate } from '../../../simulator/engine/simulation.ts';
import { policyByName } from '../../../simulator/policies/index.ts';
import { readTidalTrace, serializeEvent, TraceError } from '../../../simulator/traces/index.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { tracePod } from '../../helpers/trace.ts';

const PROFILE = loadProfileFile(new URL('../../../profiles/daily-tidal.yaml', import.meta.url).pathname);
const T0 = Date.parse('2026-11-16T00:00:00Z');
const H = 3_600_000;
const node: TraceEvent = { type: 'node-add', time: T0, node: { name: 'n1', allocatable: { cpu: 32000, memory: 128 * 2 ** 30 }, maxPods: 110, labels: {}, zone: '', unschedulable: false } };

async function jsonl(lines: Array<TraceEvent | Record<string, unknown> | string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tidal-bounds-'));
  const file = join(dir, 'trace.jsonl');
  await writeFile(file, lines.map((l) => (typeof l === 'string' ? l : 'type' in l && typeof l.type === 'string' && 'time' in l ? serializeEvent(l as TraceEvent) : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

const header = (start: number, end: number) => ({ format: 'tidal-trace', version: 1, start, end });
const run = async (file: string, extra: Partial<Parameters<typeof simulate>[0]> = {}) =>
  simulate({ trace: await readTidalTrace(file), profile: PROFILE, policies: [policyByName('kube-default')], ...extra });

describe('replay bounds', () => {
  it('refuses intervals under 1 s before reading a line', async () => {
    const file = await jsonl([node]);
    await expect(run(file, { options: { sampleIntervalMs: 0 } })).rejects.toThrow('sampleIntervalMs must be at least 1000 ms (got 0)');
    await expect(run(file, { options: { deschedulerIntervalMs: 1 } })).rejects.toThrow('deschedulerIntervalMs must be at least 1000 ms (got 1)');
  });

  it('checks the tick count of the declared span against the limit before the run, with the figure', async () => {
    const file = await jsonl([header(T0, T0 + 8 * 24 * H), node]);
    // 8 days at 1 s samples: 691,200 samples + 5,760 cycles + 2,304 retries (+3).
    await expect(run(file, { options: { sampleIntervalMs: 1000 }, maxTicks: 100_000 })).rejects.toThrow(/would take 699,267 ticks .* above the limit of 100,000/);
  });

  it('refuses to tick towards a far-future event in a trace without a header', async () => {
    const file = await jsonl([node, { type: 'node-usage', time: 4102444800000, name: 'n1', cpu: 1, memory: 1 }]);
    await expect(run(file)).rejects.toThrow(/an event at 2100-01-01T00:00:00.000Z \(node-usage\).* would take [\d,]+ ticks/);
  });

  it('refuses an event outside the declared span (strict: file and line) or skips and counts it (lenient)', async () => {
    const file = await jsonl([header(T0, T0 + H), node, { type: 'node-usage', time: 4102444800000, name: 'n1', cpu: 1, memory: 1 }]);
    const strict = await readTidalTrace(file);
    await expect((async () => { for await (const _ of strict.events()); })()).rejects.toThrow(new RegExp(`${file}:3:\\d+: time 4102444800000 \\(2100-01-01T00:00:00.000Z\\) is outside the span the header declares`));
    const lenient = await readTidalTrace(file, { strict: false });
    const r = await simulate({ trace: lenient, profile: PROFILE, policies: [policyByName('kube-default')] });
    expect(r.skippedRows).toEqual({ [file]: 1 });
    expect(r.droppedRows).toEqual({ "skipped line: outside the header's start..end": 1 });
  });

  it('refuses times that are not instants (beyond what a Date holds)', async () => {
    const file = await jsonl([node, '{"type":"node-usage","time":99999999999999999999,"name":"n1","cpu":1,"memory":1}']);
    const t = await readTidalTrace(file);
    const read = (async () => { for await (const _ of t.events()); })();
    await expect(read).rejects.toBeInstanceOf(TraceError);
    await expect(read).rejects.toThrow(`${file}:2:22: time: 100000000000000000000 is not an instant`);
  });

  it("replays to the header's declared end, not to the last event", async () => {
    const pod = tracePod({ class: 'batch', runtimeMs: 10 * 60_000, job: 'j', app: 'j' });
    const file = await jsonl([header(T0, T0 + 24 * H), node, { type: 'pod-arrival', time: T0, pod }]);
    const r = await run(file);
    expect(r.end - r.start).toBe(24 * H);
    expect(r.policies[0]!.totals.batch.completed).toBe(1);
  });

  it('replays a snapshot on to --until when it is after the last event', async () => {
    const pod = tracePod({ class: 'batch', runtimeMs: 10 * 60_000, job: 'j', app: 'j' });
    const file = await jsonl([header(T0, T0 + 1), node, { type: 'pod-arrival', time: T0, pod }]);
    const r = await run(file, { until: T0 + H });
    expect(r.end).toBe(T0 + H);
    expect(r.policies[0]!.totals.batch.completed).toBe(1);
  });

  it('refuses --until before the trace starts', async () => {
    const file = await jsonl([node]);
    await expect(run(file, { until: T0 - 1000 })).rejects.toThrow(`until 2026-11-15T23:59:59.000Z is before the trace ${file} starts (2026-11-16T00:00:00.000Z)`);
  });
});
