// The suite's table as text, for a 100-column terminal: one row per expectation case with its verdict,
// what it expects, and each kind found with the seeds that showed it; kinds the case allows without
// requiring them (`mayAlsoFind`) are marked "allowed", unexpected ones "UNEXPECTED". Failing cases are
// explained under the table with the command that reproduces their first offending seed.
import type { ChalkInstance } from 'chalk';
import { kindText, renderTable, wrapWords, type Column } from '../sweep/format.ts';
import type { CaseResult, SuiteResult } from './suite.ts';

const n = (x: number) => x.toLocaleString('en-US');

function foundWords(cr: CaseResult): string[] {
  return cr.found.map((f) => {
    const allowed = !cr.expected.includes(f.kind) && cr.mayAlsoFind.includes(f.kind);
    const text = kindText({ kind: f.kind, seeds: f.seeds, allowed });
    return cr.unexpected.includes(f.kind) ? `${text} UNEXPECTED` : text;
  });
}

export function formatSuite(res: SuiteResult, c: ChalkInstance): string {
  const width = (title: string, cells: string[], max: number) => Math.min(max, Math.max(title.length, ...cells.map((x) => x.length)));
  const columns: Column[] = [
    { title: 'scenario', width: width('scenario', res.cases.map((x) => x.scenario), 26), align: 'left' },
    { title: 'case', width: width('case', res.cases.map((x) => x.label), 26), align: 'left' },
    { title: 'seeds', width: 5, align: 'right' },
    { title: 'verdict', width: 7, align: 'left' },
  ];
  const lastWidth = 100 - columns.reduce((w, col) => w + col.width + 2, 0);
  const rows = res.cases.map((cr) => ({
    cells: [cr.scenario, cr.label, String(cr.seeds), cr.broken.length > 0 ? 'BROKEN' : cr.pass ? 'ok' : 'FAIL'],
    last: wrapWords([`expects ${cr.expected.join(', ') || 'nothing'}:`, ...foundWords(cr)], lastWidth),
    after: [],
  }));
  const out = renderTable(columns, rows, c, 'expected, then found (seeds)');
  out.push('');
  for (const cr of res.cases) {
    if (cr.pass) continue;
    out.push(c.red(`${cr.scenario} / ${cr.label}:`));
    if (cr.missing.length > 0) out.push(`  expected but never found: ${cr.missing.join(', ')}`);
    for (const k of cr.unexpected) {
      const f = cr.found.find((x) => x.kind === k)!;
      out.push(`  unexpected ${k} in ${f.seeds} seed(s); first: ${f.reproduce}`);
    }
  }
  const failed = res.cases.filter((x) => !x.pass).length;
  out.push(`${res.pass ? c.green.bold('SUITE PASS') : c.red.bold('SUITE FAIL')}  ${res.cases.length - failed}/${res.cases.length} cases as expected · ${n(res.runs)} runs · ${n(res.events)} events`);
  return out.join('\n');
}
