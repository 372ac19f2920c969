// Text formatters for people: a run report and a suite result, readable at a glance. Colour comes from the
// caller's chalk instance, so it is off when the output is not a terminal or NO_COLOR is set.
import type { ChalkInstance } from 'chalk';
import type { Op } from '../check/history.ts';
import { describeFault } from '../faults/nemesis.ts';
import type { CaseResult, SuiteResult } from '../suite/suite.ts';
import type { ReportedAnomaly, RunReport } from './run-report.ts';

const MAX_FAULTS_SHOWN = 12;
const n = (x: number) => x.toLocaleString('en-US');
const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;

function opLine(op: Op): string {
  const err = op.error ? ` error=${op.error}` : '';
  return `#${op.index} ${ms(op.time)} ${op.process} ${op.type} ${op.f} ${JSON.stringify(op.value)}${err}`;
}

function witnessFacts(a: ReportedAnomaly): string {
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

function caseVerdict(cr: CaseResult, c: ChalkInstance): string {
  if (cr.broken.length > 0) return c.magenta.bold('BROKEN');
  return cr.pass ? c.green('ok') : c.red.bold('FAIL');
}

export function formatSuite(res: SuiteResult, c: ChalkInstance): string {
  const rows: string[][] = [['scenario', 'case', 'seeds', 'expected', 'found (seeds)', 'verdict']];
  for (const cr of res.cases) {
    const found = cr.found.map((f) => `${f.kind}(${f.seeds})`).join(' ') || '-';
    rows.push([cr.scenario, cr.label, String(cr.seeds), cr.expected.join(' ') || 'none', found, caseVerdict(cr, c)]);
  }
  // Pad on the uncoloured text so colour codes do not break the columns.
  // eslint-disable-next-line no-control-regex -- stripping ANSI colour codes is the point
  const plain = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => plain(r[i]).length)));
  const lines = rows.map((r) => r.map((cell, i) => cell + ' '.repeat(widths[i] - plain(cell).length)).join('  ').trimEnd())
    .map((l, ri) => (ri === 0 ? c.bold(l) : l));
  const out = [...lines, ''];
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
