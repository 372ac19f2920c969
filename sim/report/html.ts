// The HTML report: one self-contained file that opens from disk with no network (inline CSS, SVG and a
// few lines of script; a Content-Security-Policy forbids loading anything). It shows the summary table,
// anomaly counts per mode, a chart of failing seeds per scenario × mode and, for each failure shown in
// detail, its anomalies, fault timeline, reproduce command and space-time diagram.
import { ANOMALY_DESCRIPTIONS } from '../check/anomaly.ts';
import { describeFault } from '../faults/nemesis.ts';
import type { FailureDetail, KindCount, ReportData, RunGroup } from './report-data.ts';
import { modeLabel } from './report-data.ts';
import type { SpaceTime } from './space-time.ts';
import { opLine, witnessFacts } from './text.ts';

const esc = (s: string | number) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ms = (us: number) => `${(us / 1000).toFixed(3)} ms`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** One colour per anomaly drawn in a diagram (witness markers and their list entries share it). */
const WITNESS_COLOURS = ['#d1008f', '#0a7d8c', '#7a4fd6', '#b35c00', '#2f7d1f'];

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1400px;padding:1.5em;color:#1d232a;background:#fff}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.6em 0 .5em;border-bottom:1px solid #dde;padding-bottom:.2em}
h3{font-size:1.05em;margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.4em 0}th,td{border:1px solid #dde;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em}
.meta{color:#556;margin:.2em 0 1em}.meta span{margin-right:1.4em}
.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:600}.broken{color:#a05a00;font-weight:600}
.kind{display:inline-block;background:#fdecea;color:#8a1c1c;border-radius:3px;padding:0 .35em;margin:0 .2em .1em 0}
.note{background:#fff6dd;border-left:3px solid #e0a800;padding:.3em .6em}
.repro{display:flex;gap:.5em;align-items:center}.repro code{background:#f4f5f8;padding:.2em .4em;border-radius:3px}
button{font:inherit;font-size:.85em;cursor:pointer}
.failure{border:1px solid #dde;border-radius:6px;padding:.2em 1em 1em;margin:1em 0}
.scroll{overflow-x:auto;border:1px solid #eef;margin:.5em 0}
.legend{color:#556;font-size:.9em}.legend svg{vertical-align:middle}
ul.anomalies{padding-left:1.2em}ul.anomalies li{margin:.3em 0}
.ops{color:#556;font-size:.88em;white-space:pre-wrap;margin:.2em 0 0}
svg text{font:11px system-ui,sans-serif}svg .lane-label{font-weight:600}svg .role{fill:#667;font-size:10px}
svg .arrow{stroke:#8a94a6;stroke-width:1}svg .arrow.response{stroke:#b8c0cc}
svg .arrow.delayed{stroke:#e08a00;stroke-width:1.6}svg .arrow.lost{stroke:#d32f2f;stroke-width:1.6;stroke-dasharray:4 2}
svg .lost-mark{stroke:#d32f2f;stroke-width:2}
svg .band{fill:#f5a623;fill-opacity:.22}svg .band.global{fill:#f5a623;fill-opacity:.10}svg .band-edge{stroke:#e08a00;stroke-width:1}
svg .witness{stroke:#fff;stroke-width:1.5}svg .lane-line{stroke:#ccd}
svg.focus .arrow:not(.lost):not(.delayed):not(.witness-lane){opacity:.12}
`;

// Copies a reproduce command; toggles a diagram between all messages and those that matter.
const SCRIPT = `
document.querySelectorAll('button[data-copy]').forEach(function (b) {
  b.addEventListener('click', function () {
    var text = b.getAttribute('data-copy');
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(function () { b.textContent = 'copied'; }, function () { b.textContent = 'select and copy'; });
  });
});
document.querySelectorAll('input[data-focus]').forEach(function (box) {
  box.addEventListener('change', function () {
    var svg = document.getElementById(box.getAttribute('data-focus'));
    if (svg) svg.classList.toggle('focus', box.checked);
  });
});
`;

export function formatHtml(data: ReportData): string {
  const releases = [...new Set(data.runs.map((r) => r.kafka))];
  const t = data.totals;
  const title = `eos-sim report: ${plural(t.runs, 'run')}, ${plural(t.failing, 'failing run')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="eos-sim ${esc(data.eosSimVersion)}">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>eos-sim report</h1>
<div class="meta"><span>eos-sim <b>${esc(data.eosSimVersion)}</b></span><span>Kafka release: <b>${esc(releases.join(', '))}</b></span><span>from ${esc(data.sources.join(', '))}</span></div>
<p><b>${esc(t.runs)}</b> runs: <span class="pass">${esc(t.pass)} pass</span>, <span class="fail">${esc(t.failing)} fail</span>${t.broken > 0 ? `, <span class="broken">${esc(t.broken)} where the simulator broke</span>` : ''}.</p>
<h2>Summary</h2>
${summaryTable(data.groups)}
<h2>Anomalies per mode</h2>
${kindsByModeTable(data.kindsByMode)}
<h2>Failing seeds per scenario × mode</h2>
${failingChart(data.groups)}
<h2>Failures</h2>
${data.failures.length === 0 ? '<p>No failing run.</p>' : data.failures.map((f, i) => failureSection(f, i)).join('\n')}
${data.failuresNotShown > 0 ? `<p>${esc(plural(data.failuresNotShown, 'more failing run'))} not shown in detail; the summary's reproduce commands and the JSON report list every run.</p>` : ''}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function kindsText(kinds: readonly KindCount[]): string {
  if (kinds.length === 0) return '—';
  return kinds.map((k) => `<span class="kind" title="${esc(ANOMALY_DESCRIPTIONS[k.kind as keyof typeof ANOMALY_DESCRIPTIONS] ?? k.kind)}">${esc(k.kind)} ×${esc(k.seeds)}</span>`).join(' ');
}

function seedList(seeds: readonly number[]): string {
  const shown = seeds.slice(0, 12).join(', ');
  return seeds.length > 12 ? `${shown}, … (${seeds.length})` : shown;
}

function reproduce(command: string): string {
  return `<div class="repro"><code>${esc(command)}</code><button type="button" data-copy="${esc(command)}">copy</button></div>`;
}

function summaryTable(groups: readonly RunGroup[]): string {
  const rows = groups.map((g) => {
    const verdict = g.failingSeeds.length > 0 ? '<span class="fail">fail</span>' : g.brokenSeeds.length > 0 ? '<span class="broken">broken</span>' : '<span class="pass">pass</span>';
    return `<tr data-group="${esc(`${g.scenario} ${g.mode}`)}"><td>${esc(g.scenario)}</td><td>${esc(g.mode)}</td><td>${esc(g.kafka)}</td>`
      + `<td class="num">${esc(g.runs)}</td><td>${verdict} ${esc(seedList(g.failingSeeds))}</td><td>${kindsText(g.kinds)}</td>`
      + `<td>${g.brokenSeeds.length > 0 ? esc(seedList(g.brokenSeeds)) : ''}</td>`
      + `<td class="mono">${esc(g.scenarioHashes.join(' ') || '—')}</td><td>${g.first ? reproduce(g.first.reproduce) : ''}</td></tr>`;
  });
  return `<table class="summary"><thead><tr><th>scenario</th><th>mode</th><th>Kafka</th><th>runs</th><th>failing seeds</th><th>anomaly kinds (seeds)</th><th>simulator broke (seeds)</th><th>scenario hash</th><th>reproduce the first</th></tr></thead>\n<tbody>${rows.join('\n')}</tbody></table>`;
}

function kindsByModeTable(rows: ReportData['kindsByMode']): string {
  const kinds = [...new Set(rows.flatMap((r) => r.kinds.map((k) => k.kind)))].sort();
  if (kinds.length === 0) return '<p>No anomaly in any mode.</p>';
  const head = `<tr><th>mode</th>${kinds.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr><td>${esc(r.mode)}</td>${kinds.map((k) => {
    const c = r.kinds.find((x) => x.kind === k);
    return `<td class="num">${c ? `${esc(c.seeds)} <span class="legend">(${esc(c.anomalies)})</span>` : ''}</td>`;
  }).join('')}</tr>`);
  return `<table class="kinds-by-mode"><thead>${head}</thead><tbody>${body.join('')}</tbody></table><p class="legend">Seeds that showed each kind (anomalies in brackets).</p>`;
}

function failingChart(groups: readonly RunGroup[]): string {
  const rowH = 22;
  const labelW = 360;
  const barW = 420;
  const h = groups.length * rowH + 10;
  const bars = groups.map((g, i) => {
    const y = 5 + i * rowH;
    const failW = g.runs === 0 ? 0 : (g.failingSeeds.length / g.runs) * barW;
    const brokenW = g.runs === 0 ? 0 : (g.brokenSeeds.length / g.runs) * barW;
    const label = `${g.scenario} · ${g.mode} · ${g.kafka}`;
    return `<g class="bar"><title>${esc(`${label}: ${g.failingSeeds.length} of ${g.runs} seeds failed`)}</title>`
      + `<text x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(label)}</text>`
      + `<rect x="${labelW}" y="${y + 3}" width="${barW}" height="${rowH - 8}" fill="#eef1f5"/>`
      + `<rect class="failing" x="${labelW}" y="${y + 3}" width="${failW.toFixed(1)}" height="${rowH - 8}" fill="#d32f2f"/>`
      + `<rect x="${(labelW + failW).toFixed(1)}" y="${y + 3}" width="${brokenW.toFixed(1)}" height="${rowH - 8}" fill="#a05a00"/>`
      + `<text x="${labelW + barW + 8}" y="${y + 14}">${esc(`${g.failingSeeds.length}/${g.runs}`)}</text></g>`;
  });
  return `<svg class="chart" width="${labelW + barW + 70}" height="${h}" role="img" aria-label="failing seeds per scenario and mode">${bars.join('')}</svg>`;
}

function failureSection(f: FailureDetail, index: number): string {
  const s = f.summary;
  const kinds = Object.entries(s.kinds).map(([k, n]) => `<span class="kind">${esc(k)} ×${esc(n)}</span>`).join(' ');
  const parts = [
    `<section class="failure" id="failure-${index + 1}">`,
    `<h3>${esc(s.scenario)} · ${esc(modeLabel(s))} · Kafka ${esc(s.kafka)} · seed ${esc(s.seed)} — <span class="${s.verdict === 'fail' ? 'fail' : 'broken'}">${esc(s.verdict)}</span></h3>`,
    `<p>${kinds || esc(s.verdict)} · trace hash <code>${esc(s.traceHash)}</code>${s.scenarioHash ? ` · scenario hash <code>${esc(s.scenarioHash)}</code>` : ''}${s.failureFile ? ` · replay file <code>${esc(s.failureFile)}</code>` : ''}</p>`,
    reproduce(s.reproduce),
  ];
  if (f.note) parts.push(`<p class="note">${esc(f.note)}</p>`);
  if (f.diagram) parts.push(`<h4>Space-time diagram</h4>${diagram(f.diagram, `diagram-${index + 1}`)}`);
  const r = f.report;
  if (r) {
    parts.push(`<h4>Fault timeline</h4>${r.schedule.length === 0 ? '<p>No fault.</p>' : `<table class="faults"><thead><tr><th>at</th><th>fault</th></tr></thead><tbody>${r.schedule.map((e) => `<tr><td class="num">${esc((e.atMs / 1000).toFixed(3))} s</td><td class="mono">${esc(describeFault(e))}</td></tr>`).join('')}</tbody></table>`}`);
    parts.push(`<h4>Anomalies (${esc(r.anomalies.length)} shown)</h4><ul class="anomalies">`);
    r.anomalies.forEach((a, i) => {
      const colour = i < WITNESS_COLOURS.length ? ` style="border-left:4px solid ${WITNESS_COLOURS[i]};padding-left:.4em"` : '';
      const ops = 'events' in a.witness ? a.witness.events.map((op) => opLine(op)).join('\n') : '';
      const facts = witnessFacts(a);
      const details = ops ? `<details${i === 0 ? ' open' : ''}><summary>history lines</summary><div class="ops mono">${esc(ops)}</div></details>` : '';
      parts.push(`<li${colour}><span class="kind">${esc(a.kind)}</span> ${esc(a.message)}${facts ? `<div class="mono legend">${esc(facts)}</div>` : ''}${details}</li>`);
    });
    parts.push('</ul>');
  }
  parts.push('</section>');
  return parts.join('\n');
}

const GUTTER = 200;
const LANE_H = 36;
const TOP = 34;

/**
 * Where each instant of the diagram goes: left to right in time order, but not to scale. A run is bursts
 * of messages a fraction of a millisecond apart between long quiet stretches; to scale, the bursts would
 * be vertical strokes. Each gap between two instants gets a width that grows with the gap (in units of
 * the mean latency) up to a cap, so a burst spreads out and a quiet stretch shrinks.
 */
function timeScale(d: SpaceTime): { x: (us: number) => number; width: number; ticks: number[] } {
  const clip = (us: number) => Math.min(d.toUs, Math.max(d.fromUs, us));
  const instants = [d.fromUs, d.toUs, ...d.messages.flatMap((m) => [m.sentUs, m.atUs]), ...d.highlights.map((h) => h.atUs),
    ...d.faults.flatMap((f) => [clip(f.fromUs), clip(f.toUs)])];
  const times = [...new Set(instants)].sort((a, b) => a - b);
  const unit = Math.max(1, d.latencyUsMean);
  const xs = [0];
  for (let i = 1; i < times.length; i++) xs.push(xs[i - 1] + 3 + Math.min(40, (12 * (times[i] - times[i - 1])) / unit));
  const ticks: number[] = [];
  let lastTickX = -Infinity;
  times.forEach((t, i) => {
    if (xs[i] - lastTickX < 110) return;
    ticks.push(t);
    lastTickX = xs[i];
  });
  const x = (us: number) => {
    const t = clip(us);
    let lo = 0;
    let hi = times.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (times[mid] <= t) lo = mid;
      else hi = mid;
    }
    const f = times[hi] === times[lo] ? 0 : (t - times[lo]) / (times[hi] - times[lo]);
    return GUTTER + xs[lo] + f * (xs[hi] - xs[lo]);
  };
  return { x, width: xs[xs.length - 1], ticks };
}

/** Lanes as rows, time left to right; every element has a <title> that says what it is. */
export function diagram(d: SpaceTime, id: string): string {
  const scale = timeScale(d);
  const plotW = Math.max(600, scale.width);
  const width = GUTTER + plotW + 20;
  const height = TOP + d.lanes.length * LANE_H + 10;
  const x = (us: number) => scale.x(us).toFixed(1);
  const laneY = new Map(d.lanes.map((l, i) => [l.id, TOP + i * LANE_H + LANE_H / 2]));
  const y = (lane: string) => laneY.get(lane)!;
  const witnessLanes = new Set(d.highlights.map((h) => h.lane));
  const out: string[] = [];
  out.push(`<svg id="${esc(id)}" class="space-time" width="${width}" height="${height}" role="img" aria-label="space-time diagram">`);
  out.push(`<defs><marker id="${esc(id)}-head" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L8,4L0,8z" fill="#8a94a6"/></marker></defs>`);
  // Time axis.
  for (const us of scale.ticks) {
    out.push(`<line x1="${x(us)}" y1="${TOP - 6}" x2="${x(us)}" y2="${height - 6}" stroke="#f0f1f4"/><text x="${x(us)}" y="${TOP - 12}" text-anchor="middle">${esc(ms(us))}</text>`);
  }
  // Fault bands under everything else.
  for (const f of d.faults) {
    const x1 = Number(x(f.fromUs));
    const w = Math.max(2, Number(x(f.toUs)) - x1);
    if (f.lanes.length === 0) {
      out.push(`<g class="fault"><title>${esc(f.label)}</title><rect class="band global" x="${x1}" y="${TOP - 4}" width="${w}" height="${height - TOP}"/><line class="band-edge" x1="${x1}" y1="${TOP - 4}" x2="${x1}" y2="${height - 6}"/></g>`);
    }
    for (const lane of f.lanes) {
      if (!laneY.has(lane)) continue;
      out.push(`<g class="fault" data-lane="${esc(lane)}"><title>${esc(f.label)}</title><rect class="band" x="${x1}" y="${y(lane) - LANE_H / 2 + 3}" width="${w}" height="${LANE_H - 6}"/><line class="band-edge" x1="${x1}" y1="${y(lane) - LANE_H / 2 + 3}" x2="${x1}" y2="${y(lane) + LANE_H / 2 - 3}"/></g>`);
    }
  }
  for (const lane of d.lanes) {
    const ly = y(lane.id);
    const roles = lane.roles.length > 0 ? `<text class="role" x="${GUTTER - 10}" y="${ly + 12}" text-anchor="end">${esc(lane.roles.length === 1 ? lane.roles[0] : `${lane.roles.length} coordinator roles`)}</text>` : '';
    out.push(`<g class="lane ${lane.kind}" data-lane="${esc(lane.id)}"><title>${esc([lane.id, ...lane.roles].join('\n'))}</title>`
      + `<text class="lane-label" x="${GUTTER - 10}" y="${ly + (roles ? 0 : 4)}" text-anchor="end">${esc(lane.id)}</text>${roles}`
      + `<line class="lane-line" x1="${GUTTER}" y1="${ly}" x2="${GUTTER + plotW}" y2="${ly}"/></g>`);
  }
  for (const m of d.messages) {
    const y1 = y(m.from);
    const y2 = y(m.to);
    const cls = ['arrow', m.kind, m.lost ? 'lost' : '', m.delayed ? 'delayed' : '', witnessLanes.has(m.from) || witnessLanes.has(m.to) ? 'witness-lane' : ''].filter(Boolean).join(' ');
    const what = `${m.api} ${m.kind} #${m.correlationId} ${m.from} → ${m.to}, ${m.lost ? `lost at ${ms(m.atUs)} (${m.lost})` : `arrived ${ms(m.atUs)}`}${m.delayed ? ', delayed' : ''}`;
    if (m.lost) {
      // A lost message goes halfway and stops at a cross.
      const x1 = x(m.sentUs);
      const ym = (y1 + y2) / 2;
      out.push(`<g class="message lost" data-from="${esc(m.from)}" data-to="${esc(m.to)}"><title>${esc(what)}</title><line class="${cls}" x1="${x1}" y1="${y1}" x2="${x1}" y2="${ym}"/>`
        + `<path class="lost-mark" d="M${Number(x1) - 5},${ym - 5}l10,10m0,-10l-10,10"/></g>`);
    } else {
      out.push(`<line class="${cls}" data-from="${esc(m.from)}" data-to="${esc(m.to)}" x1="${x(m.sentUs)}" y1="${y1}" x2="${x(m.atUs)}" y2="${y2}" marker-end="url(#${esc(id)}-head)"><title>${esc(what)}</title></line>`);
    }
  }
  for (const h of d.highlights) {
    const colour = WITNESS_COLOURS[h.anomaly % WITNESS_COLOURS.length];
    out.push(`<circle class="witness" data-lane="${esc(h.lane)}" cx="${x(h.atUs)}" cy="${y(h.lane)}" r="6" fill="${colour}"><title>${esc(`${h.lane} at ${ms(h.atUs)}: ${h.label}`)}</title></circle>`);
  }
  out.push('</svg>');
  const omitted = d.omitted > 0 ? ` ${esc(plural(d.omitted, 'message'))} of the window left out (lost, delayed and the witness's messages are kept).` : '';
  return `<p class="legend"><label><input type="checkbox" data-focus="${esc(id)}"> fade messages that are neither lost, delayed nor the witness's</label></p>
<div class="scroll">${out.join('\n')}</div>
<p class="legend">${esc(ms(d.fromUs))} to ${esc(ms(d.toUs))} of virtual time · ${esc(plural(d.lanes.length, 'lane'))} · ${esc(plural(d.messages.length, 'message'))} · ${esc(plural(d.messages.filter((m) => m.lost).length, 'lost message'))} (red, crossed) · faults as orange bands · witness operations as coloured dots.${omitted}
Time runs left to right but not to scale: quiet stretches are narrowed and bursts widened (the axis labels give the virtual time). Arrows: ${esc(d.sendTimeNote)}.</p>`;
}
