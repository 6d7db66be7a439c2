import type { BenchContext, Measurement } from "./measurement";
import { runWorkerJson } from "./processes";

// A dashboard's loader against the million-decision reference book (issue 10: p95 ≤ 100 ms), beside
// the raw-table GROUP BY its rollups replace. Each run is one worker process timing ITERATIONS loader
// calls interleaved with a quarter as many raw queries; the run's result is the p95.

const ITERATIONS = 100;
const RUNS = 3;

interface WorkerResult {
  loader: { p50: number; p95: number };
  raw: { p50: number; p95: number };
}

export function dashboardMeasurement(dashboard: string, label: string): Measurement {
  const results: WorkerResult[] = [];
  let floorIndex = 0;
  async function runWorker(context: BenchContext) {
    const url = await context.referenceDatabase();
    return runWorkerJson<WorkerResult>("dashboard-loader.ts", [dashboard, String(ITERATIONS), "compliance@attest.test"], {
      url,
      resultKey: "loader",
      env: { DATABASE_POOL_SIZE: "10" },
      label: `dashboard loader worker (${dashboard})`,
    });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    name: `dashboards.${dashboard}-loader`,
    description: `${label} dashboard loader p95 (${ITERATIONS} calls per run, interleaved with ${ITERATIONS / 4} raw GROUP BYs), compliance officer (all six regions), last 12 months of 1,000,000 decisions.`,
    runs: RUNS,
    async measure(context) {
      const result = await runWorker(context);
      results.push(result);
      return result.loader.p95;
    },
    floor: {
      name: "pg.raw-group-by",
      description: "p95 of the raw-table GROUP BY (decision, outcomes) that the dashboard's main chart needs without rollups, in the same worker.",
      async measure() {
        return results[floorIndex++ % results.length]!.raw.p95;
      },
    },
    notes() {
      if (results.length === 0) return "";
      return `p50 loader ${median(results.map((r) => r.loader.p50)).toFixed(1)} ms vs raw ${median(results.map((r) => r.raw.p50)).toFixed(1)} ms; p95 loader ${median(results.map((r) => r.loader.p95)).toFixed(1)} ms vs raw ${median(results.map((r) => r.raw.p95)).toFixed(1)} ms`;
    },
  };
}
