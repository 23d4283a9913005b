// The readers' options as flags: validated naming the flag, refused for a Tidal trace, and a v2017
// batch_task table alone replays on --machines. Interval flags have a floor.

import { spawnSync } from 'node:child_process';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addReaderOptions, parseMachines, readerOptions, type ReaderFlags } from '../../../scheduler/cli/reader-options.ts';
import { openTrace } from '../../../simulator/traces/index.ts';
import { collect, writeTables } from '../traces/helpers.ts';

function flags(args: string[]): ReaderFlags {
  const cmd = addReaderOptions(new Command('x').exitOverride());
  cmd.parse(args, { from: 'user' });
  return cmd.opts() as ReaderFlags;
}

const TIDAL = 'simulator/samples/double11-small.jsonl';
const CLI = new URL('../../../scheduler/cli/tidal.ts', import.meta.url).pathname;

describe('reader flags', () => {
  it('become the Alibaba readers options', () => {
    const o = readerOptions(
      flags(['--lenient', '--trace-start', '2026-11-01T00:00:00+08:00', '--machine-usage', 'residual', '--machine-memory', '512Gi', '--max-pods', '110', '--max-instances-per-task', '3', '--task-status', 'Terminated', 'Running', '--replay-placement', '--machines', '10x64/256Gi']),
      'some/folder',
    );
    expect(o).toEqual({
      strict: false,
      start: '2026-11-01T00:00:00+08:00',
      machineUsage: 'residual',
      machineMemory: 512 * 2 ** 30,
      maxPods: 110,
      maxInstancesPerTask: 3,
      taskStatuses: ['Terminated', 'Running'],
      replayPlacement: true,
      machines: { count: 10, cpu: 64_000, memory: 256 * 2 ** 30 },
    });
  });

  it('are refused with the flag named when invalid', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--trace-start', 'yesterday'], /--trace-start must be an ISO 8601 instant/],
      [['--machine-memory', '-4Gi'], /--machine-memory must be positive/],
      [['--machine-memory', 'lots'], /--machine-memory: "lots" is not a Kubernetes quantity/],
      [['--max-pods', '0'], /--max-pods must be a whole number of at least 1 \(got "0"\)/],
      [['--max-instances-per-task', '2.5'], /--max-instances-per-task must be a whole number/],
      [['--machines', '10 machines'], /--machines must look like 100x64\/256Gi/],
      [['--machines', '1000000x64/256Gi'], /--machines count must be at most 100,000/],
    ];
    for (const [args, message] of bad) expect(() => readerOptions(flags(args), 'folder'), args.join(' ')).toThrow(message);
    expect(() => flags(['--machine-usage', 'half'])).toThrow(/Allowed choices are auto, background, residual, ignore/);
  });

  it('are refused for a Tidal trace, which carries its own nodes and times', () => {
    expect(() => readerOptions(flags(['--machines', '2x4/8Gi', '--max-pods', '3']), TIDAL)).toThrow(`--max-pods, --machines: only for Alibaba traces (a folder of CSV tables); ${TIDAL} is a Tidal trace`);
    expect(readerOptions(flags(['--lenient']), TIDAL)).toEqual({ strict: false });
  });

  it('let a v2017 batch_task table alone replay on N machines of a shape', async () => {
    const dir = await writeTables({ 'batch_task.csv': ['0,600,1,1,2,Terminated,1.5,0.01', '100,900,1,2,1,Terminated,0.5,0.02'] });
    await expect(collect((await openTrace(dir)).events()).then((e) => e.filter((x) => x.type === 'node-add').length)).resolves.toBe(0);
    const t = await openTrace(dir, readerOptions(flags(['--machines', '3x64/256Gi']), dir));
    const events = await collect(t.events());
    expect(events.filter((e) => e.type === 'node-add').map((e) => e.type === 'node-add' && [e.node.name, e.node.allocatable.cpu, e.node.allocatable.memory])).toEqual([
      ['machine-1', 64_000, 256 * 2 ** 30],
      ['machine-2', 64_000, 256 * 2 ** 30],
      ['machine-3', 64_000, 256 * 2 ** 30],
    ]);
    expect(events.filter((e) => e.type === 'pod-arrival')).toHaveLength(3);
  });

  it('parse --machines with CPU and memory quantities', () => {
    expect(parseMachines('4x500m/1.5Gi')).toEqual({ count: 4, cpu: 500, memory: 1.5 * 2 ** 30 });
  });
});

describe('tidal simulate interval flags', () => {
  it('refuse intervals under 1 s, naming the flag, without a stack trace', () => {
    // One spawn (the library refuses both intervals, test/unit/simulator/replay-bounds.test.ts).
    for (const [flag, value] of [['--descheduler-interval', '0s']] as const) {
      const r = spawnSync(process.execPath, [CLI, 'simulate', '--trace', TIDAL, '--profile', 'profiles/double11.yaml', flag, value, '--out', '/tmp/tidal-never-written'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr.trim()).toBe(`tidal: ${flag} must be at least 1s (got ${value})`);
    }
  }, 180_000);
});
