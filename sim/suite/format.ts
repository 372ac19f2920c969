// The suite's table as text, for a 100-column terminal: one row per expectation case with its verdict,
// what it expects, and each kind found with the seeds that showed it; kinds the case allows without
// requiring them (`mayAlsoFind`) are marked "allowed", unexpected ones "UNEXPECTED". Failing cases are
// explained under the table with the command that reproduces their first offending seed.
import type { ChalkInstance } from 'chalk';
import { kindText, TABLE_WIDTH, wrapWords } from '../sweep/format.ts';
import type { CaseResult, SuiteResult } from './suite.ts';

const n = (x: number) => x.toLocaleString('en-US');

function foundWords(cr: CaseResult): string[] {
  return cr.found.map((f) => {
    const allowed = !cr.expected.includes(f.kind) && cr.mayAlsoFind.includes(f.kind);
    const text = kindText({ kind: f.kind, seeds: f.seeds, allowed });
    return cr.unexpected.includes(f.kind) ? `${text} UNEXPECTED` : text;
  });
}

const INDENT = ' '.repeat(15);

export function formatSuite(res: SuiteResult, c: ChalkInstance): string {
  // Two lines a case: verdict, seeds and the case's name; then what it expects and what was found (wrapped).
  const out = [c.bold('verdict  seeds  scenario / case')];
  for (const cr of res.cases) {
    const verdict = cr.broken.length > 0 ? c.magenta.bold('BROKEN ') : cr.pass ? c.green('ok'.padEnd(7)) : c.red.bold('FAIL'.padEnd(7));
    const name = `${cr.scenario} / ${cr.label}`;
    const room = TABLE_WIDTH - INDENT.length;
    out.push(`${verdict}  ${String(cr.seeds).padStart(5)}  ${name.length <= room ? name : `${name.slice(0, room - 1)}…`}`);
    const found = foundWords(cr);
    const words = [`expected: ${cr.expected.join(', ') || 'nothing'} · found:`, ...(found.length > 0 ? found : ['nothing'])];
    for (const line of wrapWords(words, TABLE_WIDTH - INDENT.length)) out.push(c.dim(INDENT + line.replace(/:,$/, ':').replace('found:,', 'found:')));
  }
  out.push('');
  for (const cr of res.cases) {
    if (cr.pass) continue;
    out.push(c.red(`${cr.scenario} / ${cr.label}:`));
    if (cr.missing.length > 0) out.push(`  expected but never found: ${cr.missing.join(', ')}`);
    for (const k of cr.unexpected) {
      const f = cr.found.find((x) => x.kind === k)!;
      out.push(`  unexpected ${k} in ${f.seeds} seed(s); first: ${f.reproduce}`);
    }
    for (const b of cr.broken) out.push(c.magenta(`  simulator broke (${b.verdict}) at seed ${b.seed}: ${b.message}; reproduce: ${b.reproduce}`));
  }
  const failed = res.cases.filter((x) => !x.pass).length;
  out.push(`${res.pass ? c.green.bold('SUITE PASS') : c.red.bold('SUITE FAIL')}  ${res.cases.length - failed}/${res.cases.length} cases as expected · ${n(res.runs)} runs · ${n(res.events)} events`);
  return out.join('\n');
}
