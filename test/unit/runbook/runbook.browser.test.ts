// runbook.html in a real browser (Debian's Chromium, headless, via playwright-core), as the report's
// browser test does: opened from file:// with every other request refused, it loads without console
// or page errors and shows its tables with the rows the Markdown has.
//
// Needs /usr/bin/chromium (apt-get install -y chromium). Skipped without it, except under CI=true.

import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { toHtml } from '../../../simulator/runbook/doc.ts';
import { fixtureRunbook } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';

if (!haveChromium && !inCI) console.warn(`runbook browser test skipped: ${CHROMIUM} not found. Install Debian's Chromium with: apt-get install -y chromium`);

describe.skipIf(!haveChromium && !inCI)('runbook.html in headless Chromium', () => {
  let browser: Browser | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders the timeline, nodes and metrics tables without errors', async () => {
    if (!haveChromium) throw new Error(`CI=true and ${CHROMIUM} is missing: the runbook's browser test needs Debian's Chromium (apt-get install -y chromium)`);
    const doc = await fixtureRunbook();
    dir = await mkdtemp(join(tmpdir(), 'tidal-runbook-browser-'));
    const file = join(dir, 'runbook.html');
    await writeFile(file, toHtml(doc));
    const url = pathToFileURL(file).href;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load' });
    expect(await page.title()).toBe('Peak runbook: fixture-peak with time-sharing-timetable');
    const timeline = page.locator('#timeline-table');
    const rows = timeline.locator('tbody tr');
    const expected = doc.blocks.find((b) => b.kind === 'table' && b.id === 'timeline-table');
    await expect(rows.count()).resolves.toBe(expected && expected.kind === 'table' ? expected.rows.length : -1);
    await expect(timeline.innerText()).resolves.toMatch(/2026-11-10 20:00\s+drain starts ahead of double11-peak: batch share ramps down to 0% by 22:00/);
    await expect(timeline.locator('code').first().innerText()).resolves.toMatch(/^kubectl get nodes -l |^tidal /);
    await expect(page.locator('#nodes-table tbody tr').count()).resolves.toBe(1);
    await expect(page.locator('#watch-table').innerText()).resolves.toContain('tidal_descheduler_evictions_total');
    const box = await timeline.boundingBox();
    expect(box!.width).toBeGreaterThan(800);
    expect(box!.height).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  }, 120_000);
});
