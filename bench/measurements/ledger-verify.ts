import path from "node:path";
import { ensureLedgerBook, type LedgerBook } from "../lib/ledger-book";
import { type BenchContext, type Measurement } from "../lib/measurement";
import { runCommand } from "../lib/processes";

// `npm run ledger:verify` over a two-million-event ledger (target ≤ 10 s on this 2-core machine):
// every leaf recomputed from canonical JSON, every stored node and signed checkpoint checked. The
// floor is `sha256sum` over the same canonical bytes — the hashing alone, with no database and no
// tree. Peak memory is read for 200,000 and 2,000,000 events: it must not grow with the ledger.

const LARGE = 2_000_000;
const SMALL = 200_000;
const serverUrl = () => process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/attest_bench";

let large: LedgerBook | null = null;
let small: LedgerBook | null = null;

interface VerifyRun {
  ms: number;
  peakRssMiB: number;
  report: { isValid: boolean; checkedEvents: number; checkedCheckpoints: number; problem: unknown };
}

async function runVerifier(book: LedgerBook): Promise<VerifyRun> {
  const startedAt = process.hrtime.bigint();
  // GNU time reports the verifier's peak resident set (KiB) on stderr after its JSON on stdout.
  // The command `npm run ledger:verify` runs (node with tsx's loader), started directly: npm's and
  // npx's own launchers are not the verifier's start-up.
  const output = await runCommand("/usr/bin/time", ["-f", "peak-rss-kib=%M", process.execPath, "--import", "tsx", "scripts/ledger-verify.ts", "--json", "--no-record"], {
    // The book's pinned key and tag key (issue 12: keys trusted from outside, every tag checked); no
    // checkpoint sink — the book is built outside the app and published nowhere.
    env: { DATABASE_URL: book.url, LOG_LEVEL: "warn", ATTEST_CHECKPOINT_SINK_DIR: "off", ...book.env },
    label: "npm run ledger:verify",
  });
  const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
  const report = JSON.parse(output.slice(output.indexOf("{"), output.lastIndexOf("}") + 1)) as VerifyRun["report"];
  if (!report.isValid || report.checkedEvents !== book.events) throw new Error(`the benchmark ledger did not verify: ${JSON.stringify(report.problem)}`);
  const peakRssMiB = Number(/peak-rss-kib=(\d+)/.exec(output)?.[1] ?? 0) / 1024;
  return { ms, peakRssMiB, report };
}

const memory: { small?: number; large?: number } = {};
// Each run is followed by a floor run (bench/run.ts alternates them): their ratio, run by run, is the
// figure that holds on a shared machine whose load changes between runs.
let lastRunMs = 0;
const pairRatios: number[] = [];

const ledgerVerify: Measurement = {
  name: "ledger.verify-2m",
  description: `\`npm run ledger:verify\` (\`node --import tsx scripts/ledger-verify.ts\`) over ${LARGE.toLocaleString("en")} events (${LARGE / 10_000} signed checkpoints) with pinned key, event tags and checkpoint chain checked: CLI wall clock, Node start-up included.`,
  runs: 3,
  throughput: { count: LARGE, unit: "events" },

  async setup(context: BenchContext) {
    large = await ensureLedgerBook(serverUrl(), LARGE, context.cacheDir, context.log);
    small = await ensureLedgerBook(serverUrl(), SMALL, context.cacheDir, context.log);
    memory.small = (await runVerifier(small)).peakRssMiB;
  },

  async measure() {
    const run = await runVerifier(large!);
    memory.large = Math.max(memory.large ?? 0, run.peakRssMiB);
    lastRunMs = run.ms;
    return run.ms;
  },

  notes: () =>
    [
      memory.small && memory.large ? `peak RSS ${memory.small.toFixed(0)} MiB at ${SMALL.toLocaleString("en")} events, ${memory.large.toFixed(0)} MiB at ${LARGE.toLocaleString("en")}` : "",
      pairRatios.length ? `ratio to the floor run after each run: ${pairRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(", ")}` : "",
    ]
      .filter(Boolean)
      .join("; "),

  floor: {
    name: "sha256sum.canonical-2m",
    description: "`sha256sum` of the same events' canonical JSON bytes, one stream (hashing only).",
    async measure() {
      const startedAt = process.hrtime.bigint();
      await runCommand("sha256sum", [path.resolve(large!.canonicalBytesFile)], { label: "sha256sum" });
      const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
      if (lastRunMs > 0) pairRatios.push(lastRunMs / ms);
      lastRunMs = 0;
      return ms;
    },
  },
};

export default ledgerVerify;
