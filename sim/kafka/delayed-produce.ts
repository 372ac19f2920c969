// A produce the leader holds until the ISR has its records (Kafka's DelayedProduce): acks=all, and the
// coordinators' own appends. Completed by its partition as the high watermark passes requiredOffset
// (Partition.completeDelayedProduces), by a resignation, or by its broker's timeout event; only the first
// of these answers.
import type { Partition } from './partition.ts';
import type { ErrorCode } from './protocol.ts';

export class DelayedProduce {
  private finished = false;

  constructor(
    readonly partition: Partition,
    /** The broker incarnation it was appended in: a crash leaves its timeout nothing to do. */
    readonly incarnation: number,
    /** The high watermark that completes it: one past its last offset. */
    readonly requiredOffset: number,
    private readonly baseOffset: number,
    private readonly done: (error: ErrorCode, baseOffset: number) => void,
  ) {}

  get isFinished(): boolean {
    return this.finished;
  }

  complete(error: ErrorCode): void {
    if (this.finished) return;
    this.finished = true;
    this.done(error, error === 'NONE' ? this.baseOffset : -1);
  }
}
