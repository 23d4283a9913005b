// The input paths besides the webhook: random and mutated Tidal JSON Lines traces, Alibaba CSV
// tables, profiles, TidalConfigs, demand scenarios, sweep files and `tidal` argument vectors. Each case must end, within a time
// and heap bound, in success or a named error (TraceError with file:line:column, ProfileError,
// ConfigError, a CommanderError or a plain Error naming the flag), never a TypeError / RangeError
// (what a stack trace comes from), a hang or a silent drop: lenient reads account for every line
// (events read + lines skipped = lines in the file; for Alibaba batch instances, pods + rows dropped
// by reason + rows skipped = rows in the table).
//
// Scale with TIDAL_FUZZ_RUNS, replay a failure with TIDAL_FUZZ_SEED (see lib.ts).

import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseProfile, ProfileError } from '../../profiles/loader.ts';
import { profileWarnings } from '../../profiles/warnings.ts';
import { register as registerDeschedule, plannerFromFlags } from '../../scheduler/cli/deschedule.ts';
import { register as registerSimulate } from '../../scheduler/cli/simulate.ts';
import { ConfigError, parsePolicyConfig } from '../../scheduler/config/policy-loader.ts';
import { simulate } from '../../simulator/engine/simulation.ts';
import { policyByName } from '../../simulator/policies/index.ts';
import { readAlibaba2018, readTidalTrace, serializeEvent, TraceError } from '../../simulator/traces/index.ts';
import type { TraceEvent, TracePod } from '../../simulator/traces/events.ts';
import { YamlCheckError } from '../../scheduler/config/yaml-checker.ts';
import { parseScenario } from '../../simulator/scenario/load.ts';
import { parseSweep } from '../../simulator/sweep/file.ts';
import { runs } from './lib.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
/** A hang detector, not a performance check: any case still running after this failed. */
const CASE_LIMIT_MS = 20_000;
/** Heap after a case: a run that grows towards gigabytes (an unbounded tick loop) fails here. */
const HEAP_LIMIT = 1.5 * 2 ** 30;
const T0 = Date.parse('2026-11-16T00:00:00Z');

let dir = '';
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidal-readers-fuzz-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
const nextFile = (name: string) => join(dir, `${++n}-${name}`);

/** Errors that mean a bug (what surfaces as a stack trace), as opposed to a named refusal. */
function isBug(e: unknown): boolean {
  return !(e instanceof Error) || e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError || /Cannot read propert|is not a function|undefined/.test(e.message);
}

async function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still running after ${CASE_LIMIT_MS} ms`)), CASE_LIMIT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
    expect(process.memoryUsage().heapUsed, `${what}: heap`).toBeLessThan(HEAP_LIMIT);
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

// ---- Tidal JSON Lines ---------------------------------------------------------------------------

const pod = (uid: string, cls: 'online' | 'batch', node?: string): TracePod => ({
  uid,
  namespace: cls,
  name: uid,
  class: cls,
  app: cls === 'online' ? 'web' : `job-${uid}`,
  priority: cls === 'online' ? 9000 : 5000,
  requests: { cpu: 500, memory: 2 ** 30 },
  runtimeMs: cls === 'batch' ? 600_000 : 0,
  declaredRuntimeMs: 0,
  checkpointable: false,
  job: cls === 'batch' ? `job-${uid}` : '',
  ...(node ? { nodeName: node } : {}),
});

/** A consistent trace over a few hours: nodes, then pods, usage and ends on them. */
const traceArb = fc
  .record({
    nodes: fc.integer({ min: 1, max: 4 }),
    steps: fc.array(fc.record({ dt: fc.integer({ min: 0, max: 900_000 }), kind: fc.constantFrom('online', 'batch', 'usage', 'app', 'node-usage', 'end'), pin: fc.boolean() }), { maxLength: 40 }),
    header: fc.boolean(),
  })
  .map(({ nodes, steps, header }) => {
    const events: TraceEvent[] = [];
    for (let i = 1; i <= nodes; i++) events.push({ type: 'node-add', time: T0, node: { name: `n${i}`, allocatable: { cpu: 8000, memory: 2 ** 35 }, maxPods: 110, labels: {}, zone: '', unschedulable: false } });
    let t = T0;
    const live: string[] = [];
    steps.forEach((s, i) => {
      t += s.dt;
      if (s.kind === 'online' || s.kind === 'batch') {
        const uid = `p${i}`;
        events.push({ type: 'pod-arrival', time: t, pod: pod(uid, s.kind, s.pin ? `n${1 + (i % nodes)}` : undefined) });
        if (s.kind === 'online') live.push(uid);
      } else if (s.kind === 'usage' && live.length > 0) events.push({ type: 'pod-usage', time: t, uid: live[i % live.length]!, cpu: 300, memory: 2 ** 29 });
      else if (s.kind === 'app') events.push({ type: 'app-usage', time: t, app: 'web', cpu: 0.5, memory: 0.4 });
      else if (s.kind === 'node-usage') events.push({ type: 'node-usage', time: t, name: `n${1 + (i % nodes)}`, cpu: 100, memory: 2 ** 28 });
      else if (s.kind === 'end' && live.length > 0) events.push({ type: 'pod-end', time: t, uid: live.splice(i % live.length, 1)[0]! });
    });
    const lines = events.map(serializeEvent);
    if (header) lines.unshift(JSON.stringify({ format: 'tidal-trace', version: 1, start: T0, end: t + 3_600_000 }));
    return lines;
  });

type LineOp =
  | { op: 'drop' | 'dup' | 'swap' | 'truncate' | 'far' | 'garbage' | 'blank'; at: number; arg: number }
  | { op: 'replace'; at: number; arg: number; text: string };

const lineOpsArb: fc.Arbitrary<LineOp[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constantFrom('drop', 'dup', 'swap', 'truncate', 'far', 'garbage', 'blank'), at: fc.nat(), arg: fc.nat() }),
    fc.record({ op: fc.constant('replace'), at: fc.nat(), arg: fc.nat(), text: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('-1', '1e400', 'null', '"x"', '{}', '[]', '99999999999999999999', 'NaN', '"node-add"')) }),
  ) as fc.Arbitrary<LineOp>,
  { maxLength: 4 },
);

function applyLineOps(src: readonly string[], ops: readonly LineOp[]): string[] {
  const lines = [...src];
  for (const o of ops) {
    if (lines.length === 0) break;
    const i = o.at % lines.length;
    const l = lines[i]!;
    switch (o.op) {
      case 'drop': lines.splice(i, 1); break;
      case 'dup': lines.splice(i, 0, l); break;
      case 'swap': { const j = o.arg % lines.length; [lines[i], lines[j]] = [lines[j]!, l]; break; }
      case 'truncate': lines[i] = l.slice(0, o.arg % (l.length + 1)); break;
      case 'far': lines[i] = l.replace(/"time":\d+/, `"time":${[4102444800000, 8.64e15, 1e20, -5][o.arg % 4]}`); break;
      case 'garbage': lines[i] = l.slice(0, o.arg % (l.length + 1)) + '\u0000\uFFFD,}' + l.slice(o.arg % (l.length + 1)); break;
      case 'blank': lines.splice(i, 0, ''); break;
      case 'replace': {
        // Replace the value of one key (found by position) with arbitrary text.
        const keys = [...l.matchAll(/"[a-zA-Z]+":/g)];
        if (keys.length === 0) break;
        const k = keys[o.arg % keys.length]!;
        const from = k.index! + k[0].length;
        const m = /^("[^"]*"|[^,}\]]*)/.exec(l.slice(from))!;
        lines[i] = l.slice(0, from) + o.text + l.slice(from + m[0].length);
        break;
      }
    }
  }
  return lines;
}

const PROFILE_TEXT = await readFile(join(ROOT, 'profiles/daily-tidal.yaml'), 'utf8');
const PROFILE = parseProfile(PROFILE_TEXT, 'daily-tidal.yaml');

describe('Tidal JSON Lines readers', () => {
  it('a mutated trace reads (lenient: every line accounted for; strict: TraceError or success) and replays bounded', async () => {
    await fc.assert(
      fc.asyncProperty(traceArb, lineOpsArb, async (base, ops) => {
        const lines = applyLineOps(base, ops);
        const file = nextFile('t.jsonl');
        await writeFile(file, lines.join('\n') + '\n');
        // Strict: success, or a TraceError naming this file, line and column.
        try {
          await bounded('strict read', (async () => collect((await readTidalTrace(file)).events()))());
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(TraceError);
          expect((e as Error).message.startsWith(`${file}:`)).toBe(true);
        }
        // Lenient: only a bad header may refuse the file; otherwise read + skipped = lines.
        let trace;
        try {
          trace = await readTidalTrace(file, { strict: false });
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(TraceError);
          return;
        }
        const read = await bounded('lenient read', collect(trace.events()));
        const counted = lines.filter((l, i) => l.trim() !== '' && !(i === 0 && trace.header)).length;
        expect(read.length + (trace.info.skipped.get(file) ?? 0)).toBe(counted);
        if (read.length === 0) return;
        try {
          const r = await bounded('replay', simulate({ trace: await readTidalTrace(file, { strict: false }), profile: PROFILE, policies: [policyByName('kube-default')], maxTicks: 20_000 }));
          expect(r.end).toBeGreaterThanOrEqual(r.start);
        } catch (e) {
          expect(isBug(e), String((e as Error).stack)).toBe(false);
          expect((e as Error).message).toMatch(/ticks .* above the limit of 20,000/);
        }
      }),
      runs(60),
    );
  }, 300_000);
});

// ---- Alibaba 2018 batch_instance ------------------------------------------------------------------

const fieldArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -100, max: 90_000 }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('', '-1', '101', 'abc', '1e400', '0', '3.5', '"q"', ' ') },
);
const instanceRowArb = fc
  .tuple(fc.constantFrom('ins_1', 'ins_2', ''), fc.constantFrom('M1', 'R2_1', ''), fc.constantFrom('j_1', 'j_2', ''), fieldArb, fieldArb, fieldArb, fieldArb, fieldArb, fieldArb, fc.nat({ max: 3 }))
  .map(([inst, task, job, start, end, cpuAvg, cpuMax, memAvg, memMax, shape]) => {
    const cols = [inst, task, job, '1', 'Terminated', start, end, 'm_1', '1', '1', cpuAvg, cpuMax, memAvg, memMax];
    if (shape === 1) cols.length = 5; // too few columns
    if (shape === 2) cols.push('extra');
    return cols.join(',');
  });

describe('Alibaba readers', () => {
  it('batch_instance rows: pods + dropped by reason + skipped = rows; strict: TraceError or success', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(instanceRowArb, { minLength: 1, maxLength: 30 }), async (rows) => {
        const folder = await mkdtemp(join(dir, 'ali-'));
        const file = join(folder, 'batch_instance.csv');
        await writeFile(file, rows.join('\n') + '\n');
        try {
          await bounded('strict read', (async () => collect((await readAlibaba2018(folder)).events()))());
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(TraceError);
          expect((e as Error).message.startsWith(`${file}:`)).toBe(true);
        }
        const t = await readAlibaba2018(folder, { strict: false });
        const events = await bounded('lenient read', collect(t.events()));
        const pods = events.filter((e) => e.type === 'pod-arrival').length;
        const dropped = Object.entries(t.stats.dropped)
          .filter(([why]) => why !== 'batch instance usage missing')
          .reduce((s, [, k]) => s + k, 0);
        const nonBlank = rows.filter((r) => r.trim() !== '').length;
        expect(pods + dropped + (t.info.skipped.get(file) ?? 0), JSON.stringify({ pods, dropped: t.stats.dropped, skipped: [...t.info.skipped] })).toBe(nonBlank);
      }),
      runs(40),
    );
  }, 300_000);
});

// ---- profiles and TidalConfigs --------------------------------------------------------------------

const textOpsArb = fc.array(
  fc.record({ at: fc.nat(), kind: fc.constantFrom('delete', 'insert', 'replace', 'truncate'), text: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom(': ', '- ', '  ', '"25:00"', '24:00', '-1', '1.5', 'null', '[', '{', '&a', '*a', '!!binary', '\t', 'batchShare: 2', 'start: "02:00"')) }),
  { minLength: 1, maxLength: 4 },
);

function mutateText(src: string, ops: ReadonlyArray<{ at: number; kind: string; text: string }>): string {
  let s = src;
  for (const o of ops) {
    const i = o.at % (s.length + 1);
    if (o.kind === 'delete') s = s.slice(0, i) + s.slice(i + 1 + (o.text.length % 8));
    else if (o.kind === 'insert') s = s.slice(0, i) + o.text + s.slice(i);
    else if (o.kind === 'replace') s = s.slice(0, i) + o.text + s.slice(i + o.text.length);
    else s = s.slice(0, i);
  }
  return s;
}

describe('YAML loaders', () => {
  it('a mutated profile is a Profile (whose warnings compute) or a ProfileError', async () => {
    const shipped = [PROFILE_TEXT, await readFile(join(ROOT, 'profiles/double11.yaml'), 'utf8')];
    await fc.assert(
      fc.property(fc.nat({ max: 1 }), textOpsArb, (which, ops) => {
        const text = mutateText(shipped[which]!, ops);
        try {
          const p = parseProfile(text, 'fuzz.yaml');
          expect(Array.isArray(profileWarnings(p, T0, 60))).toBe(true);
        } catch (e) {
          expect(e, String((e as Error).stack)).toBeInstanceOf(ProfileError);
          expect((e as Error).message).toMatch(/^fuzz\.yaml(:\d+:\d+)?: /);
        }
      }),
      runs(300),
    );
  }, 300_000);

  it('a mutated TidalConfig is a config or a ConfigError', async () => {
    const shipped = [await readFile(join(ROOT, 'scheduler/config/example-config.yaml'), 'utf8'), await readFile(join(ROOT, 'deploy/base/config/tidal-config.yaml'), 'utf8')];
    await fc.assert(
      fc.property(fc.nat({ max: 1 }), textOpsArb, (which, ops) => {
        try {
          parsePolicyConfig(mutateText(shipped[which]!, ops), 'fuzz.yaml');
        } catch (e) {
          expect(e, String((e as Error).stack)).toBeInstanceOf(ConfigError);
        }
      }),
      runs(300),
    );
  }, 300_000);

  // Issue 17's demand scenarios and the comparison's sweep files go through the same checker.
  it('a mutated demand scenario is a Scenario or a positioned ScenarioError', async () => {
    const shipped = await readFile(join(ROOT, 'docs/runbooks/double11-scenario.yaml'), 'utf8');
    await fc.assert(
      fc.property(textOpsArb, (ops) => {
        try {
          parseScenario(mutateText(shipped, ops), 'fuzz.yaml');
        } catch (e) {
          expect(e, String((e as Error).stack)).toBeInstanceOf(YamlCheckError);
          expect((e as Error).message).toMatch(/^fuzz\.yaml:\d+:\d+: /);
        }
      }),
      runs(300),
    );
  }, 300_000);

  it('a mutated sweep file is a sweep or a positioned error', async () => {
    const shipped = [await readFile(join(ROOT, 'simulator/scenarios/sweep.yaml'), 'utf8'), await readFile(join(ROOT, 'simulator/scenarios/sweep-full.yaml'), 'utf8')];
    await fc.assert(
      fc.property(fc.nat({ max: 1 }), textOpsArb, (which, ops) => {
        try {
          parseSweep(mutateText(shipped[which]!, ops), 'fuzz.yaml');
        } catch (e) {
          expect(e, String((e as Error).stack)).toBeInstanceOf(YamlCheckError);
          expect((e as Error).message).toMatch(/^fuzz\.yaml:\d+:\d+: /);
        }
      }),
      runs(300),
    );
  }, 300_000);
});

// ---- argument vectors -----------------------------------------------------------------------------

const VALUES = ['0s', '1ms', '1s', '5m', '2m', '-1', 'abc', '', '0', '0.9', '3', '1e400', '2026-11-16T00:00:00Z', '1999-01-01T00:00:00Z', '100x64/256Gi', '0x1/1', 'residual', 'half', '512Gi', 'Terminated'];
const SIM_FLAGS = ['--sample-interval', '--descheduler-interval', '--risk-threshold', '--until', '--machines', '--machine-usage', '--machine-memory', '--max-pods', '--trace-start', '--task-status', '--lenient', '--no-progress', '--policy', '--bogus'];
const DESCHED_FLAGS = ['--hot-cpu', '--target-cpu', '--hot-memory', '--target-memory', '--max-per-node', '--max-total', '--hot-consecutive', '--hot-lookahead', '--priority-threshold', '--min-pod-age', '--no-drain', '--no-hot-spot', '--log-level'];
const BARE = new Set(['--lenient', '--no-progress', '--no-drain', '--no-hot-spot']);

const argvArb = (flags: readonly string[]) =>
  fc.array(fc.tuple(fc.constantFrom(...flags), fc.constantFrom(...VALUES)), { maxLength: 5 }).map((pairs) => pairs.flatMap(([f, v]) => (BARE.has(f) ? [f] : [f, v])));

describe('tidal argument vectors', () => {
  let trace = '';
  beforeAll(async () => {
    trace = nextFile('tiny.jsonl');
    const lines = [
      JSON.stringify({ format: 'tidal-trace', version: 1, start: T0, end: T0 + 3_600_000 }),
      serializeEvent({ type: 'node-add', time: T0, node: { name: 'n1', allocatable: { cpu: 8000, memory: 2 ** 35 }, maxPods: 110, labels: {}, zone: '', unschedulable: false } }),
      serializeEvent({ type: 'pod-arrival', time: T0 + 1000, pod: pod('b1', 'batch') }),
    ];
    await writeFile(trace, lines.join('\n') + '\n');
  });

  it('simulate: runs, or refuses naming the flag; never a TypeError', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await fc.assert(
        fc.asyncProperty(argvArb(SIM_FLAGS), async (argv) => {
          const program = new Command('tidal').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
          registerSimulate(program);
          for (const c of program.commands) c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
          const out = nextFile('report');
          try {
            await bounded(argv.join(' '), program.parseAsync(['simulate', '--trace', trace, '--profile', join(ROOT, 'profiles/daily-tidal.yaml'), '--out', out, '--no-progress', ...argv], { from: 'user' }));
          } catch (e) {
            if (e instanceof CommanderError) return;
            expect(isBug(e), `${argv.join(' ')}: ${(e as Error).stack}`).toBe(false);
            expect((e as Error).message, argv.join(' ')).toMatch(/--[a-z-]+|until|trace|ticks/);
          }
        }),
        runs(40),
      );
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  }, 300_000);

  it('deschedule flags: a planner, or a refusal naming the flag', () => {
    fc.assert(
      fc.property(argvArb(DESCHED_FLAGS), (argv) => {
        const program = new Command();
        registerDeschedule(program);
        const cmd = program.commands.find((c) => c.name() === 'deschedule')!.exitOverride().configureOutput({ writeErr: () => {} });
        try {
          cmd.parseOptions(argv);
          plannerFromFlags(cmd.opts() as Parameters<typeof plannerFromFlags>[0]);
        } catch (e) {
          if (e instanceof CommanderError) return;
          expect(isBug(e), `${argv.join(' ')}: ${(e as Error).stack}`).toBe(false);
          expect((e as Error).message, argv.join(' ')).toMatch(/--[a-z-]+|duration/);
        }
      }),
      runs(300),
    );
  }, 300_000);
});
