// The producer client (Kafka's KafkaProducer + RecordAccumulator + Sender). Records wait per partition
// until a request slot is free (max.in.flight), then leave as one batch; so batching comes from
// back-pressure. With enable.idempotence the batch carries the producer id, epoch and a per-partition
// base sequence, and a retry resends the same batch with the same sequence, so the broker can drop the
// copy. Without it, a retry after a lost ack writes the records again, and retries can overtake each other.
// With a transactional.id (Kafka's TransactionManager): initTransactions fences older instances, each new
// partition is added to the transaction before it is written, offsets join via sendOffsetsToTransaction,
// and commit/abort go through EndTxn. A fenced producer is dead for good; an abortable error (a write that
// timed out, a verification failure) leaves the application to abort and retry.
import type { Simulation } from '../core/simulation.ts';
import type { RandomStream } from '../core/random.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { RpcClient, type RpcError } from '../net/rpc.ts';
import { ClientMetadata } from './client-metadata.ts';
import type { ProducerConfig } from './config.ts';
import type { ApiName } from '../faults/schedule.ts';
import {
  NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RETRIABLE, STALE_METADATA,
  type AddOffsetsToTxnRequest, type AddPartitionsToTxnRequest, type EndTxnRequest, type ErrorCode, type FindCoordinatorRequest,
  type FindCoordinatorResponse, type InitProducerIdRequest, type InitProducerIdResponse, type ProduceRequest, type ProduceResponse,
  type TxnResponse,
} from './protocol.ts';

import { brokerNodeId } from './broker.ts';
import type { ConsumerGroupMetadata, TxnOffsetCommitRequest } from './group-protocol.ts';

/**
 * ok: acknowledged (offset null with acks=0); fail: certainly not written; info: unknown. Every result is
 * built with all three fields (error undefined when ok): one shape for the callbacks that read them.
 */
export interface SendResult {
  status: 'ok' | 'fail' | 'info';
  offset: number | null;
  error: string | undefined;
}
export type SendCallback = (result: SendResult) => void;

interface PendingRecord {
  value: string;
  enqueuedUs: number;
  callback: SendCallback;
}

interface ProducerBatchState {
  records: PendingRecord[];
  baseSequence: number;
  producerEpoch: number;
  createdUs: number;
  attempts: number;
  inFlight: boolean;
  retryAtUs: number;
  /** Some attempt may have been written (it timed out or lost its connection, or acks=0). */
  maybeWritten: boolean;
}

interface PartitionQueue {
  key: string;
  records: PendingRecord[];
  /** Batches created and not yet finished, in sequence order (in flight or waiting to retry). */
  batches: ProducerBatchState[];
  nextSequence: number;
  /** One past the last acknowledged sequence. */
  ackedSequence: number;
}

/** Where the transactional producer is (a subset of Kafka's TransactionManager.State). */
type TxnState = 'uninitialized' | 'initializing' | 'ready' | 'in-transaction' | 'committing' | 'aborting' | 'fatal-error';

export type TxnCallback = (error: string | null) => void;

/** Answers that mean this instance is a zombie: a newer one took over its transactional.id. */
const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

export interface TransactionalOptions {
  transactionalId: string;
  /** Transaction version 2 (KIP-890 part 2): the coordinator bumps the epoch at every EndTxn and returns it. */
  transactionV2: boolean;
}

export class KafkaProducer implements NetNode {
  incarnation = 0;
  private up = true;
  private readonly rpc: RpcClient;
  private readonly metadata: ClientMetadata;
  private readonly rng: RandomStream;
  private queues = new Map<string, PartitionQueue>();
  producerId = NO_PRODUCER_ID;
  producerEpoch = NO_PRODUCER_EPOCH;
  private initInFlight = false;
  /** A batch gave up with its sequence unresolved: later sequences cannot succeed until the epoch is bumped (KIP-360). */
  private epochBumpNeeded = false;

  // ---- transactions ----
  private txnState: TxnState = 'uninitialized';
  private coordinator: string | null = null;
  /** Partitions the coordinator has in the current transaction; a queue is drained only once its partition is here. */
  private txnPartitions = new Set<string>();
  private txnPendingAdd = new Set<string>();
  private addInFlight = false;
  /** The transaction has something on the coordinator (a partition or offsets were added). */
  private txnOnCoordinator = false;
  /** Why the current transaction must be aborted, if it must. */
  private abortableError: string | null = null;
  /** A batch of the current transaction may or may not be in the log (pre-KIP-890 clients bump the epoch). */
  private unresolvedSequences = false;
  private fatalError: string | null = null;
  private flushWaiters: (() => void)[] = [];

  constructor(
    private readonly sim: Simulation,
    net: Network,
    readonly id: string,
    private readonly config: ProducerConfig,
    brokerIds: number[],
    private readonly txn: TransactionalOptions | null = null,
  ) {
    if (config.transactional !== (txn !== null)) throw new Error(`${id}: transactional needs a transactional.id and the other way round`);
    if (config.enableIdempotence && config.acks !== 'all') throw new Error(`${id}: enable.idempotence requires acks=all`);
    if (config.enableIdempotence && config.maxInFlightRequestsPerConnection > 5) throw new Error(`${id}: enable.idempotence requires max.in.flight <= 5`);
    this.rpc = new RpcClient(sim, net, id);
    this.rng = sim.stream(`client:${id}`);
    this.metadata = new ClientMetadata(sim, this.rpc, this.rng, brokerIds, config.requestTimeoutMs, config.retryBackoffMs, () => this.up);
    // Start on the first tick, once the node has joined the network.
    sim.after(0, () => this.start());
  }

  isUp(): boolean {
    return this.up;
  }

  private start(): void {
    this.metadata.refresh(this.drainAllOnRefresh);
    // A transactional producer gets its id from the coordinator in initTransactions.
    if (this.config.enableIdempotence && !this.txn) this.initProducerId();
    const inc = this.incarnation;
    const tick = () => {
      if (!this.up || inc !== this.incarnation) return;
      this.expire();
      this.sim.afterMs(100, tick);
    };
    this.sim.afterMs(100, tick);
  }

  crash(): void {
    if (!this.up) return;
    this.up = false;
    this.incarnation++;
    this.rpc.clear();
    this.metadata.reset();
    this.queues = new Map();
    this.producerId = NO_PRODUCER_ID;
    this.producerEpoch = NO_PRODUCER_EPOCH;
    this.initInFlight = false;
    this.epochBumpNeeded = false;
    this.txnState = 'uninitialized';
    this.coordinator = null;
    this.txnPartitions = new Set();
    this.txnPendingAdd = new Set();
    this.addInFlight = false;
    this.txnOnCoordinator = false;
    this.abortableError = null;
    this.unresolvedSequences = false;
    this.fatalError = null;
    this.flushWaiters = [];
    this.sim.log(`${this.id} crash`);
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.sim.log(`${this.id} restart`);
    this.start();
  }

  peerDisconnected(peer: string, connectionId: number): void {
    this.rpc.failAll(peer, connectionId);
  }

  deliver(env: Envelope): void {
    if (env.kind === 'response') this.rpc.onResponse(env);
  }

  /** Nothing queued or in flight. */
  idle(): boolean {
    for (const q of this.queues.values()) if (q.records.length > 0 || q.batches.length > 0) return false;
    return true;
  }

  send(key: string, value: string, callback: SendCallback): void {
    if (!this.up) throw new Error(`${this.id}: send while crashed`);
    if (this.txn) {
      if (this.fatalError) return callback({ status: 'fail', offset: null, error: this.fatalError });
      if (this.txnState !== 'in-transaction') throw new Error(`${this.id}: send outside a transaction (state ${this.txnState})`);
      if (!this.txnPartitions.has(key)) {
        this.txnPendingAdd.add(key);
        this.addPartitions();
      }
    }
    let q = this.queues.get(key);
    if (!q) {
      q = { key, records: [], batches: [], nextSequence: 0, ackedSequence: 0 };
      this.queues.set(key, q);
    }
    q.records.push({ value, enqueuedUs: this.sim.nowUs, callback });
    this.drain(q);
  }

  private initProducerId(): void {
    if (this.initInFlight) return;
    this.initInFlight = true;
    const inc = this.incarnation;
    const target = brokerNodeId(this.rng.pick(this.metadata.image?.liveBrokers.length ? this.metadata.image.liveBrokers : [1]));
    const req: InitProducerIdRequest = this.epochBumpNeeded
      ? { transactionalId: null, transactionTimeoutMs: 0, producerId: this.producerId, producerEpoch: this.producerEpoch }
      : { transactionalId: null, transactionTimeoutMs: 0, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
    this.rpc.request<InitProducerIdRequest, InitProducerIdResponse>(target, 'InitProducerId', req, this.config.requestTimeoutMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      this.initInFlight = false;
      if (err || !resp || resp.error !== 'NONE') {
        this.sim.afterMs(this.config.retryBackoffMs, () => inc === this.incarnation && this.initProducerId());
        return;
      }
      this.producerId = resp.producerId;
      this.producerEpoch = resp.producerEpoch;
      this.sim.log(`${this.id} producerId=${this.producerId} epoch=${this.producerEpoch}`);
      if (this.epochBumpNeeded) {
        // A new epoch starts every partition's sequences at 0; unsent batches are renumbered.
        this.epochBumpNeeded = false;
        for (const q of this.queues.values()) {
          q.nextSequence = 0;
          for (const b of q.batches) {
            b.baseSequence = q.nextSequence;
            b.producerEpoch = this.producerEpoch;
            q.nextSequence += b.records.length;
          }
        }
      }
      this.drainAll();
    });
  }

  /**
   * One callback for every "refresh, then drain" wish: the metadata keeps a waiter once, however many
   * partitions asked. (A fresh closure per wish let each answer re-register one waiter per leaderless
   * partition per waiter, and the list grew without bound while a partition had no leader.)
   */
  private readonly drainAllOnRefresh = (): void => this.drainAll();

  private drainAll(): void {
    for (const q of this.queues.values()) this.drain(q);
  }

  private ready(q: PartitionQueue): boolean {
    if (!this.up) return false;
    if (this.txn) return (this.txnState === 'in-transaction' || this.txnState === 'committing') && this.txnPartitions.has(q.key) && !this.abortableError;
    if (!this.config.enableIdempotence) return true;
    return this.producerId !== NO_PRODUCER_ID && !this.epochBumpNeeded && !this.initInFlight;
  }

  private inFlight(q: PartitionQueue): number {
    let n = 0;
    for (const b of q.batches) if (b.inFlight) n++;
    return n;
  }

  /** Sends what may be sent now: retries first, in sequence order, then new batches from the queue. */
  private drain(q: PartitionQueue): void {
    if (!this.ready(q)) return;
    const leader = this.metadata.leaderFor(q.key);
    if (!leader) {
      this.metadata.refresh(this.drainAllOnRefresh);
      return;
    }
    let inFlight = this.inFlight(q);
    for (const b of q.batches) {
      if (inFlight >= this.config.maxInFlightRequestsPerConnection) return;
      if (b.inFlight) continue;
      if (b.retryAtUs > this.sim.nowUs) {
        // An idempotent producer must not let a later sequence overtake a waiting retry.
        if (this.config.enableIdempotence) return;
        continue;
      }
      this.sendBatch(q, b, leader);
      inFlight++;
    }
    while (q.records.length > 0 && inFlight < this.config.maxInFlightRequestsPerConnection) {
      const records = q.records.splice(0, this.config.batchMaxRecords);
      const b: ProducerBatchState = {
        records, baseSequence: NO_SEQUENCE, producerEpoch: this.producerEpoch, createdUs: records[0].enqueuedUs,
        attempts: 0, inFlight: false, retryAtUs: 0, maybeWritten: false,
      };
      if (this.config.enableIdempotence) {
        b.baseSequence = q.nextSequence;
        q.nextSequence += records.length;
      }
      q.batches.push(b);
      this.sendBatch(q, b, leader);
      inFlight++;
    }
  }

  private sendBatch(q: PartitionQueue, b: ProducerBatchState, leader: string): void {
    b.inFlight = true;
    b.attempts++;
    this.sim.logt`${this.id} produce ${q.key} epoch=${b.producerEpoch} seq=${b.baseSequence} n=${b.records.length} attempt=${b.attempts} -> ${leader}`;
    const req: ProduceRequest = {
      key: q.key, acks: this.config.acks, timeoutMs: this.config.requestTimeoutMs, transactionalId: this.txn?.transactionalId ?? null,
      batch: {
        producerId: this.config.enableIdempotence ? this.producerId : NO_PRODUCER_ID,
        producerEpoch: this.config.enableIdempotence ? b.producerEpoch : NO_PRODUCER_EPOCH,
        baseSequence: b.baseSequence, isTransactional: this.txn !== null, records: b.records.map((r) => r.value),
      },
    };
    if (this.config.acks === 0) {
      // Fire and forget: the client counts the records as sent the moment they leave.
      this.rpc.sendOneWay(leader, 'Produce', req);
      this.finish(q, b, { status: 'ok', offset: null, error: undefined });
      return;
    }
    const inc = this.incarnation;
    this.rpc.request<ProduceRequest, ProduceResponse>(leader, 'Produce', req, this.config.requestTimeoutMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      this.onProduceResponse(q, b, err, resp);
    });
  }

  private onProduceResponse(q: PartitionQueue, b: ProducerBatchState, err: RpcError | null, resp: ProduceResponse | null): void {
    b.inFlight = false;
    const error: ErrorCode = err ?? resp!.error;
    if (error === 'NONE') {
      q.ackedSequence = Math.max(q.ackedSequence, b.baseSequence + b.records.length);
      this.finish(q, b, { status: 'ok', offset: resp!.baseOffset, error: undefined });
      this.drain(q);
      return;
    }
    if (err) b.maybeWritten = true;
    // A Produce answered INVALID_PRODUCER_EPOCH is abortable, not fatal (KIP-588): the coordinator may
    // have bumped the epoch to abort a timed-out transaction. Whether this instance was fenced shows at
    // EndTxn, which answers PRODUCER_FENCED.
    if (this.txn && (this.fatalError || (FENCED.has(error) && error !== 'INVALID_PRODUCER_EPOCH'))) {
      this.fence(error);
      this.finish(q, b, { status: b.maybeWritten ? 'info' : 'fail', offset: null, error: this.fatalError! });
      return;
    }
    if (this.txn && (error === 'INVALID_TXN_STATE' || error === 'INVALID_PRODUCER_EPOCH')) {
      // The partition refused the write for this transaction: the application must abort it.
      this.giveUp(q, b, error);
      return;
    }
    // A request timeout is retriable, as in Kafka's Sender: the same batch goes again with the same
    // sequence (the broker drops whichever copy comes second) until delivery.timeout.ms.
    if (STALE_METADATA.has(error)) this.metadata.refresh(this.drainAllOnRefresh);
    // With idempotence, an out-of-order answer while an earlier batch is unresolved is a consequence of
    // that batch's failure, not a gap: retry in order once it is resolved.
    const earlier = q.batches.indexOf(b) > 0;
    const retriable = RETRIABLE.has(error) || (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER' && this.config.enableIdempotence && earlier);
    const expired = this.sim.nowUs - b.createdUs >= this.config.deliveryTimeoutMs * 1000;
    if (retriable && b.attempts <= this.config.retries && !expired) {
      b.retryAtUs = this.sim.nowUs + this.config.retryBackoffMs * 1000;
      this.sim.afterMs(this.config.retryBackoffMs, () => this.drain(q));
      return;
    }
    this.giveUp(q, b, error);
  }

  private giveUp(q: PartitionQueue, b: ProducerBatchState, error: string): void {
    this.sim.log(`${this.id} give up ${q.key} seq=${b.baseSequence} after ${b.attempts} attempts: ${error}`);
    // The transaction must be marked before finish() tells a waiting commit that everything is settled.
    if (this.txn) {
      this.abortableError ??= error;
      if (b.maybeWritten || error === 'REQUEST_TIMED_OUT') this.unresolvedSequences = true;
    }
    this.finish(q, b, { status: b.maybeWritten ? 'info' : 'fail', offset: null, error });
    if (this.txn) return;
    if (this.config.enableIdempotence && b.baseSequence !== NO_SEQUENCE) {
      this.epochBumpNeeded = true;
      this.maybeBumpEpoch();
    }
    this.drain(q);
  }

  private maybeBumpEpoch(): void {
    if (!this.epochBumpNeeded) return;
    for (const q of this.queues.values()) if (this.inFlight(q) > 0) return;
    this.initProducerId();
  }

  private finish(q: PartitionQueue, b: ProducerBatchState, result: SendResult): void {
    const i = q.batches.indexOf(b);
    // Batches mostly finish in order: shift() the first rather than splice(), which allocates its result.
    if (i === 0) q.batches.shift();
    else if (i > 0) q.batches.splice(i, 1);
    // The first record (often the only one) gets `result` itself: callbacks read results, never change them.
    for (let j = 0; j < b.records.length; j++) {
      b.records[j].callback(j === 0 || result.offset === null ? result : { ...result, offset: result.offset + j });
    }
    if (this.epochBumpNeeded) this.maybeBumpEpoch();
    this.notifyFlush();
  }

  // ---- the transactional API -------------------------------------------------------------------------

  /** Runs `fn` after retry.backoff.ms if this incarnation is still alive. */
  private later(fn: () => void): void {
    const inc = this.incarnation;
    this.sim.afterMs(this.config.retryBackoffMs, () => {
      if (this.up && inc === this.incarnation) fn();
    });
  }

  /** Errors after which the coordinator must be looked up again. */
  private static coordinatorMoved(error: string): boolean {
    return error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' || error === 'COORDINATOR_LOAD_IN_PROGRESS' ||
      error === 'REQUEST_TIMED_OUT' || error === 'NETWORK_EXCEPTION';
  }

  /** Sends a request to the transaction coordinator, finding it first; retries until `handle` returns true. */
  private toCoordinator<Req>(api: ApiName, body: Req, handle: (error: string, resp: TxnResponse | null) => boolean): void {
    const txn = this.txn!;
    const inc = this.incarnation;
    const send = (node: string) => {
      this.rpc.request<Req, TxnResponse>(node, api, body, this.config.requestTimeoutMs, (err, resp) => {
        if (inc !== this.incarnation) return;
        const error = err ?? resp!.error;
        if (KafkaProducer.coordinatorMoved(error)) this.coordinator = null;
        if (!handle(error, resp)) this.later(() => this.toCoordinator(api, body, handle));
      });
    };
    if (this.coordinator) return send(this.coordinator);
    const target = brokerNodeId(this.rng.pick(this.metadata.image?.liveBrokers.length ? this.metadata.image.liveBrokers : [1]));
    this.rpc.request<FindCoordinatorRequest, FindCoordinatorResponse>(target, 'FindCoordinator', { keyType: 'transaction', key: txn.transactionalId }, this.config.requestTimeoutMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      if (err || !resp || resp.error !== 'NONE') return this.later(() => this.toCoordinator(api, body, handle));
      this.coordinator = brokerNodeId(resp.nodeId);
      send(this.coordinator);
    });
  }

  private fence(error: string): void {
    if (this.fatalError) return;
    this.fatalError = 'PRODUCER_FENCED';
    this.txnState = 'fatal-error';
    this.sim.log(`${this.id} fenced (${error})`);
    for (const q of this.queues.values()) {
      for (const r of q.records.splice(0)) r.callback({ status: 'fail', offset: null, error: this.fatalError });
      for (const b of [...q.batches]) if (!b.inFlight) this.finish(q, b, { status: b.maybeWritten ? 'info' : 'fail', offset: null, error: this.fatalError });
    }
    this.notifyFlush();
  }

  /** initTransactions: fences every older instance with this transactional.id and aborts its open transaction. */
  initTransactions(done: TxnCallback): void {
    const txn = this.txn!;
    if (this.txnState !== 'uninitialized') throw new Error(`${this.id}: initTransactions in state ${this.txnState}`);
    this.txnState = 'initializing';
    const req: InitProducerIdRequest = { transactionalId: txn.transactionalId, transactionTimeoutMs: this.config.transactionTimeoutMs, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
    this.toCoordinator('InitProducerId', req, (error, resp) => {
      if (error !== 'NONE') return false; // CONCURRENT_TRANSACTIONS while the old instance's transaction aborts, or a coordinator move
      this.producerId = resp!.producerId;
      this.producerEpoch = resp!.producerEpoch;
      this.resetSequences();
      this.txnState = 'ready';
      this.sim.log(`${this.id} initTransactions ${txn.transactionalId} pid=${this.producerId} epoch=${this.producerEpoch}`);
      done(null);
      return true;
    });
  }

  beginTransaction(): void {
    if (this.fatalError) throw new Error(`${this.id}: beginTransaction after ${this.fatalError}`);
    if (this.txnState !== 'ready') throw new Error(`${this.id}: beginTransaction in state ${this.txnState}`);
    this.txnState = 'in-transaction';
    this.txnPartitions = new Set();
    this.txnPendingAdd = new Set();
    this.txnOnCoordinator = false;
    this.abortableError = null;
  }

  /** AddPartitionsToTxn for every partition written to for the first time in this transaction. */
  private addPartitions(): void {
    if (this.addInFlight || this.txnPendingAdd.size === 0 || this.fatalError) return;
    const partitions = [...this.txnPendingAdd].sort();
    this.addInFlight = true;
    const req: AddPartitionsToTxnRequest = { transactionalId: this.txn!.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions, verifyOnly: false };
    const epoch = this.producerEpoch;
    this.toCoordinator('AddPartitionsToTxn', req, (error) => {
      // The transaction this add was for has ended meanwhile (aborted, epoch bumped): drop it, and do not
      // let its stale epoch's PRODUCER_FENCED be mistaken for a fence of this instance.
      if (epoch !== this.producerEpoch || this.txnState === 'aborting' || this.txnState === 'ready') {
        this.addInFlight = false;
        this.addPartitions(); // partitions of the transaction begun meanwhile may be waiting
        return true;
      }
      if (error === 'CONCURRENT_TRANSACTIONS' || RETRIABLE.has(error as ErrorCode)) return false;
      this.addInFlight = false;
      if (FENCED.has(error)) {
        this.fence(error);
        return true;
      }
      if (error !== 'NONE') {
        this.abortableError ??= error;
        this.notifyFlush();
        return true;
      }
      this.txnOnCoordinator = true;
      for (const k of partitions) {
        this.txnPendingAdd.delete(k);
        this.txnPartitions.add(k);
      }
      this.drainAll();
      this.addPartitions();
      this.notifyFlush();
      return true;
    });
  }

  /** sendOffsetsToTransaction: AddOffsetsToTxn, then TxnOffsetCommit to the group coordinator (KIP-447 metadata). */
  sendOffsetsToTransaction(offsets: Record<string, number>, group: ConsumerGroupMetadata, done: TxnCallback): void {
    if (this.fatalError) return done(this.fatalError);
    if (this.txnState !== 'in-transaction') throw new Error(`${this.id}: sendOffsetsToTransaction in state ${this.txnState}`);
    const txn = this.txn!;
    const req: AddOffsetsToTxnRequest = { transactionalId: txn.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, group: group.groupId };
    const epoch = this.producerEpoch;
    this.toCoordinator('AddOffsetsToTxn', req, (error) => {
      if (epoch !== this.producerEpoch) {
        done('TRANSACTION_ABORTED');
        return true;
      }
      if (error === 'CONCURRENT_TRANSACTIONS' || RETRIABLE.has(error as ErrorCode)) return false;
      if (FENCED.has(error)) {
        this.fence(error);
        done(this.fatalError);
        return true;
      }
      if (error !== 'NONE') {
        done(error);
        return true;
      }
      this.txnOnCoordinator = true;
      this.txnOffsetCommit(offsets, group, done);
      return true;
    });
  }

  private txnOffsetCommit(offsets: Record<string, number>, group: ConsumerGroupMetadata, done: TxnCallback, groupCoordinator: string | null = null): void {
    const inc = this.incarnation;
    const retry = () => this.later(() => this.txnOffsetCommit(offsets, group, done, null));
    if (!groupCoordinator) {
      const target = brokerNodeId(this.rng.pick(this.metadata.image?.liveBrokers.length ? this.metadata.image.liveBrokers : [1]));
      this.rpc.request<FindCoordinatorRequest, FindCoordinatorResponse>(target, 'FindCoordinator', { keyType: 'group', key: group.groupId }, this.config.requestTimeoutMs, (err, resp) => {
        if (inc !== this.incarnation) return;
        if (err || !resp || resp.error !== 'NONE') return retry();
        this.txnOffsetCommit(offsets, group, done, brokerNodeId(resp.nodeId));
      });
      return;
    }
    const req: TxnOffsetCommitRequest = {
      transactionalId: this.txn!.transactionalId, group: group.groupId, producerId: this.producerId, producerEpoch: this.producerEpoch,
      generationId: group.generationId, memberId: group.memberId, offsets,
    };
    this.rpc.request<TxnOffsetCommitRequest, { error: string }>(groupCoordinator, 'TxnOffsetCommit', req, this.config.requestTimeoutMs, (err, resp) => {
      if (inc !== this.incarnation) return;
      const error = err ?? resp!.error;
      if (error === 'NONE') return done(null);
      if (FENCED.has(error)) {
        this.fence(error);
        return done(this.fatalError);
      }
      if (KafkaProducer.coordinatorMoved(error) || error === 'CONCURRENT_TRANSACTIONS' || RETRIABLE.has(error as ErrorCode)) return retry();
      // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID: this member was fenced by a rebalance (KIP-447); abort.
      done(error);
    });
  }

  private notifyFlush(): void {
    if (this.flushWaiters.length === 0 || !this.flushed()) return;
    const waiters = this.flushWaiters.splice(0);
    for (const w of waiters) w();
  }

  /** Every record of the transaction is acknowledged or failed, and no partition is waiting to be added. */
  private flushed(): boolean {
    if (this.fatalError || this.abortableError) return [...this.queues.values()].every((q) => q.batches.every((b) => !b.inFlight));
    return this.idle() && this.txnPendingAdd.size === 0 && !this.addInFlight;
  }

  private whenFlushed(then: () => void): void {
    if (this.flushed()) return then();
    this.flushWaiters.push(then);
  }

  /** commitTransaction: flush, then EndTxn(commit). An error means the transaction did not commit (abort it). */
  commitTransaction(done: TxnCallback): void {
    if (this.fatalError) return done(this.fatalError);
    if (this.txnState !== 'in-transaction') throw new Error(`${this.id}: commitTransaction in state ${this.txnState}`);
    this.txnState = 'committing';
    this.whenFlushed(() => {
      if (this.fatalError) return done(this.fatalError);
      if (this.abortableError) {
        this.txnState = 'in-transaction';
        return done(this.abortableError);
      }
      this.endTxn(true, done);
    });
  }

  /** abortTransaction: drop what is unsent, wait for what is in flight, then EndTxn(abort). */
  abortTransaction(done: TxnCallback): void {
    if (this.fatalError) return done(this.fatalError);
    if (this.txnState !== 'in-transaction' && this.txnState !== 'committing') throw new Error(`${this.id}: abortTransaction in state ${this.txnState}`);
    this.txnState = 'aborting';
    for (const q of this.queues.values()) {
      for (const r of q.records.splice(0)) r.callback({ status: 'fail', offset: null, error: 'TRANSACTION_ABORTED' });
      for (const b of [...q.batches]) if (!b.inFlight) this.finish(q, b, { status: b.maybeWritten ? 'info' : 'fail', offset: null, error: 'TRANSACTION_ABORTED' });
    }
    this.txnPendingAdd.clear();
    this.abortableError ??= 'TRANSACTION_ABORTED';
    this.whenFlushed(() => {
      if (this.fatalError) return done(this.fatalError);
      this.endTxn(false, done);
    });
  }

  private endTxn(committed: boolean, done: TxnCallback): void {
    const finish = (error: string | null) => {
      // A refused commit leaves the transaction for the application to abort; a refused abort (nothing
      // open at the coordinator: INVALID_TXN_STATE) leaves nothing to abort.
      if (error && !this.fatalError) this.txnState = committed ? 'in-transaction' : 'ready';
      if (error) return done(error);
      this.txnState = 'ready';
      if (this.txn!.transactionV2) {
        this.resetSequences();
        return done(null);
      }
      if (committed || !this.unresolvedSequences) return done(null);
      // Before KIP-890 (KIP-360): a batch whose fate is unknown leaves its sequence unresolved, so the
      // client bumps its epoch with InitProducerId before the next transaction. Partitions learn of the
      // new epoch only when it writes to them, which is what lets a late request slip in elsewhere.
      this.bumpEpoch(done);
    };
    if (!this.txnOnCoordinator) return finish(null);
    const req: EndTxnRequest = { transactionalId: this.txn!.transactionalId, producerId: this.producerId, producerEpoch: this.producerEpoch, committed };
    this.toCoordinator('EndTxn', req, (error, resp) => {
      if (error === 'CONCURRENT_TRANSACTIONS' || RETRIABLE.has(error as ErrorCode)) return false;
      if (FENCED.has(error)) {
        this.fence(error);
        finish(this.fatalError);
        return true;
      }
      if (error !== 'NONE') {
        // INVALID_TXN_STATE: nothing to end; the transaction is not committed.
        finish(error);
        return true;
      }
      if (resp && resp.producerEpoch !== this.producerEpoch) {
        this.sim.logt`${this.id} epoch ${this.producerEpoch} -> ${resp.producerEpoch} (EndTxn)`;
        this.producerEpoch = resp.producerEpoch;
      }
      finish(null);
      return true;
    });
  }

  private bumpEpoch(then: TxnCallback): void {
    const req: InitProducerIdRequest = {
      transactionalId: this.txn!.transactionalId, transactionTimeoutMs: this.config.transactionTimeoutMs,
      producerId: this.producerId, producerEpoch: this.producerEpoch,
    };
    this.toCoordinator('InitProducerId', req, (error, resp) => {
      if (FENCED.has(error)) {
        // A newer instance took the transactional.id over: this one can never take it back.
        this.fence(error);
        then(this.fatalError);
        return true;
      }
      if (error !== 'NONE') return false;
      this.sim.log(`${this.id} epoch ${this.producerEpoch} -> ${resp!.producerEpoch} (InitProducerId after an unresolved sequence)`);
      // The coordinator may answer with another producer id (it lost the transactional id): take both.
      this.producerId = resp!.producerId;
      this.producerEpoch = resp!.producerEpoch;
      this.unresolvedSequences = false;
      this.resetSequences();
      then(null);
      return true;
    });
  }

  /** A new producer epoch starts every partition's sequence numbers at 0. */
  private resetSequences(): void {
    for (const q of this.queues.values()) {
      q.nextSequence = 0;
      q.ackedSequence = 0;
    }
  }

  transactionalId(): string {
    if (!this.txn) throw new Error(`${this.id}: not transactional`);
    return this.txn.transactionalId;
  }

  /** A restarted application may come back under another transactional.id (bug random-txn-id). */
  setTransactionalId(id: string): void {
    if (this.up) throw new Error(`${this.id}: the transactional.id can change only while the client is down`);
    if (!this.txn) throw new Error(`${this.id}: not transactional`);
    this.txn.transactionalId = id;
  }

  /** Whether the instance is fenced (a zombie): nothing it does can take effect any more. */
  isFenced(): boolean {
    return this.fatalError !== null;
  }

  /** delivery.timeout.ms: records that waited too long without a successful send are reported. */
  private expire(): void {
    const limitUs = this.config.deliveryTimeoutMs * 1000;
    for (const q of this.queues.values()) {
      while (q.records.length > 0 && this.sim.nowUs - q.records[0].enqueuedUs >= limitUs) {
        q.records.shift()!.callback({ status: 'fail', offset: null, error: 'TIMEOUT' });
        if (this.txn) this.abortableError ??= 'TIMEOUT';
      }
      for (const b of [...q.batches]) {
        if (!b.inFlight && this.sim.nowUs - b.createdUs >= limitUs) this.giveUp(q, b, 'TIMEOUT');
      }
    }
  }
}

