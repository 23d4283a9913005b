// tidal deschedule's flags become the core planner's configuration: defaults match DEFAULT_PLANNER,
// and bad values are refused with the flag's name.

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { plannerFromFlags, register } from '../../../scheduler/cli/deschedule.ts';
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
