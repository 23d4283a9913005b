#!/usr/bin/env node
// The `tidal` command. Each subcommand lives in its own module and registers itself here.

import { Command, CommanderError } from 'commander';
import { register as registerCerts } from './certs.ts';
import { register as registerConfigScheduler } from './config-scheduler.ts';
import { register as registerDemoExtender } from './demo.ts';
import { register as registerDeschedule } from './deschedule.ts';
import { register as registerExtender } from './extender.ts';
import { register as registerExplain } from './explain.ts';
import { PACKAGE_VERSION } from './package-root.ts';
import { register as registerProfile } from './profile.ts';
import { register as registerPlan } from './plan.ts';
import { register as registerSimulate } from './simulate.ts';
import { register as registerTraceTransform } from './trace-transform.ts';
import { register as registerSweep } from './sweep.ts';

const program = new Command('tidal')
  .description('Time-sharing co-location for Kubernetes: scheduler extender, descheduler and simulator over one policy core')
  .version(PACKAGE_VERSION, '-V, --version', 'print the version')
  .showHelpAfterError()
  .exitOverride();

registerExtender(program);
registerConfigScheduler(program);
registerCerts(program);
registerDeschedule(program);
registerProfile(program);
registerSimulate(program);
registerPlan(program);
registerTraceTransform(program);
registerSweep(program);
registerDemoExtender(program);
registerExplain(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(`tidal: ${(e as Error).message}`);
  process.exit(1);
}
