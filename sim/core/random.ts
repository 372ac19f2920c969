// Named random streams. Each concern (network, faults, each client, the workload) draws from its own
// stream, seeded from (run seed, stream name), so adding a stream or a draw in one concern never shifts
// the draws of another: a fault schedule stays the same when a client changes how often it draws.
import seedrandom from 'seedrandom';

export class RandomStream {
  private readonly next: () => number;

  constructor(readonly name: string, runSeed: number) {
    // alea: fast, small state, and seeded from a string, so stream names need no numbering scheme.
    this.next = seedrandom.alea(`${runSeed}\u0000${name}`);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new Error(`RandomStream.int: n must be >= 1, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

export class RandomStreams {
  private readonly streams = new Map<string, RandomStream>();

  constructor(readonly runSeed: number) {}

  stream(name: string): RandomStream {
    let s = this.streams.get(name);
    if (!s) {
      s = new RandomStream(name, this.runSeed);
      this.streams.set(name, s);
    }
    return s;
  }
}
