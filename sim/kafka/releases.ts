// Kafka releases as an input. Safety-relevant behaviour changed between release lines; a run models one
// line, chosen by the release a user names (`--kafka 3.6`, `kafka: "3.9"` in a scenario). The model asks
// the resolved `KafkaFeatures` at the point of decision, as Kafka asks its metadata version
// (`isTransactionV2Enabled()` and the like); nothing else in the model knows release numbers.

export interface KafkaFeatures {
  /**
   * KIP-890 part 1 (3.6+, transaction.partition.verification.enable): a partition leader asks the
   * transaction coordinator before it accepts the first transactional write of a producer, so a write
   * whose transaction already ended cannot start a transaction nobody will end.
   */
  partitionVerification: boolean;
  /**
   * Transaction version 2 (KIP-890 part 2, 4.0+): the coordinator bumps the producer epoch at every
   * EndTxn and returns it, so a late write of an earlier transaction carries a stale epoch; the client
   * bumps the epoch after an abortable error instead of waiting for an unresolved sequence.
   */
  transactionV2: boolean;
  /**
   * KAFKA-15583 (fixed in 3.7): the high watermark does not advance while the ISR is smaller than
   * min.insync.replicas. Before it, a leader alone in its ISR could advance the HW with acks=1 data that
   * no other replica has.
   */
  highWatermarkWaitsForMinIsr: boolean;
  /**
   * KIP-1228 (4.2, KAFKA-19446): a transaction marker carries the epoch of the transaction it ends, and
   * a partition rejects a marker whose epoch is not above the epoch of the transaction it would close,
   * so a late marker of an earlier transaction cannot end the next one with the same epoch.
   */
  markerEpochCheck: boolean;
  /**
   * Eligible leader replicas (KIP-966 part 1; eligible.leader.replicas.version=1, on by default for new
   * clusters from 4.1, see kafka.apache.org/41/operations/eligible-leader-replicas): a member that leaves
   * an ISR already below min.insync.replicas stays eligible to lead, the ISR may become empty, a broker
   * that restarts after an unclean shutdown loses its eligibility, and a partition whose ISR and ELR are
   * both empty waits for its last known leader.
   */
  eligibleLeaderReplicas: boolean;
  /**
   * KIP-903 (3.5+): a follower's fetch carries its broker epoch; the leader rejects a fetch older than the
   * last one it saw from that follower, and the controller refuses an ISR whose member's epoch is not the
   * one it registered, so a fetch sent by an earlier incarnation (before a power loss truncated its log)
   * cannot put the replica back into the ISR.
   */
  isrBrokerEpochCheck: boolean;
}

export interface ReleaseLine {
  /** The line's name as `eos-sim list` prints it. */
  name: string;
  /** First and last minor release of the line, as [major, minor]. */
  first: [number, number];
  last: [number, number];
  /** What this line changes against the one before, one sentence. */
  changes: string;
  features: KafkaFeatures;
}

/** Oldest first. Releases before 2.5 lack KIP-447 (group metadata in TxnOffsetCommit), which the processor needs. */
export const RELEASE_LINES: readonly ReleaseLine[] = [
  {
    name: '2.5-3.4', first: [2, 5], last: [3, 4],
    changes: 'before KIP-890: no verification of a partition\'s first transactional write; the epoch moves only by InitProducerId',
    features: { partitionVerification: false, transactionV2: false, highWatermarkWaitsForMinIsr: false, markerEpochCheck: false, eligibleLeaderReplicas: false, isrBrokerEpochCheck: false },
  },
  {
    name: '3.5', first: [3, 5], last: [3, 5],
    changes: 'KIP-903: an ISR expansion carries the follower\'s broker epoch, so a fetch of an earlier incarnation cannot put it back',
    features: { partitionVerification: false, transactionV2: false, highWatermarkWaitsForMinIsr: false, markerEpochCheck: false, eligibleLeaderReplicas: false, isrBrokerEpochCheck: true },
  },
  {
    name: '3.6', first: [3, 6], last: [3, 6],
    changes: 'KIP-890 part 1: the leader verifies a transaction\'s first write to a partition with the coordinator',
    features: { partitionVerification: true, transactionV2: false, highWatermarkWaitsForMinIsr: false, markerEpochCheck: false, eligibleLeaderReplicas: false, isrBrokerEpochCheck: true },
  },
  {
    name: '3.7-3.9', first: [3, 7], last: [3, 9],
    changes: 'KAFKA-15583: the high watermark waits while the ISR is below min.insync.replicas',
    features: { partitionVerification: true, transactionV2: false, highWatermarkWaitsForMinIsr: true, markerEpochCheck: false, eligibleLeaderReplicas: false, isrBrokerEpochCheck: true },
  },
  {
    name: '4.0', first: [4, 0], last: [4, 0],
    changes: 'transaction version 2 (KIP-890 part 2): the epoch is bumped at every EndTxn and after an abortable error',
    features: { partitionVerification: true, transactionV2: true, highWatermarkWaitsForMinIsr: true, markerEpochCheck: false, eligibleLeaderReplicas: false, isrBrokerEpochCheck: true },
  },
  {
    name: '4.1', first: [4, 1], last: [4, 1],
    changes: 'KIP-966 eligible leader replicas on by default: a replica that left an ISR below min.insync.replicas may still lead; one that shut down uncleanly may not',
    features: { partitionVerification: true, transactionV2: true, highWatermarkWaitsForMinIsr: true, markerEpochCheck: false, eligibleLeaderReplicas: true, isrBrokerEpochCheck: true },
  },
  {
    name: '4.2', first: [4, 2], last: [4, 2],
    changes: 'KIP-1228: a late transaction marker with the epoch of an earlier transaction is rejected',
    features: { partitionVerification: true, transactionV2: true, highWatermarkWaitsForMinIsr: true, markerEpochCheck: true, eligibleLeaderReplicas: true, isrBrokerEpochCheck: true },
  },
];

export const NEWEST_RELEASE = '4.2';

export interface Release {
  /** The release as the user named it, normalised to major.minor (`3.6.1` -> `3.6`). */
  release: string;
  line: ReleaseLine;
}

export class ReleaseError extends Error {}

export function knownReleasesText(): string {
  return RELEASE_LINES.map((l) => l.name).join(', ');
}

/** `3.6`, `3.6.2`, `4.0` -> the release and its line; anything else throws ReleaseError naming the known lines. */
export function resolveRelease(text: string = NEWEST_RELEASE): Release {
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(text.trim());
  const v = m ? [Number(m[1]), Number(m[2])] : null;
  const line = v && RELEASE_LINES.find((l) => !before(v, l.first) && !before(l.last, v));
  if (!v || !line) {
    throw new ReleaseError(`unknown Kafka release ${JSON.stringify(text)} (allowed: a release of the lines ${knownReleasesText()}, e.g. 2.8, 3.5, 3.6, 3.9, 4.0, 4.2)`);
  }
  return { release: `${v[0]}.${v[1]}`, line };
}

function before(a: readonly number[], b: readonly number[]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}
