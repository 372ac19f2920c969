// Loaded with `node --import` by bin/cli.test.ts: breaks a model invariant when payments/0's leader log
// reaches offset 20, to prove that a broken model is reported as such (exit code 3), never as a finding.
// The condition depends only on the run, so the re-run that recovers the trace breaks at the same step.
import { InvariantError } from '../sim/core/invariant.ts';
import { Partition } from '../sim/kafka/partition.ts';

const original = Partition.prototype.appendAsLeader;
Partition.prototype.appendAsLeader = function (this: Partition, ...args: Parameters<typeof original>) {
  if (this.key === 'payments/0' && this.log.logEndOffset >= 20) {
    throw new InvariantError(`test: leader append at offset ${this.log.logEndOffset} of ${this.key} refused on purpose`);
  }
  return original.apply(this, args);
};
