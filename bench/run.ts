// Benchmark harness: `npm run bench [-- --only name[,name] --quick --rebuild]`. Discovers every
// measurement in bench/measurements/, runs each several times, prints a table and writes
// bench/results/latest.json and docs/benchmarks.md. See docs/benchmarks.md.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { generateKeyEncryptionKeyFile } from "../app/modules/customers/kek-files";
import { BenchDatabases } from "./lib/databases";
import type { BenchContext, Measurement } from "./lib/measurement";
import {
  describeMachine,
  formatDuration,
  mergeResults,
  readPreviousResults,
  renderTable,
  summarise,
  writeReports,
  type MeasurementResult,
} from "./lib/report";
import { referenceBook } from "./lib/reference-book";

const benchDir = path.resolve("bench");
const resultsFile = path.join(benchDir, "results", "latest.json");
const markdownFile = path.resolve("docs", "benchmarks.md");

async function discoverMeasurements() {
  const dir = path.join(benchDir, "measurements");
  const files = fs.readdirSync(dir).filter((file) => file.endsWith(".ts")).sort();
  const measurements: Measurement[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(path.join(dir, file)).href)) as { default?: Measurement };
    if (!module.default?.name || typeof module.default.measure !== "function") {
      throw new Error(`bench/measurements/${file} must default-export a measurement ({ name, runs, measure })`);
    }
    measurements.push(module.default);
  }
  return measurements;
}

/** Units per second at the median run, for measurements that declare how much work a run does. */
function rateOf(throughput: { count: number; unit: string } | undefined, runsMs: number[]) {
  if (!throughput) return {};
  const medianMs = summarise("", "", runsMs).medianMs;
  return { ratePerSecond: Math.round((throughput.count / medianMs) * 1000 * 10) / 10, rateUnit: throughput.unit };
}

function log(message: string) {
  console.log(`bench: ${message}`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      rebuild: { type: "boolean", default: false },
    },
  });
  const all = await discoverMeasurements();
  const wanted = values.only?.split(",").map((name) => name.trim()).filter(Boolean);
  const unknown = wanted?.filter((name) => !all.some((measurement) => measurement.name === name)) ?? [];
  if (unknown.length) {
    throw new Error(`unknown measurement ${unknown.join(", ")}; available: ${all.map((measurement) => measurement.name).join(", ")}`);
  }
  const selected = wanted ? all.filter((measurement) => wanted.includes(measurement.name)) : all;

  // Every app process a measurement starts tags its ledger events with one key (production provides it).
  process.env.ATTEST_LEDGER_HMAC_KEY ??= randomBytes(32).toString("base64");
  // The reference book's personal data is encrypted under a key-encryption key kept beside the cache
  // (as production keeps it outside the database), so every later run can still read it.
  if (!process.env.ATTEST_KEK) {
    process.env.ATTEST_KEK_DIR ??= path.join(benchDir, ".cache", "kek");
    const held = fs.existsSync(process.env.ATTEST_KEK_DIR) && fs.readdirSync(process.env.ATTEST_KEK_DIR).length > 0;
    if (!held) generateKeyEncryptionKeyFile(process.env.ATTEST_KEK_DIR);
  }
  const databases = new BenchDatabases(
    process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/attest_bench",
    log,
  );
  let referenceUrl: Promise<string> | null = null;
  const context: BenchContext = {
    isQuick: values.quick,
    cacheDir: path.join(benchDir, ".cache"),
    referenceDatabase: () => (referenceUrl ??= databases.ensureReference(referenceBook, { isRebuild: values.rebuild })),
    copyOfReference: async (purpose) => databases.copyReference(await context.referenceDatabase(), purpose),
    withScratchDatabase: (use) => databases.withScratch(use),
    log,
  };
  const machine = describeMachine(await databases.serverVersion());

  const results: MeasurementResult[] = [];
  for (const measurement of selected) {
    const runs = values.quick ? 1 : measurement.runs;
    log(`${measurement.name}: setting up`);
    try {
      await measurement.setup?.(context);
      const runsMs: number[] = [];
      const floorMs: number[] = [];
      const loadAverageBeforeRuns: number[] = [];
      // A measurement's runs alternate with its floor's, so that both see the same load on a shared
      // machine and their ratio stays meaningful when the load changes during the runs.
      for (let run = 1; run <= runs; run++) {
        loadAverageBeforeRuns.push(Math.round(os.loadavg()[0]! * 10) / 10);
        runsMs.push(await measurement.measure(context));
        log(`${measurement.name}: run ${run}/${runs} ${formatDuration(runsMs[runsMs.length - 1]!)}`);
        if (measurement.floor) {
          floorMs.push(await measurement.floor.measure(context));
          log(`${measurement.name}: floor ${measurement.floor.name} run ${run}/${runs} ${formatDuration(floorMs[floorMs.length - 1]!)}`);
        }
      }
      const result: MeasurementResult = {
        ...summarise(measurement.name, measurement.description, runsMs),
        measuredAt: new Date().toISOString(),
        loadAverageBeforeRuns,
        ...rateOf(measurement.throughput, runsMs),
      };
      if (measurement.floor) {
        result.floor = { ...summarise(measurement.floor.name, measurement.floor.description, floorMs), ...rateOf(measurement.floor.throughput ?? measurement.throughput, floorMs) };
        result.ratioToFloor = result.medianMs / result.floor.medianMs;
      }
      const notes = measurement.notes?.();
      if (notes) result.notes = notes;
      results.push(result);
    } finally {
      await measurement.teardown?.(context);
    }
  }

  const merged = mergeResults(readPreviousResults(resultsFile), machine, results);
  writeReports(merged, resultsFile, markdownFile);
  const { header, rows } = renderTable(results);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ");
  console.log(["", line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line), ""].join("\n"));
  console.log(
    `${machine.cpuCores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgresql}`,
  );
  log(`wrote ${path.relative(process.cwd(), resultsFile)} and ${path.relative(process.cwd(), markdownFile)}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(1);
});
