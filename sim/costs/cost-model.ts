// The cost model `eos-sim costs` runs the real model under: broker time per request. The Kafka model
// answers a request the moment it arrives, which is right for judging safety and says nothing about cost;
// here each broker serves its requests one at a time, each taking the time below, so every extra round
// trip, marker and log append of a guarantee shows in virtual time. It wraps the brokers' network delivery
// (a public seam) and changes nothing of sim/kafka; a broker-side service time in the model itself would
// replace it.
import type { Simulation } from '../core/simulation.ts';
import type { ApiName } from '../faults/schedule.ts';
import type { ProduceRequest, WriteTxnMarkersRequest } from '../kafka/protocol.ts';
import type { Envelope, Network } from '../net/network.ts';

export interface CostModel {
  /** Broker time per request of any kind (parse, dispatch, respond), µs. */
  brokerRequestUs: number;
  /** Broker time per produced record (validate, append, copy), µs. */
  brokerRecordUs: number;
  /** Broker time per transaction marker written (one per partition of a WriteTxnMarkers request), µs. */
  markerWriteUs: number;
  /** Time of one fsync, µs; paid by every request that appends to a log when fsyncEveryWrite is on. */
  fsyncUs: number;
  /** Sync the log on every write (Kafka: flush.messages=1). Off by default, as in Kafka, which relies on replication. */
  fsyncEveryWrite: boolean;
}

export const DEFAULT_COST_MODEL: CostModel = {
  brokerRequestUs: 50,
  brokerRecordUs: 2,
  markerWriteUs: 100,
  fsyncUs: 2000,
  fsyncEveryWrite: false,
};

/** Requests that append to a log: data, markers, the transaction log and the offsets log. */
const LOG_WRITES: ReadonlySet<ApiName> = new Set<ApiName>([
  'Produce', 'WriteTxnMarkers', 'InitProducerId', 'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'OffsetCommit', 'TxnOffsetCommit',
]);

/** Broker time one request takes under the model, µs. */
export function serviceTimeUs(model: CostModel, api: ApiName, body: unknown): number {
  let us = model.brokerRequestUs;
  if (api === 'Produce') us += model.brokerRecordUs * (body as ProduceRequest).batch.records.length;
  if (api === 'WriteTxnMarkers') us += model.markerWriteUs * (body as WriteTxnMarkersRequest).partitions.length;
  if (model.fsyncEveryWrite && LOG_WRITES.has(api)) us += model.fsyncUs;
  return us;
}

/**
 * Makes each of `nodeIds` serve the requests it receives one at a time, in arrival order, each after its
 * service time. A request still queued when its broker crashes is lost with it.
 */
export function installBrokerCosts(sim: Simulation, net: Network, nodeIds: string[], model: CostModel): void {
  for (const id of nodeIds) {
    const node = net.node(id);
    if (node === undefined) throw new Error(`cost model: no node ${id}`);
    const deliver = node.deliver.bind(node);
    let busyUntilUs = 0;
    node.deliver = (env: Envelope) => {
      if (env.kind !== 'request') return deliver(env);
      const incarnation = node.incarnation;
      busyUntilUs = Math.max(busyUntilUs, sim.nowUs) + serviceTimeUs(model, env.api, env.body);
      sim.at(busyUntilUs, () => {
        if (node.isUp() && node.incarnation === incarnation) deliver(env);
      });
    };
  }
}
