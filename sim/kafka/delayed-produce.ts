// A produce the leader holds until the ISR has its records (Kafka's DelayedProduce): acks=all, and the
// coordinators' own appends. Completed by its partition as the high watermark passes requiredOffset
// (Partition.completeDelayedProduces), by a resignation, or by its broker's timeout event; only the first
// of these answers.
import type { Partition } from './partition.ts';
import type { ErrorCode } from './protocol.ts';

type Done = (error: ErrorCode, baseOffset: number) => void;

export class DelayedProduce {
  /**
   * Who waits for the answer; null once answered. The timeout event keeps this object until
   * request.timeout.ms passes, long after most produces completed: letting go of the callback (and the
   * request it holds) at once keeps a run's requests from outliving their answers in the heap.
   */
  private done: Done | null;

  constructor(
    readonly partition: Partition,
    /** The broker incarnation it was appended in: a crash leaves its timeout nothing to do. */
    readonly incarnation: number,
    /** The high watermark that completes it: one past its last offset. */
    readonly requiredOffset: number,
    private readonly baseOffset: number,
    done: Done,
  ) {
    this.done = done;
  }

  get isFinished(): boolean {
    return this.done === null;
  }

  complete(error: ErrorCode): void {
    const done = this.done;
    if (done === null) return;
    this.done = null;
    done(error, error === 'NONE' ? this.baseOffset : -1);
  }
}
