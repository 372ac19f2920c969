// The sweep's end table as text, for a 100-column terminal: one line per scenario × mode (× release),
// the anomaly kinds wrapped in the last column, and under each row that failed the command that
// reproduces its first failing seed. Colour comes from the caller's chalk instance.
import type { ChalkInstance } from 'chalk';
import type { KindCount, SweepRow, SweepTotals } from './table.ts';

export const TABLE_WIDTH = 100;
const GAP = '  ';
const n = (x: number) => x.toLocaleString('en-US');

/** Fits a cell to `width`, cutting the middle of a long name so both ends stay readable. */
function fit(text: string, width: number): string {
  if (text.length <= width) return text;
  const head = Math.ceil((width - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (width - 1 - head))}`;
}

/** Words laid into lines of at most `width` characters (a word longer than that gets a line of its own). */
export function wrapWords(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line === '') line = w;
    else if (line.length + 2 + w.length <= width) line += `, ${w}`;
    else {
      lines.push(line + ',');
      line = w;
    }
  }
  if (line !== '') lines.push(line);
  return lines.length > 0 ? lines : ['-'];
}

export function kindText(k: KindCount): string {
  return `${k.kind} ${k.seeds}${k.allowed ? ' (allowed)' : ''}`;
}

export interface Column {
  title: string;
  width: number;
  align: 'left' | 'right';
}

/**
 * Lays rows out under the titles; the last column takes what is left of TABLE_WIDTH and its cell may
 * span several lines. `after` adds lines under a row (its reproduce command).
 */
export function renderTable(columns: Column[], rows: { cells: string[]; last: string[]; after: string[] }[], c: ChalkInstance, lastTitle: string): string[] {
  const lastWidth = lastColumnWidth(columns);
  const pad = (text: string, col: Column) => (col.align === 'right' ? text.padStart(col.width) : text.padEnd(col.width));
  const out = [c.bold([...columns.map((col) => pad(col.title, col)), lastTitle].join(GAP).trimEnd())];
  const blank = columns.map((col) => ' '.repeat(col.width)).join(GAP) + GAP;
  for (const r of rows) {
    const lines = r.last.length > 0 ? r.last : ['-'];
    out.push([...columns.map((col, i) => pad(fit(r.cells[i], col.width), col)), fit(lines[0], lastWidth)].join(GAP).trimEnd());
    for (const l of lines.slice(1)) out.push(blank + fit(l, lastWidth));
    for (const a of r.after) out.push(c.dim(a));
  }
  return out;
}

/** The least the last column gets: names give way first (they are cut in the middle), the kinds do not. */
const LAST_MIN = 34;
const NAME_MIN = 12;

function lastColumnWidth(columns: readonly Column[]): number {
  return TABLE_WIDTH - columns.reduce((w, col) => w + col.width + GAP.length, 0);
}

/** Narrows the first (name) columns, widest first, until the last column has LAST_MIN characters. */
function makeRoom(columns: Column[], names: number): void {
  while (lastColumnWidth(columns) < LAST_MIN) {
    const widest = columns.slice(0, names).reduce((a, b) => (b.width > a.width ? b : a));
    if (widest.width <= NAME_MIN) return;
    widest.width--;
  }
}

function modeCell(r: SweepRow): string {
  return [r.mode, ...r.bugs.map((b) => `+${b}`), ...(r.swarm ? ['(swarm)'] : [])].join(' ');
}

export function formatSweep(t: SweepTotals, c: ChalkInstance): string {
  const releases = new Set(t.rows.map((r) => r.kafka));
  const anyBroken = t.broken > 0;
  const width = (title: string, cells: string[], max: number) => Math.min(max, Math.max(title.length, ...cells.map((x) => x.length)));
  const columns: Column[] = [
    { title: 'scenario', width: width('scenario', t.rows.map((r) => r.scenario), 30), align: 'left' },
    { title: 'mode', width: width('mode', t.rows.map(modeCell), 24), align: 'left' },
  ];
  if (releases.size > 1) columns.push({ title: 'kafka', width: width('kafka', t.rows.map((r) => r.kafka), 8), align: 'left' });
  columns.push({ title: 'runs', width: width('runs', t.rows.map((r) => n(r.runs)), 9), align: 'right' });
  columns.push({ title: 'failing', width: width('failing', t.rows.map((r) => n(r.failing)), 9), align: 'right' });
  if (anyBroken) columns.push({ title: 'broken', width: 6, align: 'right' });
  makeRoom(columns, 2);
  const rows = t.rows.map((r) => {
    const cells = [r.scenario, modeCell(r)];
    if (releases.size > 1) cells.push(r.kafka);
    cells.push(n(r.runs), r.failing > 0 ? n(r.failing) : '0');
    if (anyBroken) cells.push(n(r.broken));
    const after: string[] = [];
    if (r.firstFailing) after.push(`  ↳ seed ${r.firstFailingSeed}: ${r.firstFailing}`);
    if (r.firstBroken) after.push(`  ↳ simulator broke at seed ${r.firstBroken.seed} (${r.firstBroken.error}): ${r.firstBroken.reproduce}`);
    return { cells, last: wrapWords(r.kinds.map(kindText), lastColumnWidth(columns)), after };
  });
  const out = renderTable(columns, rows, c, 'anomaly kinds (seeds)');
  out.push('');
  const verdict = t.failing > 0 ? c.red.bold(`${n(t.failing)} failing`) : c.green.bold('no failures');
  const broken = anyBroken ? ` · ${c.yellow.bold(`${n(t.broken)} runs broke the simulator`)} (not findings; see above)` : '';
  if (t.failing > 0) out.push(c.dim('↳ the command that reproduces the row\'s first failing seed'));
  out.push(`${verdict}${broken} · ${n(t.runs)} runs · ${n(t.events)} events`);
  return out.join('\n');
}
