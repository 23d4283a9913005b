// report.html in a real browser: Debian's Chromium, headless, driven by playwright-core. Opens the
// page from file:// with every request other than the page itself refused, and checks that it
// loads without a console error or page error, that each chart's SVG draws one line per policy
// across the plot, and saves a screenshot to test-artifacts/report.png to look at.
//
// Needs /usr/bin/chromium (apt-get install -y chromium). Without it the test is skipped with a
// printed reason, except under CI=true, where it fails.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { CHARTS, policyStyle } from '../../../simulator/report/charts.ts';
import { writeReport } from '../../../simulator/report/index.ts';
import { runScenario } from './scenario.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';

if (!haveChromium && !inCI) {
  console.warn(`report browser test skipped: ${CHROMIUM} not found. Install Debian's Chromium with: apt-get install -y chromium`);
}

describe.skipIf(!haveChromium && !inCI)('report.html in headless Chromium', () => {
  let browser: Browser | undefined;
  let dir: string | undefined;

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads without errors and draws every chart', async () => {
    if (!haveChromium) throw new Error(`CI=true and ${CHROMIUM} is missing: the report's browser test needs Debian's Chromium (apt-get install -y chromium)`);
    const t0 = performance.now();
    const result = await runScenario({ source: '/traces/demo <sample>', skipped: [['batch_task.csv', 12]] });
    dir = await mkdtemp(join(tmpdir(), 'tidal-report-browser-'));
    const { html } = await writeReport(result, dir, { source: '/traces/demo <sample>', timeZone: 'Asia/Shanghai' });
    const url = pathToFileURL(html).href;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
    await context.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url() === url ? route.continue() : route.abort();
    });

    const response = await page.goto(url, { waitUntil: 'load' });
    expect(response?.ok() ?? true).toBe(true);
    expect(await page.title()).toBe('Tidal simulation report: /traces/demo <sample>');
    await expect(page.locator('#skipped-rows').innerText()).resolves.toMatch(/12 bad rows were skipped[\s\S]*batch_task\.csv\s+12/);
    await expect(page.locator('dl.facts').innerText()).resolves.toMatch(/Asia\/Shanghai \(UTC\+08:00\)/);

    for (const spec of CHARTS) {
      const figure = page.locator(`#chart-${spec.id}`);
      await expect(figure.locator('svg').count(), spec.id).resolves.toBe(1);
      const svgBox = (await figure.locator('svg').boundingBox())!;
      expect(svgBox.width, spec.id).toBeGreaterThan(800);
      for (let i = 0; i < result.policies.length; i++) {
        const line = figure.locator(`svg path[fill="none"][stroke="${policyStyle(i).colour}"]:not([transform])`);
        await expect(line.count(), `${spec.id} ${result.policies[i]!.policy}`).resolves.toBe(1);
        const d = (await line.getAttribute('d')) ?? '';
        expect((d.match(/L/g) ?? []).length, `${spec.id} ${result.policies[i]!.policy}`).toBe(result.policies[i]!.series.length - 1);
        // Drawn across the plot: the line's box spans most of the chart's width.
        const box = (await line.boundingBox())!;
        expect(box.width, `${spec.id} ${result.policies[i]!.policy}`).toBeGreaterThan(svgBox.width * 0.8);
      }
      // Axis names and a legend entry per policy are on the chart.
      const text = (await figure.locator('svg text').allTextContents()).join('|');
      expect(text).toContain('time (Asia/Shanghai (UTC+08:00))');
      for (const p of result.policies) expect(text).toContain(p.policy);
    }

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    console.log(`report browser test: ${((performance.now() - t0) / 1000).toFixed(1)} s (simulation, report, Chromium, screenshot)`);
  }, 60_000);
});
