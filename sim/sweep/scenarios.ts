// Scenarios with their source: the validated Scenario to run, and the file's content as parsed, which a
// replay file carries and the scenario hash is taken over. Loaded once per file per thread.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { loadScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/types.ts';

export interface LoadedScenario {
  scenario: Scenario;
  source: unknown;
}

const cache = new Map<string, LoadedScenario>();

export function loadWithSource(file: string): LoadedScenario {
  let hit = cache.get(file);
  if (!hit) {
    // Validation first: it reports a broken file with its field path; the file then parses as plain data.
    const scenario = loadScenario(file);
    hit = { scenario, source: YAML.parse(readFileSync(file, 'utf8')) as unknown };
    cache.set(file, hit);
  }
  return hit;
}
