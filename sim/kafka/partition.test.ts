// The replication rules of one Partition on its own: a leader replica with one follower whose fetch
// positions the test sets by hand.
import { describe, expect, it } from 'vitest';
import { Simulation } from '../core/simulation.ts';
import { ModelChecks } from './checks.ts';
import { Partition } from './partition.ts';
import { resolveRelease } from './releases.ts';
import type { ProducerBatch } from './protocol.ts';

const PID = 7;

function leader(): Partition {
  const sim = new Simulation({ seed: 1, keepTrace: false });
  const p = new Partition(sim, 1, 'payments/0', 'payments', 0, 2,
    { checks: ModelChecks.ALL_ON, markerEpochCheck: true }, resolveRelease('4.2').line.features);
  p.applyRegistration({ key: 'payments/0', topic: 'payments', partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
  return p;
}

const data = (values: string[], baseSequence: number): ProducerBatch =>
  ({ producerId: PID, producerEpoch: 0, baseSequence, isTransactional: true, records: values });
const marker: ProducerBatch = { producerId: PID, producerEpoch: 0, baseSequence: -1, isTransactional: true, records: [] };

describe('Partition: the last stable offset', () => {
  it('stops at the first offset of an open transaction', () => {
    const p = leader();
    p.appendAsLeader(data(['a', 'b'], 0));
    p.updateFollower(2, 2, 0);
    expect(p.log.highWatermark).toBe(2);
    expect(p.lastStableOffset()).toBe(0);
  });

  it('also waits for a completed transaction until its marker is replicated (ProducerStateManager.unreplicatedTxns)', () => {
    const p = leader();
    p.appendAsLeader(data(['a', 'b'], 0));
    p.appendAsLeader(marker, 'COMMIT', 0);
    // The data is replicated, the COMMIT marker at offset 2 is not: were this leader lost now, the new
    // one would hold the transaction open, so it is not stable yet.
    p.updateFollower(2, 2, 0);
    expect(p.log.highWatermark).toBe(2);
    expect(p.lastStableOffset()).toBe(0);
    p.updateFollower(2, 3, 0);
    expect(p.log.highWatermark).toBe(3);
    expect(p.lastStableOffset()).toBe(3);
  });

  it('a marker truncated away reopens its transaction', () => {
    const p = leader();
    p.appendAsLeader(data(['a', 'b'], 0));
    p.appendAsLeader(marker, 'ABORT', 0);
    p.updateFollower(2, 3, 0);
    expect(p.lastStableOffset()).toBe(3);
    p.truncateTo(2);
    expect(p.log.highWatermark).toBe(2);
    expect(p.lastStableOffset()).toBe(0);
  });
});

describe('Partition: a new leader and the end of its log', () => {
  it('cannot tell consumers where its log ends until its high watermark reaches the start of its epoch', () => {
    const p = leader();
    p.appendAsLeader(data(['a', 'b'], 0));
    p.appendAsLeader(data(['c'], 2));
    p.updateFollower(2, 1, 0);
    expect(p.log.highWatermark).toBe(1);
    // Leadership moves away and back (epoch 1): the HW it keeps lags its log end of 3.
    p.applyRegistration({ key: 'payments/0', topic: 'payments', partition: 0, replicas: [1, 2], isr: [1, 2], leader: 2, leaderEpoch: 1, partitionEpoch: 1 });
    p.applyRegistration({ key: 'payments/0', topic: 'payments', partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 2, partitionEpoch: 2 });
    expect(p.endOffsetsKnown()).toBe(false);
    p.updateFollower(2, 3, 0);
    expect(p.log.highWatermark).toBe(3);
    expect(p.endOffsetsKnown()).toBe(true);
  });
});
