// The HTML report as a browser shows it: a real failure (lost-ack, at-least-once, seed 1) rendered in
// headless Chromium from disk. No console error, no request beyond the file itself, and a diagram with
// the lanes, arrows, lost messages and witness marks its data says.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { resolveScenarioPath } from '../scenario/load.ts';
import { executeRun } from '../sweep/run-one.ts';
import { loadWithSource } from '../sweep/scenarios.ts';
import { reportData } from './formats.ts';
import { formatHtml } from './html.ts';
import { detailOfRun } from './rerun.ts';

const CHROMIUM = '/usr/bin/chromium';
/** CI sets this (see .ci/run): there a missing browser fails the test instead of skipping it. */
const REQUIRED = process.env.EOS_SIM_REQUIRE_BROWSER === '1';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function lostAckReport() {
  const { scenario, source } = loadWithSource(resolveScenarioPath('lost-ack'));
  const { run, report, summary } = executeRun({
    scenario, source, case: null, mode: 'at-least-once', bugs: [], overrides: { producer: {}, consumer: {} }, seed: 1, swarm: false,
    keepTrace: true, reproduce: 'npx eos-sim run lost-ack --seed 1',
  });
  const detail = detailOfRun(summary, scenario, run!, report!);
  const data = reportData([{ summary, plan: () => { throw new Error('not re-run'); } }], ['test'], 'html', { details: [detail] });
  return { data, diagram: detail.diagram! };
}

describe('HTML report in headless Chromium', () => {
  it('renders without console errors or network, with the diagram its data describes', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      if (REQUIRED) throw new Error(`${CHROMIUM} is missing but EOS_SIM_REQUIRE_BROWSER=1: install Debian's chromium package`);
      ctx.skip(`${CHROMIUM} not found (apt-get install chromium); CI requires it`);
    }
    const { data, diagram } = lostAckReport();
    const lost = diagram.messages.filter((m) => m.lost !== null).length;
    expect(lost).toBeGreaterThan(0);
    expect(diagram.highlights.length).toBeGreaterThan(0);

    const dir = mkdtempSync(join(tmpdir(), 'eos-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, formatHtml(data));
    const browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: FLAGS });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => { if (r.url() !== pathToFileURL(file).href) problems.push(`request: ${r.url()}`); });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      const svg = page.locator('svg.space-time');
      expect(await svg.count()).toBe(1);
      const lanes = await svg.locator('g.lane').evaluateAll((els) => els.map((e) => e.getAttribute('data-lane')));
      expect(lanes).toEqual(diagram.lanes.map((l) => l.id));
      expect(lanes).toEqual(expect.arrayContaining(['broker-1', 'broker-2', 'broker-3', 'producer-1', 'producer-2', 'consumer-1']));
      expect(await svg.locator('line.arrow:not(.lost)[marker-end]').count()).toBe(diagram.messages.length - lost);
      expect(await svg.locator('g.message.lost').count()).toBe(lost);
      expect(await svg.locator('circle.witness').count()).toBe(diagram.highlights.length);
      // Every arrow runs between two lanes of the diagram.
      const ends = await svg.locator('[data-from]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-from'), e.getAttribute('data-to')]));
      expect(ends).toHaveLength(diagram.messages.length);
      for (const [from, to] of ends) expect(lanes).toEqual(expect.arrayContaining([from, to]));
      expect(await page.locator('table.summary tbody tr').count()).toBe(1);
      expect(await page.locator('table.kinds-by-mode').textContent()).toContain('duplicate');
      expect(await page.locator('svg.chart rect.failing').count()).toBe(1);
      expect(await page.locator('section.failure .repro code').first().textContent()).toBe('npx eos-sim run lost-ack --seed 1');

      // The script runs: the focus box fades the messages that do not matter.
      await page.locator('input[data-focus]').check();
      expect(await svg.getAttribute('class')).toContain('focus');
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
