// Text formatters for people: a run report, readable at a glance. Colour comes from the
// caller's chalk instance, so it is off when the output is not a terminal or NO_COLOR is set.
import type { ChalkInstance } from 'chalk';
import type { Op } from '../check/history.ts';
import { describeFault } from '../faults/nemesis.ts';
import { modeLabel, type ReportData } from './report-data.ts';
import type { ReportedAnomaly, RunReport } from './run-report.ts';

const MAX_FAULTS_SHOWN = 12;
const n = (x: number) => x.toLocaleString('en-US');
const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;

export function opLine(op: Op): string {
  const err = op.error ? ` error=${op.error}` : '';
  return `#${op.index} ${ms(op.time)} ${op.process} ${op.type} ${op.f} ${JSON.stringify(op.value)}${err}`;
}

/** A witness's facts as `key=value` pairs (the ops and the seed are shown elsewhere). */
export function witnessFacts(a: ReportedAnomaly): string {
  const w = a.witness as Record<string, unknown>;
  const skip = new Set(['events', 'opIndexes', 'seed', 'stuck', 'virtualTimeUs']);
  return Object.entries(w).filter(([k, v]) => !skip.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join('  ');
}

/** Each anomaly with its witness facts and the history lines that prove it. */
export function formatAnomalies(anomalies: readonly ReportedAnomaly[], c: ChalkInstance): string[] {
  const out: string[] = [];
  for (const a of anomalies) {
    out.push('');
    out.push(`  ${c.red.bold(a.kind)}  ${a.message}`);
    const facts = witnessFacts(a);
    if (facts) out.push(`    ${c.dim(facts)}`);
    if ('events' in a.witness) for (const op of a.witness.events) out.push(`    ${c.dim(opLine(op))}`);
  }
  return out;
}

export function formatRunReport(r: RunReport, c: ChalkInstance): string {
  const out: string[] = [];
  const bugs = r.bugs.length > 0 ? r.bugs.join(',') : 'none';
  out.push(`${c.bold('eos-sim run')} ${c.cyan(r.scenario)}  mode=${c.bold(r.mode)}  kafka=${r.kafka}  seed=${r.seed}  bugs=${bugs}`);
  out.push(`  events ${n(r.events)} · virtual time ${ms(r.virtualTimeUs)} · trace hash ${c.bold(r.traceHash)}`);
  const s = r.stats;
  const writes = [`sends ok/info/fail ${s.sends.ok}/${s.sends.info}/${s.sends.fail}`];
  if (s.txns.ok + s.txns.info + s.txns.fail > 0) writes.push(`transactions committed/unknown/aborted ${s.txns.ok}/${s.txns.info}/${s.txns.fail}`);
  out.push(`  messages ${n(s.messagesSent)} sent, ${n(s.messagesLost)} lost, ${n(s.lateRequests)} late (served after their client closed) · ops ${n(s.ops)} · ${writes.join(' · ')} · polls ${n(s.polls)} read ${n(s.valuesRead)} · applied ${n(s.applies)}`);
  out.push(`  faults: ${r.schedule.length === 0 ? 'none' : `${r.schedule.length} scheduled`}${r.quiesced ? '' : c.yellow(' · did not quiesce')}`);
  // The schedule is data (random ones are drawn before the run): show it, so a story can be read and replayed.
  for (const e of r.schedule.slice(0, MAX_FAULTS_SHOWN)) out.push(c.dim(`    ${(e.atMs / 1000).toFixed(3)} s  ${describeFault(e)}`));
  if (r.schedule.length > MAX_FAULTS_SHOWN) out.push(c.dim(`    … ${r.schedule.length - MAX_FAULTS_SHOWN} more (--json has them all)`));
  const o = r.outcome;
  if (o.kind === 'invariant-broken') {
    out.push(c.magenta.bold('MODEL INVARIANT BROKEN') + `  at ${ms(o.atUs)}: ${o.message}`);
    out.push(c.dim('  the simulator broke, not Kafka: this is a bug of eos-sim; the history was not judged. Last trace records:'));
    for (const line of o.lastTrace) out.push(c.dim(`    ${line}`));
  } else if (o.kind === 'budget-exceeded') {
    out.push(c.magenta.bold('BUDGET EXCEEDED') + `  at ${ms(o.atUs)}: more than ${n(o.limit)} ${o.what === 'events' ? 'events executed' : 'events queued at once'}`);
    out.push(c.dim('  the run outgrew its budget (a runaway model loop, or a scenario too large for it); the history was not judged'));
  } else if (r.verdict === 'pass') {
    out.push(c.green.bold('PASS') + '  no anomaly found');
  } else {
    const summary = Object.entries(r.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ×${v}`).join(', ');
    out.push(c.red.bold('FAIL') + `  ${summary}`);
    out.push(...formatAnomalies(r.anomalies, c));
    const shown = r.anomalies.length;
    const total = Object.values(r.counts).reduce((x, y) => x + y, 0);
    if (total > shown) out.push(c.dim(`\n  (${total - shown} more not shown; --json has the capped list, --out writes the history)`));
  }
  out.push('');
  out.push(`reproduce: ${c.bold(r.reproduce)}`);
  out.push(c.dim(`model and its simplifications: ${r.model}`));
  return out.join('\n');
}

/** Rows as aligned columns, the first row bold; padding is measured on the uncoloured text. */
function columns(rows: string[][], c: ChalkInstance): string[] {
  // eslint-disable-next-line no-control-regex -- stripping ANSI colour codes is the point
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => plain(r[i]).length)));
  return rows.map((r) => r.map((cell, i) => cell + ' '.repeat(widths[i] - plain(cell).length)).join('  ').trimEnd())
    .map((l, ri) => (ri === 0 ? c.bold(l) : l));
}

/** A report of many runs for people: one row per scenario × mode × release, then how to reproduce each failure. */
export function formatReportText(data: ReportData, c: ChalkInstance): string {
  const rows: string[][] = [['scenario', 'mode', 'kafka', 'runs', 'failing', 'anomaly kinds (seeds)']];
  for (const g of data.groups) {
    const failing = g.failingSeeds.length + g.brokenSeeds.length;
    rows.push([
      g.scenario, g.mode, g.kafka, String(g.runs),
      failing === 0 ? c.green('0') : c.red(String(g.failingSeeds.length)) + (g.brokenSeeds.length > 0 ? c.yellow(` +${g.brokenSeeds.length} broken`) : ''),
      g.kinds.map((k) => `${k.kind}(${k.seeds})`).join(' ') || '-',
    ]);
  }
  const out = [...columns(rows, c), ''];
  for (const g of data.groups) if (g.first) out.push(`${c.red(`${g.scenario} / ${g.mode}`)} first ${g.first.verdict} seed ${g.first.seed}: ${g.first.reproduce}`);
  for (const f of data.failures) {
    out.push('', c.bold(`${f.summary.scenario} / ${modeLabel(f.summary)} seed ${f.summary.seed}`));
    if (f.note) out.push(c.yellow(`  note: ${f.note}`));
    if (f.report) out.push(...formatAnomalies(f.report.anomalies, c));
  }
  const t = data.totals;
  const verdict = t.failing + t.broken === 0 ? c.green.bold('PASS') : c.red.bold('FAIL');
  out.push('', `${verdict}  ${n(t.runs)} runs · ${n(t.pass)} pass · ${n(t.failing)} fail${t.broken > 0 ? ` · ${n(t.broken)} where the simulator broke` : ''} · eos-sim ${data.eosSimVersion}`);
  return out.join('\n');
}
