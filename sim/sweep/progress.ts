// Progress of a long sweep on stderr: a live bar on a terminal (done/total, runs/s, ETA, failures so
// far; cli-progress draws it), and a plain line every few seconds when stderr is a file or a CI log, where
// a redrawn bar would be noise. The wall clock is the caller's (the simulation never reads one).
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  total: number;
  /** Runs already done before this process started (--resume). */
  already: number;
  stream: NodeJS.WriteStream;
  /** Wall-clock milliseconds. */
  nowMs: () => number;
  label: string;
  /** What the failure count counts ('failing' by default). */
  counted?: string;
  /** Seconds between two plain lines. */
  plainEverySeconds?: number;
}

export interface Progress {
  tick(failed: boolean): void;
  stop(): void;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function startProgress(o: ProgressOptions): Progress {
  const started = o.nowMs();
  let done = o.already;
  let failures = 0;
  const counted = o.counted ?? 'failing';
  const rate = () => (done - o.already) / Math.max(0.001, (o.nowMs() - started) / 1000);
  if (o.stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream: o.stream, hideCursor: true, clearOnComplete: true, etaBuffer: 200, fps: 5,
      format: `${o.label} {bar} {value}/{total} runs · {speed} runs/s · ETA {eta_formatted} · {failures} ${counted}`,
    }, cliProgress.Presets.shades_classic);
    bar.start(o.total, done, { speed: '0.0', failures: 0 });
    return {
      tick(failed) {
        done++;
        if (failed) failures++;
        bar.update(done, { speed: rate().toFixed(1), failures });
      },
      stop: () => bar.stop(),
    };
  }
  const everyMs = (o.plainEverySeconds ?? 5) * 1000;
  let last = started;
  let printed = o.already;
  const line = () => {
    printed = done;
    const r = rate();
    o.stream.write(`${o.label}: ${done}/${o.total} runs · ${r.toFixed(1)} runs/s · ETA ${duration((o.total - done) / r)} · ${failures} ${counted}\n`);
  };
  return {
    tick(failed) {
      done++;
      if (failed) failures++;
      if (o.nowMs() - last >= everyMs) {
        last = o.nowMs();
        line();
      }
    },
    stop() {
      if (done > printed) line();
    },
  };
}
