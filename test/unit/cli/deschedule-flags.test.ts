// tidal deschedule's flags become the core planner's configuration: defaults match DEFAULT_PLANNER,
// and bad values are refused with the flag's name.

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { forecastPlanner, plannerFromFlags, register } from '../../../scheduler/cli/deschedule.ts';
import { PRESETS } from '../../../scheduler/core/config.ts';
import { DEFAULT_PLANNER } from '../../../scheduler/core/descheduling/plan.ts';

function flags(args: string[]) {
  const program = new Command();
  register(program);
  const cmd = program.commands.find((c) => c.name() === 'deschedule')!;
  cmd.parseOptions(args);
  return cmd.opts() as Parameters<typeof plannerFromFlags>[0];
}

describe('tidal deschedule flags', () => {
  it('default to the core planner defaults, curve lookahead included', () => {
    const p = plannerFromFlags(flags([]));
    expect(p.hotSpot).toEqual(DEFAULT_PLANNER.hotSpot);
    expect(p.limits).toEqual(DEFAULT_PLANNER.limits);
  });

  it('--hot-lookahead sets how many 15-minute slots of learned curves count; 0 turns prediction off', () => {
    expect(plannerFromFlags(flags(['--hot-lookahead', '4'])).hotSpot!.lookaheadSlots).toBe(4);
    expect(plannerFromFlags(flags(['--hot-lookahead', '0'])).hotSpot!.lookaheadSlots).toBe(0);
    expect(() => plannerFromFlags(flags(['--hot-lookahead', '1.5']))).toThrow(/--hot-lookahead must be a whole number/);
  });

  it('--no-hot-spot turns hot-spot relief off', () => {
    expect(plannerFromFlags(flags(['--no-hot-spot'])).hotSpot).toBeNull();
  });
});

describe('tidal deschedule: the forecast mode (the default) and --timetable', () => {
  const fc = PRESETS['time-sharing']!;
  const tt = PRESETS['time-sharing-timetable']!;
  it("drains the forecast shortfall at the policy's ForecastCapacity target with a book of its quantile, unless told otherwise", () => {
    const { planner, book } = forecastPlanner(flags([]), fc);
    expect(planner.forecast).toEqual({ target: 0.8, leadSlots: 2 });
    expect(book?.defaultRuntimeMs).toBe(3_600_000);
    // The drain counts batch CPU as the extender's filter admits it (by usage, the default; or as the policy says).
    expect(book?.batchCpu).toBe('usage');
    const byRequests = { ...fc, pluginArgs: { ...fc.pluginArgs, ForecastCapacity: { ...(fc.pluginArgs['ForecastCapacity'] as object), batchCpu: 'requests' } } };
    expect(forecastPlanner(flags([]), byRequests).book?.batchCpu).toBe('requests');
    expect(forecastPlanner(flags(['--forecast-target', '0.8', '--forecast-lead', '4']), fc).planner.forecast).toEqual({ target: 0.8, leadSlots: 4 });
    // --forecast, deprecated, changes nothing.
    expect(forecastPlanner(flags(['--forecast']), fc).planner.forecast).toEqual({ target: 0.8, leadSlots: 2 });
  });

  it('warns when the filter would fill nodes past the hot-spot threshold (relief and admission would fight)', () => {
    expect(forecastPlanner(flags([]), fc).warnings).toEqual([]);
    expect(forecastPlanner(flags(['--hot-cpu', '0.75', '--target-cpu', '0.7']), fc).warnings).toEqual([
      "the policy's ForecastCapacity target 0.8 is above --hot-cpu 0.75: batch admitted up to the target can run the node hot, and hot-spot relief would evict what the extender admits again; keep the target at or under the hot-spot threshold",
    ]);
    expect(forecastPlanner(flags(['--hot-cpu', '0.75', '--target-cpu', '0.7', '--no-hot-spot']), fc).warnings).toEqual([]);
  });

  it('warns when --forecast-target is not above what the extender admits up to (target 0.8 - admissionMargin 0.02 = 0.78): a loop', () => {
    expect(forecastPlanner(flags(['--forecast-target', '0.79']), fc).warnings).toEqual([]);
    expect(forecastPlanner(flags(['--forecast-target', '0.78']), fc).warnings).toEqual([
      "--forecast-target 0.78 is not above what the extender admits up to (the policy's ForecastCapacity target 0.8 less its admissionMargin 0.02: 0.78): the drain would evict batch the extender places again; use a drain target above 0.78, or change the policy's target",
    ]);
  });

  it('under the timetable there is no forecast drain; its flags are refused or checked', () => {
    expect(forecastPlanner(flags(['--timetable']), tt)).toMatchObject({ book: undefined });
    expect(forecastPlanner(flags(['--timetable']), tt).planner.forecast).toBeUndefined();
    expect(() => forecastPlanner(flags(['--timetable', '--forecast-target', '0.8']), tt)).toThrow(/--forecast-target needs the forecast mode/);
    expect(() => forecastPlanner(flags(['--forecast-target', '1.5']), fc)).toThrow(/--forecast-target must be a fraction/);
  });
});

describe('tidal deschedule refusals', () => {
  it('refuses --no-drain with --no-hot-spot: nothing would be checked', () => {
    expect(() => plannerFromFlags(flags(['--no-drain', '--no-hot-spot']))).toThrow('--no-drain with --no-hot-spot turns off both things the descheduler does (peak drain and hot-spot relief): nothing would be checked; drop one of them');
    expect(plannerFromFlags(flags(['--no-drain'])).drain).toBe(false);
  });

  it('refuses a relief target above its hot threshold', () => {
    expect(() => plannerFromFlags(flags(['--hot-cpu', '0.8', '--target-cpu', '0.9']))).toThrow('--target-cpu 0.9 is above --hot-cpu 0.8: relief would stop before the node is below the threshold that made it hot');
    expect(() => plannerFromFlags(flags(['--no-hot-spot', '--hot-cpu', '0.8', '--target-cpu', '0.9']))).not.toThrow();
  });

  it('offers every pino level for --log-level, fatal included, and refuses others', () => {
    expect((flags(['--log-level', 'fatal']) as unknown as { logLevel: string }).logLevel).toBe('fatal');
    const program = new Command();
    register(program);
    const cmd = program.commands.find((c) => c.name() === 'deschedule')!.exitOverride().configureOutput({ writeErr: () => {} });
    expect(() => cmd.parseOptions(['--log-level', 'loud'])).toThrow(/Allowed choices are trace, debug, info, warn, error, fatal, silent/);
  });
});
