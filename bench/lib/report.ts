import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Benchmark results: bench/results/latest.json for machines and docs/benchmarks.md for people. A run
// that measures only some benchmarks (--only) keeps the others' last results.

export interface Series {
  name: string;
  description: string;
  /** Units of work per second at the median, where the measurement declares its throughput. */
  ratePerSecond?: number;
  rateUnit?: string;
  runsMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export interface MeasurementResult extends Series {
  measuredAt: string;
  notes?: string;
  /**
   * The machine's 1-minute load average before each run: on a shared machine, other work competes
   * for the same cores, and this says how much.
   */
  loadAverageBeforeRuns: number[];
  floor?: Series;
  /** Median divided by the floor's median. */
  ratioToFloor?: number;
}

export interface MachineFacts {
  cpuCores: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  node: string;
  postgresql: string;
}

export interface BenchResults {
  generatedAt: string;
  machine: MachineFacts;
  measurements: MeasurementResult[];
}

export function describeMachine(postgresqlVersion: string): MachineFacts {
  const cpus = os.cpus();
  return {
    cpuCores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgresql: postgresqlVersion,
  };
}

export function summarise(name: string, description: string, runsMs: number[]): Series {
  const sorted = [...runsMs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const rounded = (milliseconds: number) => Math.round(milliseconds * 10) / 10;
  return {
    name,
    description,
    runsMs: runsMs.map(rounded),
    medianMs: rounded(medianMs),
    minMs: rounded(sorted[0]!),
    maxMs: rounded(sorted[sorted.length - 1]!),
  };
}

export function formatDuration(milliseconds: number) {
  if (milliseconds >= 60_000) return `${Math.floor(milliseconds / 60_000)} min ${((milliseconds % 60_000) / 1000).toFixed(0)} s`;
  if (milliseconds >= 1_000) return `${(milliseconds / 1000).toFixed(1)} s`;
  return `${milliseconds.toFixed(1)} ms`;
}

export function readPreviousResults(file: string): BenchResults | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as BenchResults;
  } catch {
    return null;
  }
}

export function mergeResults(previous: BenchResults | null, machine: MachineFacts, fresh: MeasurementResult[]): BenchResults {
  const byName = new Map((previous?.measurements ?? []).map((result) => [result.name, result]));
  for (const result of fresh) byName.set(result.name, result);
  return {
    generatedAt: new Date().toISOString(),
    machine,
    measurements: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

export function renderTable(results: MeasurementResult[]) {
  const header = ["measurement", "runs", "median", "min", "max", "rate (median)", "floor (median)", "ratio"];
  const rows = results.map((result) => [
    result.name,
    String(result.runsMs.length),
    formatDuration(result.medianMs),
    formatDuration(result.minMs),
    formatDuration(result.maxMs),
    result.ratePerSecond !== undefined ? `${Math.round(result.ratePerSecond).toLocaleString("en")} ${result.rateUnit}/s` : "—",
    result.floor ? `${result.floor.name}: ${formatDuration(result.floor.medianMs)}` : "—",
    result.ratioToFloor !== undefined ? `${result.ratioToFloor.toFixed(2)}×` : "—",
  ]);
  return { header, rows };
}

const startMarker = "<!-- bench:results:start -->";
const endMarker = "<!-- bench:results:end -->";

const introduction = `# Benchmarks

Measured by \`npm run bench\` (bench/run.ts) on the machine described below; the raw numbers are in
[bench/results/latest.json](../bench/results/latest.json). Each measurement runs several times and reports
the median; where it declares a *floor* — the same work done by the simplest possible means — the ratio
median ÷ floor median says how far from that floor we are.

\`\`\`sh
npm run bench                          # every measurement in bench/measurements/
npm run bench -- --only seed.load-1m   # one of them
npm run bench -- --quick               # one run each: a smoke test, not a result
\`\`\`

The benchmark database (\`BENCH_DATABASE_URL\`, default \`postgresql://postgres@127.0.0.1:5432/attest_bench\`)
is created on first use, migrated with \`scripts/db-migrate.ts\` and filled with a 1,000,000-decision
reference book by the seed; later runs reuse it (\`--rebuild\` forces a new one). Timed runs load into
fresh databases cloned from an empty migrated template and dropped afterwards.
`;

export function renderMarkdown(results: BenchResults, existing: string | null) {
  const { machine } = results;
  const { header, rows } = renderTable(results.measurements);
  const lines = [
    startMarker,
    `## Results (${results.generatedAt.slice(0, 10)})`,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map((_, index) => (index === 0 ? "---" : "---:")).join("|")}|`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
    "",
    ...results.measurements.flatMap((result) => [
      `**${result.name}** (measured ${result.measuredAt.slice(0, 10)}; runs: ${result.runsMs.map(formatDuration).join(", ")}; ` +
        `load average before each run: ${(result.loadAverageBeforeRuns ?? []).map((load) => load.toFixed(1)).join(", ")}) — ${result.description}` +
        (result.notes ? ` **Observed:** ${result.notes}.` : ""),
      ...(result.floor
        ? ["", `*Floor* ${result.floor.name} (runs: ${result.floor.runsMs.map(formatDuration).join(", ")}) — ${result.floor.description}`]
        : []),
      "",
    ]),
    "### Machine",
    "",
    "| | |",
    "|---|---|",
    `| CPU | ${machine.cpuCores} cores, ${machine.cpuModel} |`,
    `| memory | ${machine.memoryGiB} GiB |`,
    `| OS | ${machine.os} |`,
    `| Node.js | ${machine.node} |`,
    `| PostgreSQL | ${machine.postgresql} (same machine, default configuration) |`,
    `| load | shared machine: see the load averages above (${machine.cpuCores} = both cores busy) |`,
    `| date | ${results.generatedAt} |`,
    endMarker,
  ].join("\n");
  if (existing?.includes(startMarker) && existing.includes(endMarker)) {
    const before = existing.slice(0, existing.indexOf(startMarker));
    const after = existing.slice(existing.indexOf(endMarker) + endMarker.length);
    return `${before}${lines}${after}`;
  }
  return `${introduction}\n${lines}\n`;
}

export function writeReports(results: BenchResults, jsonFile: string, markdownFile: string) {
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  fs.mkdirSync(path.dirname(markdownFile), { recursive: true });
  const existing = fs.existsSync(markdownFile) ? fs.readFileSync(markdownFile, "utf8") : null;
  fs.writeFileSync(markdownFile, renderMarkdown(results, existing));
}
