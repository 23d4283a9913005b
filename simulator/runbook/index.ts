// The peak-night runbook: build it from a plan, write runbook.md and runbook.html.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Profile } from '../../scheduler/core/profile.ts';
import type { PlanReport } from '../plan.ts';
import { loadScenarioFile } from '../scenario/index.ts';
import { buildRunbook } from './build.ts';
import { toHtml, toMarkdown } from './doc.ts';

export { buildRunbook, chosenPolicy, peakSpan, timeline, type RunbookInput, type TimelineStep } from './build.ts';
export { toHtml, toMarkdown, type Block, type Doc } from './doc.ts';

/** Writes `<target>/runbook.md` and `runbook.html`, or, when target ends in .md, that file and its .html sibling. */
export async function writeRunbook(input: { report: PlanReport; profile: Profile; profileFile: string; scenarioFile?: string; command: string; policy?: string }, target: string): Promise<{ markdown: string; html: string }> {
  const doc = buildRunbook({ ...input, scenario: input.scenarioFile ? loadScenarioFile(input.scenarioFile) : null });
  const single = target.endsWith('.md');
  await mkdir(single ? dirname(target) : target, { recursive: true });
  const markdown = single ? target : join(target, 'runbook.md');
  const html = single ? target.replace(/\.md$/, '.html') : join(target, 'runbook.html');
  await writeFile(markdown, toMarkdown(doc));
  await writeFile(html, toHtml(doc));
  return { markdown, html };
}
