import type { BenchContext, Measurement } from "./measurement";
import { runWorkerJson } from "./processes";

// Issue 9's backtest targets on the 1,000,000-decision reference book: the whole book ≤ 10 s, a 90-day
// all-region period ≤ 2 s, memory flat (counted in the database). One worker process per span times the
// job's own path and its floor, one SQL statement applying the same rules to the same rows.

interface WorkerResult {
  backtest: number[];
  floor: number[];
  decisions: number;
  changed: number;
  peakRssMb: number;
}

const RUNS = 3;

export function backtestMeasurement(span: "all" | "90d"): Measurement {
  let result: WorkerResult | undefined;
  let measured = 0;
  let floors = 0;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  async function worker(context: BenchContext) {
    if (result) return result;
    const url = await context.referenceDatabase();
    result = await runWorkerJson<WorkerResult>("ruleset-backtest.ts", [span, String(context.isQuick ? 1 : RUNS)], {
      url,
      resultKey: "backtest",
      label: `backtest worker (${span})`,
    });
    return result;
  }
  const label = span === "all" ? "the whole book (all regions)" : "the last 90 days, all regions";
  return {
    name: span === "all" ? "rulesets.backtest-1m" : "rulesets.backtest-90d",
    description: `Backtest of a draft over ${label} of the 1,000,000-decision reference book: ${12} slices replayed and counted by segment in the database, the sample of changed decisions and the summary (target ${span === "all" ? "≤ 10 s" : "≤ 2 s"}).`,
    runs: RUNS,
    async measure(context) {
      const { backtest } = await worker(context);
      return backtest[measured++ % backtest.length]!;
    },
    floor: {
      name: "pg.rules-in-one-statement",
      description: "One SQL statement applying the same rules to the same rows, counting actual × replayed outcomes.",
      async measure(context) {
        const { floor } = await worker(context);
        return floor[floors++ % floor.length]!;
      },
    },
    notes() {
      if (!result) return "";
      return `${result.decisions.toLocaleString("en-GB")} decisions replayed, ${result.changed.toLocaleString("en-GB")} change outcome; worker peak RSS ${result.peakRssMb} MB; median backtest ${median(result.backtest).toFixed(0)} ms vs floor ${median(result.floor).toFixed(0)} ms`;
    },
  };
}
