// Delivery modes are presets over client and application options (DESIGN's table). A scenario or a case
// may override single fields on top; a bug mode then switches one protection off.
import type { ConsumerConfig, ProducerConfig } from '../kafka/config.ts';
import type { Mode } from '../scenario/types.ts';

export interface ModePreset {
  description: string;
  producer: Partial<ProducerConfig>;
  consumer: Partial<ConsumerConfig>;
  /** The producing application resends a payment whose fate it did not learn. */
  resendUnknown: boolean;
  /** The ledger sink deduplicates by idempotency key. */
  sinkIdempotencyKeys: boolean;
}

export const MODE_PRESETS: Record<Mode, ModePreset> = {
  'at-most-once': {
    description: 'acks=0, no retries, commit before processing: nothing is done twice, anything may be lost',
    producer: { acks: 0, retries: 0, enableIdempotence: false },
    consumer: { commitOrder: 'before-processing', isolationLevel: 'read_uncommitted' },
    resendUnknown: false,
    sinkIdempotencyKeys: false,
  },
  'at-least-once': {
    description: 'acks=all, retries, no idempotence, commit after processing: nothing acknowledged is lost, retries duplicate',
    producer: { acks: 'all', enableIdempotence: false },
    consumer: { commitOrder: 'after-processing', isolationLevel: 'read_uncommitted' },
    resendUnknown: true,
    sinkIdempotencyKeys: false,
  },
  idempotent: {
    description: 'at-least-once + enable.idempotence: the broker drops retried batches of one producer session',
    producer: { acks: 'all', enableIdempotence: true },
    consumer: { commitOrder: 'after-processing', isolationLevel: 'read_uncommitted' },
    resendUnknown: true,
    sinkIdempotencyKeys: false,
  },
  'exactly-once': {
    description: 'idempotence + transactions with a stable transactional.id, read_committed, offsets inside the transaction, an idempotent sink',
    producer: { acks: 'all', enableIdempotence: true, transactional: true },
    consumer: { commitOrder: 'after-processing', isolationLevel: 'read_committed' },
    resendUnknown: true,
    sinkIdempotencyKeys: true,
  },
};
