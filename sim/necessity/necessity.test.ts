import { describe, expect, it } from 'vitest';
import { MODEL_CHECK_NAMES } from '../kafka/checks.ts';
import { listScenarios, loadScenario } from '../scenario/load.ts';
import { proveByWitness, trySeed } from './necessity.ts';
import { WITNESSES } from './witnesses.ts';

const scenarios = new Map(listScenarios().map((s) => [s.name, loadScenario(s.file)]));

describe('necessity: each model check, switched off, lets an anomaly through its recorded witness', () => {
  for (const check of MODEL_CHECK_NAMES) {
    const entry = WITNESSES[check];
    if ('unproven' in entry) {
      it(`${check}: not proven yet, and says why`, () => {
        expect(entry.unproven.length).toBeGreaterThan(20);
      });
      continue;
    }
    it(`${check}: ${entry.scenario} case ${entry.case} seed ${entry.seed}`, () => {
      const proof = proveByWitness(check, entry, scenarios);
      expect(proof.broken).toEqual([]);
      expect(proof.witness?.kinds.length ?? 0).toBeGreaterThan(0);
    });
  }
});

describe('the checks not proven yet', () => {
  it('are exactly the ones listed here: proving one more means moving it out of this list', () => {
    const unproven = MODEL_CHECK_NAMES.filter((c) => 'unproven' in WITNESSES[c]);
    expect(unproven).toEqual([]);
  });
});

describe('trySeed', () => {
  it('finds nothing when the switched-off check is not what the case relies on', () => {
    // aborted-reads has no zombies: switching the coordinator's epoch check off changes nothing there.
    const v = trySeed('coordinator-producer-epoch', { scenario: scenarios.get('aborted-reads')!, caseIndex: 0 }, 1);
    expect(v.kinds).toEqual([]);
    expect(v.broken).toBeNull();
  });
});
