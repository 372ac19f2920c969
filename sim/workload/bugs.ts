// Bug modes: each switches one of Kafka's protections off, so a scenario can show that the checker sees
// the consequence. The switches themselves live where the protection lives (named in each sentence).
import type { ModelCheck } from '../kafka/checks.ts';
import type { Bug } from '../scenario/types.ts';

export const BUG_DESCRIPTIONS: Record<Bug, string> = {
  'no-seq-dedup': 'brokers accept every producer batch: no duplicate detection by sequence number (ProducerStateManager)',
  'no-fencing': 'producer epochs are not checked: a fenced (zombie) instance can still write, add partitions, commit offsets and end transactions',
  'read-uncommitted': 'consumers read with isolation.level=read_uncommitted: data of open and aborted transactions is visible',
  'offsets-outside-txn': 'the processor commits its input offsets with a plain OffsetCommit after the transaction instead of inside it',
  'random-txn-id': 'a processor takes a new transactional.id on every start, so nothing fences its previous instance',
  'unclean-election': 'unclean.leader.election.enable=true: an out-of-sync replica may become leader and lose acknowledged data',
};

/** The bug modes that are sets of the model's checks (sim/kafka/checks.ts), switched off together. */
export const BUG_CHECKS: Partial<Record<Bug, readonly ModelCheck[]>> = {
  'no-seq-dedup': ['duplicate-batch', 'sequence-gap', 'epoch-start-sequence'],
  'no-fencing': ['produce-epoch', 'marker-producer-epoch', 'coordinator-producer-epoch', 'init-producer-id-expected-epoch'],
};
