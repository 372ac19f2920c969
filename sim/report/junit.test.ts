import { create } from 'xmlbuilder2';
import { describe, expect, it } from 'vitest';
import { formatJunit } from './junit.ts';
import { buildReportData } from './report-data.ts';
import { SWEEP } from './test-runs.ts';

interface El { name: string; attrs: Record<string, string>; text: string; children: El[] }

/** Parses the XML with a real parser (malformed XML throws) into a small tree. */
function parse(xml: string): El {
  const doc = create(xml);
  const walk = (node: ReturnType<typeof doc.root>): El => {
    const el = node.node as unknown as Element;
    const children: El[] = [];
    let text = '';
    node.each((child) => {
      if (child.node.nodeType === 1) children.push(walk(child));
      else text += child.node.textContent ?? '';
    }, false, false);
    return { name: el.nodeName, attrs: Object.fromEntries([...el.attributes].map((a) => [a.name, a.value])), text, children };
  };
  return walk(doc.root());
}

describe('formatJunit', () => {
  const xml = formatJunit(buildReportData(SWEEP, ['results.jsonl']));
  const root = parse(xml);

  it('is XML with one testsuite per scenario and one testcase per scenario × mode × release', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(root.name).toBe('testsuites');
    expect(root.attrs).toMatchObject({ tests: '3', failures: '2', errors: '1' });
    expect(root.children.map((s) => [s.name, s.attrs.name, s.attrs.tests])).toEqual([
      ['testsuite', 'lost-ack', '2'], ['testsuite', 'zombie-producer', '1'],
    ]);
    const cases = root.children.flatMap((s) => s.children.filter((c) => c.name === 'testcase'));
    expect(cases.map((c) => c.attrs.name)).toEqual([
      'at-least-once · Kafka 4.2', 'exactly-once · Kafka 4.2', 'exactly-once +no-fencing · Kafka 4.2',
    ]);
  });

  it('fails a testcase with the kinds and reproduce commands, and errs where the simulator broke', () => {
    const [lostAck] = root.children;
    const props = lostAck.children.find((c) => c.name === 'properties')!;
    expect(props.children.map((p) => p.attrs.name)).toEqual(['eos-sim.version', 'scenario.hash']);
    const [alo, eos] = lostAck.children.filter((c) => c.name === 'testcase');
    const failure = alo.children.find((c) => c.name === 'failure')!;
    expect(failure.attrs.type).toBe('duplicate,duplicate-processing');
    expect(failure.attrs.message).toContain('2 of 3 seeds failed');
    expect(failure.attrs.message).toContain('npx eos-sim run lost-ack --mode at-least-once --seed 1');
    expect(failure.text).toContain('seed 3: duplicate ×1, duplicate-processing ×2');
    expect(failure.text).toContain('reproduce: npx eos-sim run lost-ack --mode at-least-once --seed 3');
    expect(eos.children.map((c) => c.name)).toEqual(['error']);
    expect(eos.children[0].attrs.message).toContain('invariant-broken');
  });
});
