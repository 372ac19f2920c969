// The producer client (Kafka's KafkaProducer + RecordAccumulator + Sender). Records wait per partition
// until a request slot is free (max.in.flight), then leave as one batch; so batching comes from
// back-pressure. With enable.idempotence the batch carries the producer id, epoch and a per-partition
// base sequence, and a retry resends the same batch with the same sequence, so the broker can drop the
// copy. Without it, a retry after a lost ack writes the records again, and retries can overtake each other.
import type { Simulation } from '../core/simulation.ts';
import type { RandomStream } from '../core/random.ts';
import type { Envelope, NetNode, Network } from '../net/network.ts';
import { RpcClient, type RpcError } from '../net/rpc.ts';
import { ClientMetadata } from './client-metadata.ts';
import type { ProducerConfig } from './config.ts';
import {
  NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, RETRIABLE, STALE_METADATA,
  type ErrorCode, type InitProducerIdRequest, type InitProducerIdResponse, type ProduceRequest, type ProduceResponse,
} from './protocol.ts';
import { brokerNodeId } from './broker.ts';

/** ok: acknowledged (offset null with acks=0); fail: certainly not written; info: unknown. */
export interface SendResult {
  status: 'ok' | 'fail' | 'info';
  offset: number | null;
  error?: string;
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

  constructor(
    private readonly sim: Simulation,
    net: Network,
    readonly id: string,
    private readonly config: ProducerConfig,
    brokerIds: number[],
  ) {
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
    this.metadata.refresh(() => this.drainAll());
    if (this.config.enableIdempotence) this.initProducerId();
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
    this.sim.log(`${this.id} crash`);
  }

  restart(): void {
    if (this.up) return;
    this.up = true;
    this.sim.log(`${this.id} restart`);
    this.start();
  }

  peerDisconnected(peer: string): void {
    this.rpc.failAll(peer);
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
    let q = this.queues.get(key);
    if (!q) {
      q = { key, records: [], batches: [], nextSequence: 0 };
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
      ? { producerId: this.producerId, producerEpoch: this.producerEpoch }
      : { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
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

  private drainAll(): void {
    for (const q of this.queues.values()) this.drain(q);
  }

  private ready(): boolean {
    if (!this.up) return false;
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
    if (!this.ready()) return;
    const leader = this.metadata.leaderFor(q.key);
    if (!leader) {
      this.metadata.refresh(() => this.drainAll());
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
    const req: ProduceRequest = {
      key: q.key, acks: this.config.acks, timeoutMs: this.config.requestTimeoutMs,
      batch: {
        producerId: this.config.enableIdempotence ? this.producerId : NO_PRODUCER_ID,
        producerEpoch: this.config.enableIdempotence ? b.producerEpoch : NO_PRODUCER_EPOCH,
        baseSequence: b.baseSequence, isTransactional: false, records: b.records.map((r) => r.value),
      },
    };
    if (this.config.acks === 0) {
      // Fire and forget: the client counts the records as sent the moment they leave.
      this.rpc.sendOneWay(leader, 'Produce', req);
      this.finish(q, b, { status: 'ok', offset: null });
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
      this.finish(q, b, { status: 'ok', offset: resp!.baseOffset });
      this.drain(q);
      return;
    }
    if (err) b.maybeWritten = true;
    if (STALE_METADATA.has(error)) this.metadata.refresh(() => this.drainAll());
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
    this.finish(q, b, { status: b.maybeWritten ? 'info' : 'fail', offset: null, error });
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
    if (i >= 0) q.batches.splice(i, 1);
    b.records.forEach((r, j) => r.callback({ ...result, offset: result.offset === null ? null : result.offset + j }));
    if (this.epochBumpNeeded) this.maybeBumpEpoch();
  }

  /** delivery.timeout.ms: records that waited too long without a successful send are reported. */
  private expire(): void {
    const limitUs = this.config.deliveryTimeoutMs * 1000;
    for (const q of this.queues.values()) {
      while (q.records.length > 0 && this.sim.nowUs - q.records[0].enqueuedUs >= limitUs) {
        q.records.shift()!.callback({ status: 'fail', offset: null, error: 'TIMEOUT' });
      }
      for (const b of [...q.batches]) {
        if (!b.inFlight && this.sim.nowUs - b.createdUs >= limitUs) this.giveUp(q, b, 'TIMEOUT');
      }
    }
  }
}
