import fs from "node:fs";
import path from "node:path";
import { type BenchContext, type Measurement } from "./measurement";
import { runCommand, runPsql } from "./processes";

// An evidence pack of the `target` most recent decisions of the 1M reference book with their reason
// codes, customers (masked), reviews, rule-set versions and ledger events with inclusion proofs, built
// as the job builds it (bench/workers/evidence-pack.ts: the job's runner, which starts the build process
// with its flags, ADR 021). Peak RSS is the build process's own; the time runs from starting that
// process to its result (the worker's own imports excluded). The floor is `COPY … TO STDOUT` of the same
// decisions with their reasons: reading the rows and nothing else.
//   evidence-pack.100k     100,000 decisions: target ≤ 15 s, peak RSS ≤ 400 MB
//   evidence-pack.all-1m   the whole book: completes with the same flat memory (its time reported)
// BENCH_TRACE=1 makes the worker print each stage's duration, peak RSS and V8 heap on stderr.

export function evidencePackMeasurement(options: { name: string; target: number; runs: number }): Measurement {
  const { target } = options;
  let url = "";
  let scope: { from: string; to: string } | null = null;
  let peakRssMiB = 0;
  let treePeakRssMiB = 0;
  let lastRows = 0;
  let lastSize = 0;

  function envFor(context: BenchContext) {
    const keys = path.join(context.cacheDir, "evidence-keys");
    fs.mkdirSync(keys, { recursive: true });
    // Demo mode generates a signing key, an event tag key and key-encryption keys once, kept in the cache.
    return {
      DATABASE_URL: url,
      SESSION_SECRET: "bench-evidence-pack-session-secret-not-used-0000",
      ATTEST_DEMO: "true",
      ATTEST_SIGNING_KEYS_DIR: keys,
      ATTEST_KEK_DIR: path.join(keys, "kek"),
      EVIDENCE_PACK_DIR: path.join(context.cacheDir, "evidence-packs"),
      TARGET_DECISIONS: String(target),
      LOG_LEVEL: "warn",
    };
  }

  async function buildOnce(context: BenchContext) {
    const output = await runCommand("/usr/bin/time", ["-f", "peak-rss-kib=%M", "npx", "tsx", "bench/workers/evidence-pack.ts"], { env: envFor(context), label: "evidence pack build" });
    const line = output.split("\n").find((text) => text.startsWith("{\"ms\":"));
    if (!line) throw new Error(`the evidence pack worker printed no result:\n${output.slice(-2000)}`);
    const result = JSON.parse(line) as { ms: number; rows: number; sizeBytes: number; from: string; to: string; buildPeakRssKiB: number };
    peakRssMiB = Math.max(peakRssMiB, result.buildPeakRssKiB / 1024);
    // The largest of the worker's processes (its own and the build's), as /usr/bin/time saw them.
    treePeakRssMiB = Math.max(treePeakRssMiB, Number(/peak-rss-kib=(\d+)/.exec(output)?.[1] ?? 0) / 1024);
    lastRows = result.rows;
    lastSize = result.sizeBytes;
    scope = { from: result.from, to: result.to };
    return result.ms;
  }

  return {
    name: options.name,
    description: `Evidence pack of the ${target >= 1_000_000 ? "whole reference book (1,000,000 decisions)" : `${target.toLocaleString("en")} most recent decisions of the reference book`} (reasons, masked customers, reviews, rule sets, ledger events with RFC 6962 proofs; zip streamed to disk, signed).`,
    runs: options.runs,
    throughput: { count: target, unit: "decisions" },
    async setup(context) {
      url = await context.referenceDatabase();
    },
    async measure(context) {
      return buildOnce(context);
    },
    notes: () => `peak RSS ${peakRssMiB.toFixed(0)} MiB (build process; largest process ${treePeakRssMiB.toFixed(0)} MiB); ${lastRows.toLocaleString("en")} rows; zip ${(lastSize / 1024 / 1024).toFixed(1)} MiB`,
    floor: {
      name: "copy.decisions-with-reasons",
      description: "`COPY (decisions of the same period joined with their reason codes) TO STDOUT` through psql into /dev/null.",
      async measure() {
        const startedAt = process.hrtime.bigint();
        const until = scope ? `'${scope.to}'::date + 1` : "now()";
        await runPsql(url, `\\copy (SELECT d.*, r.code, r.contribution FROM decision d LEFT JOIN decision_reason r ON r.decision_id = d.id WHERE d.decided_at >= '${scope?.from ?? "2000-01-01"}' AND d.decided_at < ${until}) TO '/dev/null'`, "COPY floor");
        return Number(process.hrtime.bigint() - startedAt) / 1e6;
      },
    },
  };
}
