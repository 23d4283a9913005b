// tidal trace transform: apply a demand scenario to a base trace and write the result.

import type { Command } from 'commander';
import { loadScenarioFile, transformTrace } from '../../simulator/scenario/index.ts';
import { openTrace, writeTrace } from '../../simulator/traces/index.ts';

export function register(program: Command): void {
  const trace = program.commands.find((c) => c.name() === 'trace') ?? program.command('trace').description('make and convert traces');
  trace
    .command('transform')
    .description('apply a DemandScenario (demand surges with ramps, scale-out, extra batch, added nodes) to a trace; write Tidal JSON Lines')
    .requiredOption('--in <path>', 'base trace (any supported format)')
    .requiredOption('--scenario <file>', 'DemandScenario YAML')
    .requiredOption('--out <file>', 'output .jsonl (or .jsonl.gz)')
    .option('--lenient', 'skip malformed base rows (counted) instead of failing')
    .option('--nodes <template=count...>', 'nodes to add per template instead of its count (e.g. peak-64c=6)')
    .action(async (f: { in: string; scenario: string; out: string; lenient?: boolean; nodes?: string[] }) => {
      const scenario = loadScenarioFile(f.scenario);
      const nodes = parseNodeCounts(f.nodes ?? [], scenario.nodes.map((t) => t.name));
      const base = await openTrace(f.in, { strict: !f.lenient });
      const n = await writeTrace(transformTrace(base, scenario, { nodes }), f.out, { meta: { scenario: f.scenario, base: f.in } });
      console.log(`wrote ${n} events to ${f.out} (${f.in} under scenario ${scenario.name})`);
    });
}

export function parseNodeCounts(items: readonly string[], templates: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const m = /^([^=]+)=(\d+)$/.exec(item);
    if (!m) throw new Error(`--nodes ${item}: expected template=count, such as ${templates[0] ?? 'peak'}=4`);
    if (!templates.includes(m[1]!)) throw new Error(`--nodes ${item}: the scenario has no node template "${m[1]}" (it has: ${templates.join(', ') || 'none'})`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}
