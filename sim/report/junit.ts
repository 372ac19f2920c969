// JUnit XML for CI dashboards: one testsuite per scenario and one testcase per scenario × mode × release.
// A testcase fails when any of its seeds found an anomaly (the message names the kinds, the body lists the
// failing seeds with the command that reproduces each) and errs when the simulator itself broke, which
// is not a finding. Built with xmlbuilder2, so escaping is the library's business.
import { create } from 'xmlbuilder2';
import { modeLabel, type ReportData, type RunGroup } from './report-data.ts';
import type { RunSummary } from '../sweep/results.ts';

const MAX_SEEDS_LISTED = 50;

function seedsBody(runs: readonly RunSummary[]): string {
  const lines = runs.slice(0, MAX_SEEDS_LISTED).map((r) => {
    const kinds = Object.entries(r.kinds).map(([k, n]) => `${k} ×${n}`).join(', ');
    return `seed ${r.seed}: ${kinds || r.verdict}\n  reproduce: ${r.reproduce}${r.failureFile ? `\n  replay file: ${r.failureFile}` : ''}`;
  });
  if (runs.length > MAX_SEEDS_LISTED) lines.push(`… ${runs.length - MAX_SEEDS_LISTED} more (the JSON report lists every run)`);
  return lines.join('\n');
}

export function formatJunit(data: ReportData): string {
  const byScenario = new Map<string, RunGroup[]>();
  for (const g of data.groups) byScenario.set(g.scenario, [...(byScenario.get(g.scenario) ?? []), g]);
  const failures = data.groups.filter((g) => g.failingSeeds.length > 0).length;
  const errors = data.groups.filter((g) => g.failingSeeds.length === 0 && g.brokenSeeds.length > 0).length;
  const root = create({ version: '1.0', encoding: 'UTF-8' })
    .ele('testsuites', { name: 'eos-sim', tests: data.groups.length, failures, errors });
  for (const [scenario, groups] of byScenario) {
    const suite = root.ele('testsuite', {
      name: scenario, tests: groups.length,
      failures: groups.filter((g) => g.failingSeeds.length > 0).length,
      errors: groups.filter((g) => g.failingSeeds.length === 0 && g.brokenSeeds.length > 0).length,
    });
    const props = suite.ele('properties');
    props.ele('property', { name: 'eos-sim.version', value: data.eosSimVersion });
    const hashes = [...new Set(groups.flatMap((g) => g.scenarioHashes))];
    if (hashes.length > 0) props.ele('property', { name: 'scenario.hash', value: hashes.join(' ') });
    for (const g of groups) {
      const runs = data.runs.filter((r) => r.scenario === g.scenario && r.kafka === g.kafka && modeLabel(r) === g.mode);
      const testcase = suite.ele('testcase', {
        classname: `eos-sim.${scenario}`, name: `${g.mode} · Kafka ${g.kafka}`,
      });
      const failing = runs.filter((r) => r.verdict === 'fail');
      const broken = runs.filter((r) => r.verdict === 'budget-exceeded' || r.verdict === 'invariant-broken');
      if (failing.length > 0) {
        const kinds = g.kinds.map((k) => `${k.kind} (${k.seeds} seeds)`).join(', ');
        testcase.ele('failure', {
          message: `${failing.length} of ${g.runs} seeds failed: ${kinds}; reproduce: ${failing[0].reproduce}`,
          type: g.kinds.map((k) => k.kind).join(','),
        }).txt(seedsBody(failing));
      }
      if (broken.length > 0) {
        testcase.ele('error', {
          message: `the simulator broke in ${broken.length} of ${g.runs} seeds (${[...new Set(broken.map((r) => r.verdict))].join(', ')}); reproduce: ${broken[0].reproduce}`,
          type: 'simulator',
        }).txt(seedsBody(broken));
      }
    }
  }
  return root.end({ prettyPrint: true }) + '\n';
}
