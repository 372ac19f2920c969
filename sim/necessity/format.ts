// The necessity table, for a person: a line per check, proven (by which run, showing what) or not.
import type { ChalkInstance } from 'chalk';
import type { Proof } from './necessity.ts';

export function formatProofs(proofs: readonly Proof[], c: ChalkInstance): string {
  const w = Math.max(...proofs.map((p) => p.check.length));
  const lines = proofs.map((p) => {
    const name = p.check.padEnd(w);
    if (!p.witness) {
      const why = p.unproven ?? `no anomaly in ${p.runs} runs`;
      return `  ${c.red('✗')} ${c.cyan(name)}  ${c.red('not proven')}: ${why}`;
    }
    const wit = p.witness;
    return `  ${c.green('✓')} ${c.cyan(name)}  ${wit.scenario} case ${wit.case} (${wit.label}) seed ${wit.seed}: ${wit.kinds.join(', ')}\n` +
      `${' '.repeat(w + 6)}${c.dim(wit.reproduce)}`;
  });
  const proven = proofs.filter((p) => p.witness).length;
  const broken = proofs.reduce((n, p) => n + p.broken.length, 0);
  const summary = `${proven}/${proofs.length} checks proven necessary` + (broken > 0 ? `; ${broken} runs broke the simulator with a check off` : '');
  return [c.bold('Model checks switched off one at a time (each must let an anomaly through in a clean case)'), ...lines,
    proven === proofs.length ? c.green(summary) : c.red(summary)].join('\n');
}
