import { readFile, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceError, type Trace, type TraceEvent } from '../../../simulator/traces/events.ts';
import { parseEventLine, readTidalTrace, serializeEvent, writeTrace } from '../../../simulator/traces/tidal.ts';
import { collect, GiB, START, tempDir } from './helpers.ts';

const node = { name: 'n1', allocatable: { cpu: 8000, memory: 32 * GiB }, maxPods: 110, labels: { 'topology.kubernetes.io/zone': 'z1' }, zone: 'z1', unschedulable: false };
const pod = {
  uid: 'p1',
  namespace: 'batch',
  name: 'p1',
  class: 'batch' as const,
  app: 'job-1',
  priority: 5000,
  requests: { cpu: 1000, memory: GiB },
  runtimeMs: 60_000,
  declaredRuntimeMs: 0,
  checkpointable: true,
  job: 'job-1',
};
const EVENTS: TraceEvent[] = [
  { type: 'node-add', time: START, node },
  { type: 'pod-arrival', time: START + 1000, pod },
  { type: 'pod-usage', time: START + 1000, uid: 'p1', cpu: 800, memory: GiB / 2 },
  { type: 'app-usage', time: START + 2000, app: 'job-1', cpu: 0.5, memory: 0.25 },
  { type: 'node-usage', time: START + 3000, name: 'n1', cpu: 100, memory: 1024 },
  { type: 'pod-end', time: START + 4000, uid: 'p1' },
  { type: 'node-remove', time: START + 5000, name: 'n1' },
];

function traceOf(events: TraceEvent[], start?: number, end?: number): Trace {
  const info = { format: 'test', source: 'memory', skipped: new Map<string, number>() } as Trace['info'];
  if (start !== undefined) info.start = start;
  if (end !== undefined) info.end = end;
  return {
    info,
    events: async function* () {
      yield* events;
    },
  };
}

describe('tidal JSON Lines', () => {
  it('round-trips every event type through writeTrace and readTidalTrace, with the header', async () => {
    const d = await tempDir();
    for (const name of ['t.jsonl', 't.jsonl.gz']) {
      const f = join(d, name);
      expect(await writeTrace(traceOf(EVENTS, START, START + 10_000), f, { meta: { note: 'hi' } })).toBe(EVENTS.length);
      const t = await readTidalTrace(f);
      expect(t.info).toMatchObject({ format: 'tidal-trace', source: f, start: START, end: START + 10_000 });
      expect(t.header).toMatchObject({ format: 'tidal-trace', version: 1, note: 'hi' });
      expect(await collect(t.events())).toEqual(EVENTS);
      // Iterating twice re-reads the source.
      expect((await collect(t.events())).length).toBe(EVENTS.length);
    }
  });

  it('reads a file without header', async () => {
    const d = await tempDir();
    const f = join(d, 't.jsonl');
    await writeTrace(traceOf(EVENTS), f, { header: false });
    const t = await readTidalTrace(f);
    expect(t.header).toBeNull();
    expect(t.info.start).toBeUndefined();
    expect(await collect(t.events())).toEqual(EVENTS);
  });

  it('serialises with a fixed key order, whatever order the object was built in', () => {
    const a = serializeEvent({ type: 'pod-usage', time: 1, uid: 'u', cpu: 2, memory: 3 });
    const b = serializeEvent({ memory: 3, cpu: 2, uid: 'u', time: 1, type: 'pod-usage' } as TraceEvent);
    expect(a).toBe(b);
    expect(a).toBe('{"type":"pod-usage","time":1,"uid":"u","cpu":2,"memory":3}');
  });

  it('strict: reports file, line and the column of the offending key', async () => {
    const d = await tempDir();
    const f = join(d, 'bad.jsonl');
    const lines = EVENTS.map(serializeEvent);
    lines[2] = lines[2]!.replace('"cpu":800', '"cpu":"800"');
    await writeFile(f, ['{"format":"tidal-trace","version":1}', ...lines].join('\n'));
    const err = await collect((await readTidalTrace(f)).events()).catch((e) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect(err).toMatchObject({ file: f, line: 4, column: lines[2]!.indexOf('"cpu"') + 1 });
    expect(err.message).toContain('cpu: expected a number, got "800"');
  });

  it('strict: rejects invalid JSON, unknown types, missing pod fields and time going backwards', async () => {
    const d = await tempDir();
    const cases: Array<[string, RegExp]> = [
      ['{"type":"pod-end","time":1,', /not valid JSON/],
      ['{"type":"pod-exploded","time":1}', /type: expected one of/],
      [serializeEvent(EVENTS[1]!).replace('"runtimeMs":60000,', ''), /pod.runtimeMs: expected a number, got nothing/],
      [serializeEvent(EVENTS[1]!).replace('"runtimeMs":60000', '"runtimeMs":0'), /batch pod needs a positive runtime/],
      [serializeEvent(EVENTS[0]!).replace('"zone":"z1","unschedulable"', '"zone":7,"unschedulable"'), /node.zone: expected a string/],
    ];
    for (const [line, re] of cases) {
      const f = join(d, 'c.jsonl');
      await writeFile(f, line + '\n');
      const err = await collect((await readTidalTrace(f)).events()).catch((e) => e);
      expect(err, line).toBeInstanceOf(TraceError);
      expect(err.message).toMatch(re);
      expect(err.line).toBe(1);
    }
    const f = join(d, 'order.jsonl');
    await writeFile(f, [serializeEvent(EVENTS[1]!), serializeEvent(EVENTS[0]!)].join('\n'));
    const err = await collect((await readTidalTrace(f)).events()).catch((e) => e);
    expect(err).toMatchObject({ line: 2 });
    expect(err.message).toMatch(/earlier than the previous event/);
  });

  it('refuses an unknown header version', async () => {
    const d = await tempDir();
    const f = join(d, 'v.jsonl');
    await writeFile(f, '{"format":"tidal-trace","version":2}\n');
    await expect(readTidalTrace(f)).rejects.toThrow(/unsupported version 2/);
  });

  it('lenient: skips bad lines and counts them', async () => {
    const d = await tempDir();
    const f = join(d, 'l.jsonl');
    const lines = EVENTS.map(serializeEvent);
    await writeFile(f, [lines[0], 'garbage', lines[1], '{"type":"pod-end"}', lines[2]].join('\n') + '\n');
    const t = await readTidalTrace(f, { strict: false });
    expect((await collect(t.events())).length).toBe(3);
    expect(t.info.skipped.get(f)).toBe(2);
  });

  it('writeTrace refuses out-of-order events and removes the partial file', async () => {
    const d = await tempDir();
    const f = join(d, 'w.jsonl');
    await expect(writeTrace(traceOf([EVENTS[1]!, EVENTS[0]!]), f)).rejects.toThrow(/earlier than the previous/);
    await expect(access(f)).rejects.toThrow();
  });

  it('parseEventLine returns the event as typed', () => {
    expect(parseEventLine(serializeEvent(EVENTS[1]!))).toEqual(EVENTS[1]);
  });

  it('the FORMAT.md examples are valid events', async () => {
    const doc = await readFile(new URL('../../../simulator/traces/FORMAT.md', import.meta.url), 'utf8');
    const examples = [...doc.matchAll(/^(\{"type":.*\})$/gm)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(8);
    for (const ex of examples) expect(() => parseEventLine(ex), ex).not.toThrow();
  });
});
