// The transaction coordinator of one broker (Kafka's TransactionCoordinator + TransactionStateManager +
// TransactionMarkerChannelManager), for the __transaction_state partitions it leads. Every transition is
// written to that replicated log (acks=all) before it takes effect; while one is being written the
// transaction has a pending state and other requests get CONCURRENT_TRANSACTIONS. EndTxn writes
// PrepareCommit/PrepareAbort, answers the client, sends WriteTxnMarkers to every partition in the
// transaction and then writes CompleteCommit/CompleteAbort. A new coordinator after failover reloads the
// log and finishes every prepared transaction. Ongoing transactions past transaction.timeout.ms are
// aborted with an epoch bump, which fences the producer that let them expire.
import type { Simulation } from '../core/simulation.ts';
import type { Envelope } from '../net/network.ts';
import type { Broker } from './broker.ts';
import { brokerNodeId, OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from './broker.ts';
import type { Partition } from './partition.ts';
import { coordinatorPartitionFor } from './partitioner.ts';
import {
  NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, partitionKey, registrationIn,
  type AddOffsetsToTxnRequest, type AddPartitionsToTxnRequest, type ControlType, type EndTxnRequest, type ErrorCode,
  type InitProducerIdRequest, type TxnResponse, type TxnStateValue, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse,
} from './protocol.ts';
import type { ModelChecks } from './checks.ts';
import type { KafkaFeatures } from './releases.ts';
import { checkTransition, type TransactionState } from './transaction-state.ts';

export interface TransactionMetadata {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  lastProducerEpoch: number;
  state: TransactionState;
  /** A transition being written to the log; requests meanwhile get CONCURRENT_TRANSACTIONS. */
  pendingState: TransactionState | null;
  partitions: Set<string>;
  timeoutMs: number;
  startUs: number;
}

/** How often the coordinator looks for expired transactions (transaction.abort.timed.out.transaction.cleanup.interval.ms). */
const EXPIRY_CHECK_MS = 100;
const MARKER_RETRY_MS = 50;
const WRITE_TIMEOUT_MS = 5000;

export interface TransactionCoordinatorOptions {
  /** Transaction version 2 (features.transactionV2) bumps the epoch at every EndTxn. */
  features: KafkaFeatures;
  /** The checks here that can be switched off (coordinator-producer-epoch, init-producer-id-*, transaction-timeout). */
  checks: ModelChecks;
}

interface LoadedPartition {
  partition: Partition;
  /** The coordinator epoch: the leader epoch of the __transaction_state partition when it was loaded. */
  coordinatorEpoch: number;
  txns: Map<string, TransactionMetadata>;
}

export class TransactionCoordinator {
  private readonly loaded = new Map<string, LoadedPartition>();

  constructor(
    private readonly sim: Simulation,
    private readonly broker: Broker,
    private readonly options: TransactionCoordinatorOptions,
  ) {}

  clear(): void {
    this.loaded.clear();
  }

  /** This broker became leader of a __transaction_state partition: rebuild its transactions from the log. */
  load(p: Partition): void {
    const txns = new Map<string, TransactionMetadata>();
    for (const b of p.log.batches) {
      for (const r of b.records) {
        if (typeof r === 'string' || r.type !== 'txn') continue;
        txns.set(r.transactionalId, {
          transactionalId: r.transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch,
          lastProducerEpoch: r.lastProducerEpoch, state: r.state, pendingState: null, partitions: new Set(r.partitions),
          timeoutMs: r.timeoutMs, startUs: r.startUs,
        });
      }
    }
    const entry: LoadedPartition = { partition: p, coordinatorEpoch: p.leaderEpoch, txns };
    this.loaded.set(p.key, entry);
    this.sim.log(`${this.broker.id} txn-coordinator load ${p.key} epoch=${p.leaderEpoch} txns=${txns.size}`);
    // Prepared transactions were decided: finish them. Ongoing ones wait for their producer or the timeout.
    for (const m of txns.values()) {
      if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') this.sendMarkers(entry, m, m.state === 'PrepareCommit' ? 'COMMIT' : 'ABORT');
    }
    this.scheduleExpiry(entry);
  }

  unload(p: Partition): void {
    this.loaded.delete(p.key);
  }

  private stillLoaded(entry: LoadedPartition): boolean {
    return this.loaded.get(entry.partition.key) === entry && entry.partition.role === 'leader';
  }

  private entryFor(transactionalId: string): LoadedPartition | null {
    const n = this.broker.options.transactionStatePartitions;
    const key = partitionKey(TRANSACTION_STATE_TOPIC, coordinatorPartitionFor(transactionalId, n));
    const entry = this.loaded.get(key);
    return entry && this.stillLoaded(entry) ? entry : null;
  }

  /** Writes a transition to the log, then applies it; `done` gets the append's error. */
  private transition(entry: LoadedPartition, m: TransactionMetadata, to: TransactionState, next: Partial<TransactionMetadata>,
    done: (error: ErrorCode) => void): void {
    checkTransition(m.transactionalId, m.state, to);
    this.sim.cover(`TransactionState ${m.state} -> ${to}`);
    m.pendingState = to;
    const after = { ...m, ...next };
    const partitions = [...after.partitions].sort();
    const record: TxnStateValue = {
      type: 'txn', transactionalId: m.transactionalId, producerId: after.producerId, producerEpoch: after.producerEpoch,
      lastProducerEpoch: after.lastProducerEpoch, state: to, partitions,
      timeoutMs: after.timeoutMs, startUs: after.startUs,
    };
    const batch = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, baseSequence: NO_SEQUENCE, isTransactional: false, records: [record] };
    this.broker.appendRecords(entry.partition, batch, 'all', WRITE_TIMEOUT_MS, (error) => {
      if (!this.stillLoaded(entry)) return done('NOT_COORDINATOR');
      m.pendingState = null;
      if (error !== 'NONE') return done('COORDINATOR_NOT_AVAILABLE');
      Object.assign(m, next);
      m.state = to;
      this.sim.logt`${this.broker.id} txn ${m.transactionalId} -> ${to} pid=${m.producerId} epoch=${m.producerEpoch} [${[...m.partitions].sort().join(',')}]`;
      done('NONE');
    });
  }

  private respond(env: Envelope, error: ErrorCode, m?: TransactionMetadata): void {
    // Once per request: written as template parts (Simulation.logt), so no text is built for it.
    if (m) this.sim.logt`${this.broker.id} txn-coordinator ${env.api} from ${env.from} -> ${error} (${m.state} epoch=${m.producerEpoch})`;
    else this.sim.logt`${this.broker.id} txn-coordinator ${env.api} from ${env.from} -> ${error}`;
    const resp: TxnResponse = { error, producerId: m?.producerId ?? NO_PRODUCER_ID, producerEpoch: m?.producerEpoch ?? NO_PRODUCER_EPOCH };
    this.broker.answer(env, resp);
  }

  /** AddPartitionsToTxn's PRODUCER_FENCED / INVALID_PRODUCER_ID_MAPPING (EndTxn judges epochs by endTxnEpochValid). */
  private checkProducer(m: TransactionMetadata | undefined, producerId: number, producerEpoch: number): ErrorCode {
    if (!m || m.producerId !== producerId) return 'INVALID_PRODUCER_ID_MAPPING';
    if (producerEpoch !== m.producerEpoch && this.options.checks.on('coordinator-producer-epoch')) return 'PRODUCER_FENCED';
    return 'NONE';
  }

  // ---- InitProducerId ----------------------------------------------------------------------------------

  onInitProducerId(env: Envelope<InitProducerIdRequest>): void {
    const req = env.body;
    const id = req.transactionalId!;
    const entry = this.entryFor(id);
    if (!entry) return this.respond(env, 'NOT_COORDINATOR');
    let m = entry.txns.get(id);
    if (!m) {
      m = {
        transactionalId: id, producerId: this.broker.options.allocateProducerId(), producerEpoch: -1, lastProducerEpoch: -1,
        state: 'Empty', pendingState: null, partitions: new Set(), timeoutMs: req.transactionTimeoutMs, startUs: -1,
      };
      entry.txns.set(id, m);
    }
    // KIP-360: a producer that bumps its own epoch names the id and epoch it has (prepareInitProducerIdTransit).
    // Another producer id than the current one is an instance that was replaced: it is fenced for good.
    const expected = req.producerId >= 0 ? { producerId: req.producerId, epoch: req.producerEpoch } : null;
    if (expected && m.producerEpoch !== NO_PRODUCER_EPOCH && expected.producerId !== m.producerId && this.options.checks.on('init-producer-id-expected-epoch')) {
      return this.respond(env, 'PRODUCER_FENCED');
    }
    if (!expected && m.producerEpoch !== NO_PRODUCER_EPOCH && !this.options.checks.on('init-producer-id-fence')) {
      // Switched off: the new instance is handed the previous one's epoch; nothing is fenced or aborted.
      return this.respond(env, 'NONE', m);
    }
    if (m.pendingState || m.state === 'PrepareCommit' || m.state === 'PrepareAbort' || m.state === 'PrepareEpochFence') {
      return this.respond(env, 'CONCURRENT_TRANSACTIONS');
    }
    if (m.state === 'Ongoing') {
      // A new instance takes over: fence the old one and abort its transaction; the caller retries.
      this.fenceAndAbort(entry, m, false);
      return this.respond(env, 'CONCURRENT_TRANSACTIONS');
    }
    const meta = m;
    if (expected && expected.epoch !== meta.producerEpoch && meta.producerEpoch !== NO_PRODUCER_EPOCH) {
      // prepareIncrementProducerEpoch: the epoch before the last bump is a retry of that bump (its answer
      // was lost): the current epoch comes back without a second bump. Any other epoch is a zombie's.
      if (expected.epoch === meta.lastProducerEpoch) return this.respond(env, 'NONE', meta);
      if (this.options.checks.on('init-producer-id-expected-epoch')) return this.respond(env, 'PRODUCER_FENCED', meta);
    }
    // prepareIncrementProducerEpoch: a new instance (no expected epoch) leaves no last epoch behind, so no
    // earlier instance can pass its own bump off as a retry of this one; a producer's own bump keeps it.
    this.transition(entry, meta, 'Empty', {
      producerEpoch: meta.producerEpoch + 1, lastProducerEpoch: expected ? meta.producerEpoch : NO_PRODUCER_EPOCH, partitions: new Set(),
      timeoutMs: req.transactionTimeoutMs, startUs: -1,
    }, (error) => this.respond(env, error, error === 'NONE' ? meta : undefined));
  }

  /**
   * Ongoing -> PrepareEpochFence (in memory) -> PrepareAbort with the bumped epoch -> markers -> CompleteAbort.
   * `byTimeout`: transaction.timeout.ms expired. With transaction version 2 the producer's own
   * EndTxn(abort) with the epoch it had is then answered as a retry (lastProducerEpoch keeps it).
   */
  private fenceAndAbort(entry: LoadedPartition, m: TransactionMetadata, byTimeout: boolean): void {
    checkTransition(m.transactionalId, m.state, 'PrepareEpochFence');
    this.sim.cover(`TransactionState ${m.state} -> PrepareEpochFence (${byTimeout ? 'transaction.timeout.ms' : 'a new instance'})`);
    m.state = 'PrepareEpochFence';
    const bumped = m.producerEpoch + 1;
    const lastProducerEpoch = byTimeout && this.options.features.transactionV2 ? m.producerEpoch : -1;
    this.sim.log(`${this.broker.id} txn ${m.transactionalId} fence epoch ${m.producerEpoch} -> ${bumped}`);
    this.transition(entry, m, 'PrepareAbort', { producerEpoch: bumped, lastProducerEpoch }, (error) => {
      if (error === 'NONE') this.sendMarkers(entry, m, 'ABORT');
      else if (this.stillLoaded(entry) && m.state === 'PrepareEpochFence') {
        // Kafka bumps the epoch in memory before it writes (prepareFenceProducerEpoch): a failed write
        // leaves the transaction Ongoing, but the old epoch stays fenced.
        m.state = 'Ongoing';
        m.producerEpoch = bumped;
      }
    });
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ------------------------------------------------------------

  onAddPartitionsToTxn(env: Envelope<AddPartitionsToTxnRequest>): void {
    const req = env.body;
    this.addPartitions(env, req.transactionalId, req.producerId, req.producerEpoch, req.partitions, req.verifyOnly);
  }

  onAddOffsetsToTxn(env: Envelope<AddOffsetsToTxnRequest>): void {
    const req = env.body;
    const key = partitionKey(OFFSETS_TOPIC, coordinatorPartitionFor(req.group, this.broker.options.offsetsTopicPartitions));
    this.addPartitions(env, req.transactionalId, req.producerId, req.producerEpoch, [key], false);
  }

  private addPartitions(env: Envelope, id: string, producerId: number, producerEpoch: number, partitions: string[], verifyOnly: boolean): void {
    const entry = this.entryFor(id);
    if (!entry) return this.respond(env, 'NOT_COORDINATOR');
    const m = entry.txns.get(id);
    const check = this.checkProducer(m, producerId, producerEpoch);
    if (check !== 'NONE') return this.respond(env, check, m);
    const meta = m!;
    let all = true;
    for (let i = 0; i < partitions.length && all; i++) all = meta.partitions.has(partitions[i]);
    if (verifyOnly) return this.respond(env, meta.state === 'Ongoing' && all ? 'NONE' : 'INVALID_TXN_STATE', meta);
    if (meta.pendingState || meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort' || meta.state === 'PrepareEpochFence') {
      return this.respond(env, 'CONCURRENT_TRANSACTIONS', meta);
    }
    if (meta.state === 'Ongoing' && all) return this.respond(env, 'NONE', meta);
    const starting = meta.state !== 'Ongoing';
    this.transition(entry, meta, 'Ongoing', {
      partitions: new Set([...(starting ? [] : meta.partitions), ...partitions]),
      startUs: starting ? this.sim.nowUs : meta.startUs,
    }, (error) => this.respond(env, error, meta));
  }

  // ---- EndTxn --------------------------------------------------------------------------------------------

  /**
   * handleEndTransaction's isValidEpoch. Version 1: the epoch must be the current one. Version 2: every EndTxn
   * bumps the epoch, so once Prepare* or Complete* is written the sender's epoch is one below the current
   * one (endTxnEpochBumped: its retry), and an equal epoch is a newer EndTxn that has no transaction to end.
   */
  private endTxnEpochValid(m: TransactionMetadata, producerEpoch: number): boolean {
    if (!this.options.features.transactionV2) return producerEpoch === m.producerEpoch;
    switch (m.state) {
      // The epoch this EndTxn (or the timeout's abort) bumped from is the last epoch; a new instance's fence
      // leaves none (Kafka bumps twice there, fence then abort), so the old instance is fenced.
      case 'PrepareCommit': case 'PrepareAbort': case 'CompleteCommit': case 'CompleteAbort':
        return m.producerEpoch === producerEpoch + 1 && m.lastProducerEpoch === producerEpoch;
      default:
        return producerEpoch === m.producerEpoch;
    }
  }

  onEndTxn(env: Envelope<EndTxnRequest>): void {
    const req = env.body;
    const entry = this.entryFor(req.transactionalId);
    if (!entry) return this.respond(env, 'NOT_COORDINATOR');
    const m = entry.txns.get(req.transactionalId);
    if (!m || m.producerId !== req.producerId) return this.respond(env, 'INVALID_PRODUCER_ID_MAPPING');
    const result: ControlType = req.committed ? 'COMMIT' : 'ABORT';
    if (!this.endTxnEpochValid(m, req.producerEpoch) && this.options.checks.on('coordinator-producer-epoch')) {
      return this.respond(env, 'PRODUCER_FENCED', m);
    }
    if (m.pendingState) return this.respond(env, 'CONCURRENT_TRANSACTIONS', m);
    // A retry of an EndTxn that already went through is answered by the state it left (handleEndTransaction).
    switch (m.state) {
      case 'Ongoing': break;
      case 'CompleteCommit': return this.respond(env, req.committed ? 'NONE' : 'INVALID_TXN_STATE', m);
      case 'CompleteAbort': return this.respond(env, req.committed ? 'INVALID_TXN_STATE' : 'NONE', m);
      case 'PrepareCommit': return this.respond(env, req.committed ? 'CONCURRENT_TRANSACTIONS' : 'INVALID_TXN_STATE', m);
      case 'PrepareAbort': return this.respond(env, req.committed ? 'INVALID_TXN_STATE' : 'CONCURRENT_TRANSACTIONS', m);
      case 'PrepareEpochFence': return this.respond(env, 'CONCURRENT_TRANSACTIONS', m);
      default: return this.respond(env, 'INVALID_TXN_STATE', m);
    }
    const next: Partial<TransactionMetadata> = this.options.features.transactionV2 ? { producerEpoch: m.producerEpoch + 1, lastProducerEpoch: m.producerEpoch } : {};
    this.transition(entry, m, req.committed ? 'PrepareCommit' : 'PrepareAbort', next, (error) => {
      // The decision is durable once Prepare* is written: answer now, complete in the background.
      this.respond(env, error, m);
      if (error !== 'NONE') return;
      this.sim.failpoint(req.committed ? 'after-prepare-commit' : 'after-prepare-abort', this.broker.id);
      if (this.stillLoaded(entry)) this.sendMarkers(entry, m, result);
    });
  }

  // ---- markers -------------------------------------------------------------------------------------------

  /** Sends WriteTxnMarkers to every partition's leader until each acknowledged, then writes Complete*. */
  private sendMarkers(entry: LoadedPartition, m: TransactionMetadata, result: ControlType): void {
    const remaining = new Set([...m.partitions].sort());
    const epoch = m.producerEpoch;
    const finish = () => {
      if (!this.stillLoaded(entry)) return;
      const to: TransactionState = result === 'COMMIT' ? 'CompleteCommit' : 'CompleteAbort';
      this.transition(entry, m, to, { partitions: new Set() }, (error) => {
        if (error !== 'NONE' && this.stillLoaded(entry)) this.sim.afterMs(MARKER_RETRY_MS, finish);
      });
    };
    // Set when a partition answered that an epoch moved on: no later answer completes the transaction.
    let stopped = false;
    const attempt = (key: string) => {
      if (stopped || !this.stillLoaded(entry) || !remaining.has(key)) return;
      const leader = registrationIn(this.broker.metadataImage(), key)?.leader ?? -1;
      if (leader < 0) return this.sim.afterMs(MARKER_RETRY_MS, () => attempt(key));
      const req: WriteTxnMarkersRequest = { producerId: m.producerId, producerEpoch: epoch, coordinatorEpoch: entry.coordinatorEpoch, result, partitions: [key] };
      this.broker.request<WriteTxnMarkersRequest, WriteTxnMarkersResponse>(brokerNodeId(leader), 'WriteTxnMarkers', req, (err, resp) => {
        if (stopped || !this.stillLoaded(entry)) return;
        const error = err ?? resp!.errors[key] ?? 'NONE';
        if (error === 'NONE') {
          remaining.delete(key);
          if (remaining.size === 0) finish();
          return;
        }
        // The producer's or the coordinator's epoch moved on (TransactionMarkerRequestCompletionHandler):
        // this coordinator stops sending the transaction's markers and does not complete it.
        if (error === 'INVALID_PRODUCER_EPOCH' || error === 'TRANSACTION_COORDINATOR_FENCED') {
          this.sim.log(`${this.broker.id} txn ${m.transactionalId} markers stopped: ${key} answered ${error}`);
          this.sim.cover(`TransactionMarkerChannel stopped on ${error}`);
          stopped = true;
          return;
        }
        this.sim.afterMs(MARKER_RETRY_MS, () => attempt(key));
      });
    };
    if (remaining.size === 0) return finish();
    for (const key of [...remaining]) attempt(key);
  }

  // ---- transaction.timeout.ms ----------------------------------------------------------------------------

  private scheduleExpiry(entry: LoadedPartition): void {
    this.sim.afterMs(EXPIRY_CHECK_MS, () => {
      if (!this.stillLoaded(entry)) return;
      for (const m of entry.txns.values()) {
        if (m.state === 'Ongoing' && m.pendingState === null && this.sim.nowUs - m.startUs > m.timeoutMs * 1000 && this.options.checks.on('transaction-timeout')) {
          this.sim.log(`${this.broker.id} txn ${m.transactionalId} timed out after ${m.timeoutMs} ms`);
          this.fenceAndAbort(entry, m, true);
        }
      }
      this.scheduleExpiry(entry);
    });
  }
}
