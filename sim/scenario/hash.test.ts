import { describe, expect, it } from 'vitest';
import { canonicalJson, scenarioHash } from './hash.ts';
import { loadScenario, resolveScenarioPath } from './load.ts';

describe('scenarioHash', () => {
  const lostAck = loadScenario(resolveScenarioPath('lost-ack'));

  it('ignores where the file lies and the order of keys', () => {
    const moved = { ...lostAck, file: '/elsewhere/lost-ack.yaml' };
    const reordered = Object.fromEntries(Object.entries(lostAck).reverse()) as typeof lostAck;
    expect(scenarioHash(moved)).toBe(scenarioHash(lostAck));
    expect(scenarioHash(reordered)).toBe(scenarioHash(lostAck));
    expect(scenarioHash(lostAck)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes with any value of the content', () => {
    const fewerSeeds = { ...lostAck, seeds: lostAck.seeds + 1 };
    const otherWorkload = { ...lostAck, workload: { ...lostAck.workload, producers: lostAck.workload.producers + 1 } };
    expect(scenarioHash(fewerSeeds)).not.toBe(scenarioHash(lostAck));
    expect(scenarioHash(otherWorkload)).not.toBe(scenarioHash(lostAck));
  });

  it('writes canonical JSON with sorted keys and list order kept', () => {
    expect(canonicalJson({ b: [2, 1], a: { d: 1, c: undefined } })).toBe('{"a":{"d":1},"b":[2,1]}');
  });
});
