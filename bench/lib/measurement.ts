// The contract every benchmark in bench/measurements/ fulfils. A file there default-exports one
// Measurement; `npm run bench` discovers it by itself.

export interface BenchContext {
  /** `--quick`: one run per measurement, for a smoke test rather than a result. */
  isQuick: boolean;
  /** Scratch space that survives between runs (gitignored). */
  cacheDir: string;
  /** The long-lived benchmark database with the reference book (built on first use, then reused). */
  referenceDatabase(): Promise<string>;
  /** A writable copy of the reference book, for measurements that write to it; drop it when done. */
  copyOfReference(purpose: string): Promise<{ url: string; drop(): Promise<void> }>;
  /** A fresh, migrated, empty database; dropped again after the run. */
  withScratchDatabase<T>(use: (url: string) => Promise<T>): Promise<T>;
  log(message: string): void;
}

export interface TimedStep {
  name: string;
  description: string;
  /** Work done by one run, so the report also gives a rate (e.g. 20,000 actions → actions/s). */
  throughput?: { count: number; unit: string };
  /** One timed run: returns the milliseconds it took, excluding any preparation it did first. */
  measure(context: BenchContext): Promise<number>;
}

export interface Measurement extends TimedStep {
  /** Runs per measurement (the median is reported); `--quick` makes it one. */
  runs: number;
  /** Untimed preparation, once before the runs. */
  setup?(context: BenchContext): Promise<void>;
  /** Untimed clean-up, once after the runs and the floor (also when one of them failed). */
  teardown?(context: BenchContext): Promise<void>;
  /** What the measurement is compared with: the ratio median / floor median is reported. */
  floor?: TimedStep;
  /** Further facts observed while measuring (e.g. peak memory), printed beside the result. */
  notes?(): string;
}

export function elapsedSince(startedAt: bigint) {
  return Number(process.hrtime.bigint() - startedAt) / 1e6;
}
