// The runbook's text, from a fixture plan: the timeline rows and commands in the profile's zone.

import { beforeAll, describe, expect, it } from 'vitest';
import { toHtml, toMarkdown } from '../../../simulator/runbook/doc.ts';
import type { Doc } from '../../../simulator/runbook/doc.ts';
import { fixtureRunbook } from './fixture.ts';

let doc: Doc;
let md: string;
let forecastMd: string;
beforeAll(async () => {
  doc = await fixtureRunbook();
  md = toMarkdown(doc);
  forecastMd = toMarkdown(await fixtureRunbook(['time-sharing']));
}, 120_000);

const row = (cells: string[]) => `| ${cells.join(' | ')} |`;

describe('runbook', () => {
  it('answers and names the nodes to add and by when', () => {
    expect(md).toMatch(/^# Peak runbook: fixture-peak with time-sharing-timetable$/m);
    expect(md).toContain('- Answer: 3 nodes (add 1 x peak), base cluster 2 nodes.');
    expect(md).toContain(row(['peak', '1', '4 CPU, 8 GiB, 110 pods', 'zone-a', 'tidal.io/pool=peak, topology.kubernetes.io/zone=zone-a', '2026-11-10 18:00', 'peak-001 .. peak-001']));
    expect(md).toMatch(/\| kube-default \| 2 \| 3 \| add 1 x peak \|/);
  });

  it('lays out the night in Asia/Shanghai with the commands of each step', () => {
    const show = (t: string) => `\`tidal profile show profiles/double11.yaml --at ${t}\`; \`tidal deschedule --profile profiles/double11.yaml --once --dry-run --at ${t}\``;
    expect(md).toContain(row(['2026-11-10 18:00', '1 x peak Ready', '-', '`kubectl get nodes -l tidal.io/pool=peak,topology.kubernetes.io/zone=zone-a` (expect peak-001 .. peak-001 Ready)']));
    expect(md).toContain(row(['2026-11-10 20:00', 'drain starts ahead of double11-peak: batch share ramps down to 0% by 22:00', '20% -> 0%', show('2026-11-10T20:00')]));
    expect(md).toContain(row(['2026-11-10 23:00', 'double11-peak begins: batch share holds at 0% (drain complete: no batch)', '0% -> 0%', show('2026-11-10T23:00')]));
    expect(md).toContain(row(['2026-11-11 02:00', 'batch returns: share steps up to 15% (double11-day)', '0% -> 15%', show('2026-11-11T02:00')]));
    expect(md).toContain('| 2026-11-10 22:00 | demand midnight begins: online CPU x1.5 by 2026-11-10 22:30, until 2026-11-11 02:00 | - | `tidal deschedule --profile profiles/double11.yaml --once --dry-run --at 2026-11-10T22:00` |');
    // Rows are in time order.
    const times = [...md.matchAll(/^\| (2026-11-\d\d \d\d:\d\d) \| .*(?:->|Ready|demand)/gm)].map((m) => m[1]!);
    expect(times).toEqual([...times].sort());
  });

  it('gives the batch capacity per hour at the planned size', () => {
    // 3 nodes of 4 cores = 12 cores; 23:00 is inside double11-peak: no batch.
    expect(md).toContain('Simulated at 3 nodes (12 cores).');
    expect(md).toMatch(/^\| 2026-11-10 23:00 \| 0% \| 0 \| 0 \| \d+ \| 0 \| 0 \|$/m);
    expect(md).toMatch(/^\| 2026-11-10 13:00 \| 30% \| 4 \| 0 \| \d+ \| 0 \| 0 \|$/m);
  });

  it('in forecast mode (time-sharing): the profile\'s events, the forecast drain ahead of each and explain node at each step, not the timetable\'s shares', () => {
    const cmds = (t: string) => `\`tidal explain node NODE --at ${t}\`; \`tidal deschedule --profile profiles/double11.yaml --once --dry-run --at ${t}\``;
    expect(forecastMd).toMatch(/^# Peak runbook: fixture-peak with time-sharing$/m);
    // The drain's lead is 3 slots (now's and 2 ahead): 45 minutes before 23:00.
    expect(forecastMd).toContain(row(['2026-11-10 22:15', 'forecast drain ahead of double11-peak (online demand x5 (memory x1.2) of the forecast from 23:00): each node evicts only its forecast shortfall, cheapest first', '-', cmds('2026-11-10T22:15')]));
    expect(forecastMd).toContain(row(['2026-11-10 23:00', 'double11-peak begins: online demand x5 (memory x1.2) of the forecast, reached by 2026-11-11 00:00, until 2026-11-11 02:00', '-', cmds('2026-11-10T23:00')]));
    expect(forecastMd).toContain(row(['2026-11-11 02:00', "double11-peak ends: the forecast falls back; batch is admitted again as each node's forecast allows", '-', cmds('2026-11-11T02:00')]));
    expect(forecastMd).toContain(row(['2026-11-11 02:00', 'double11-day begins: online demand x2 (memory x1.2) of the forecast, until 2026-11-12 00:00', '-', cmds('2026-11-11T02:00')]));
    // The recurring windows' shares (night 70%, evening 20%) are the timetable's: not in this runbook.
    expect(forecastMd).not.toMatch(/batch share ramps|share steps/);
    expect(forecastMd).toContain('| hour | batch admitted (cores requested) | batch running (cores) | online used (cores) | evictions | hot nodes (max) | batch pending (max pods) |');
    expect(forecastMd).toContain('tidal_descheduler_evictions_total{reason=~"peak-drain\\|forecast-drain"}');
    const times = [...forecastMd.matchAll(/^\| (2026-11-\d\d \d\d:\d\d) \| .*(?:begins|ends|ahead of|Ready|demand)/gm)].map((m) => m[1]!);
    expect(times).toEqual([...times].sort());
  });

  it('names the real /metrics series to watch and the rollback', () => {
    for (const s of ['tidal_descheduler_evictions_total', 'tidal_descheduler_plan_size', 'tidal_descheduler_cycles_total', 'tidal_descheduler_leader', 'tidal_extender_filter_decisions_total', 'tidal_extender_request_duration_seconds', 'tidal_extender_not_ready_answers_total']) expect(md).toContain(`| ${s} |`);
    expect(md).toContain('kubectl -n tidal-system scale deployment/tidal-descheduler --replicas=0');
  });

  it('renders the same document as HTML, escaped', () => {
    const html = toHtml({ title: 'a <b>', blocks: [{ kind: 'p', text: 'run `x < y` & go' }, ...doc.blocks] });
    expect(html).toContain('<title>a &lt;b&gt;</title>');
    expect(html).toContain('<p>run <code>x &lt; y</code> &amp; go</p>');
    expect(html).toContain('<table id="timeline-table">');
  });
});
