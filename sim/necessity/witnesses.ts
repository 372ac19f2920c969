// The recorded witness of each check's necessity: a shipped scenario's clean case and a seed where the
// check, switched off, lets an anomaly through (found by `eos-sim necessity --search`, kept here so the
// test suite proves each check with two runs instead of a search). A check no shipped scenario can show
// yet says why; the necessity test holds this list to exactly those checks, so it can only shrink.
import type { ModelCheck } from '../kafka/checks.ts';

export type WitnessEntry =
  | { scenario: string; case: number; seed: number }
  | { unproven: string };

export const WITNESSES: Record<ModelCheck, WitnessEntry> = {
  'duplicate-batch': { scenario: 'broker-stall', case: 3, seed: 1 },
  'sequence-gap': { scenario: 'new-epoch-out-of-order', case: 1, seed: 2 },
  'epoch-start-sequence': { scenario: 'new-epoch-out-of-order', case: 2, seed: 28 },
  'produce-epoch': { scenario: 'payment-random-faults', case: 1, seed: 15 },
  'marker-producer-epoch': { scenario: 'late-marker', case: 2, seed: 4 },
  'coordinator-producer-epoch': { scenario: 'late-produce', case: 2, seed: 1 },
  'init-producer-id-fence': { scenario: 'multi-topic-copy', case: 1, seed: 17 },
  'init-producer-id-expected-epoch': { scenario: 'zombie-resurrection', case: 1, seed: 1 },
  'transaction-timeout': { scenario: 'abandoned-transaction', case: 1, seed: 1 },
  'partition-verification': { scenario: 'late-produce', case: 2, seed: 1 },
  'min-insync-replicas': { scenario: 'lone-leader-power-loss', case: 3, seed: 1 },
  'diverging-epoch-truncation': { scenario: 'leader-partitioned', case: 3, seed: 7 },
  'broker-fencing': { scenario: 'broker-bounce', case: 1, seed: 2 },
  'group-generation': { scenario: 'random-faults', case: 1, seed: 35 },
  'unstable-offset-commit': { scenario: 'broker-bounce', case: 1, seed: 93 },
  'aborted-transaction-filter': { scenario: 'aborted-reads', case: 1, seed: 1 },
  'last-stable-offset': { scenario: 'aborted-reads', case: 1, seed: 1 },
};
