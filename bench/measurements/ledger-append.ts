import path from "node:path";
import { type BenchContext, type Measurement } from "../lib/measurement";
import { runCommand } from "../lib/processes";

// Audited actions per second with 8 concurrent writers (target ≥ 2,000/s on this 2-core machine):
// each action is one transaction with a business row and its ledger event (gapless sequence under the
// head lock, leaf hash, tree nodes), while the checkpoint worker signs at least once a second. The
// floor is the same transactions with a second plain row instead of the ledger event.

const EVENTS = 20_000;
const WRITERS = 8;

async function runWorker(context: BenchContext, url: string, extra: string[], synchronousCommit: "on" | "off") {
  const output = await runCommand("npx", ["tsx", "bench/workers/ledger-append.ts", String(EVENTS), String(WRITERS), ...extra], {
    env: {
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: String(WRITERS + 2),
      ATTEST_DEMO: "true",
      ATTEST_SIGNING_KEYS_DIR: path.join(context.cacheDir, "ledger-append-keys"),
      LOG_LEVEL: "warn",
      AUDIT_SYNCHRONOUS_COMMIT: synchronousCommit,
    },
    label: "ledger append worker",
  });
  const result = JSON.parse(output.slice(output.lastIndexOf("{"))) as { ms: number; checkpoints: number };
  return result;
}

/** The measurement for one commit mode (ADR 004); the floor is always the durable plain transaction. */
export function ledgerAppendMeasurement(synchronousCommit: "on" | "off"): Measurement {
  const suffix = synchronousCommit === "on" ? "" : "-async-commit";
  return {
    name: `ledger.append-8-writers${suffix}`,
    description:
      `${EVENTS.toLocaleString("en")} audited actions from ${WRITERS} concurrent writers in one app process, each its own transaction, ` +
      `checkpoints signed meanwhile; AUDIT_SYNCHRONOUS_COMMIT=${synchronousCommit}.`,
    runs: 3,
    throughput: { count: EVENTS, unit: "actions" },
    async measure(context) {
      return context.withScratchDatabase(async (url) => (await runWorker(context, url, [], synchronousCommit)).ms);
    },
    floor: {
      name: "plain.transactions-8-writers",
      description: "The same transactions with a second plain row instead of the ledger event (no sequence lock, no hashing, no tree), durable commits.",
      async measure(context) {
        return context.withScratchDatabase(async (url) => (await runWorker(context, url, ["--without-ledger"], "on")).ms);
      },
    },
  };
}

export default ledgerAppendMeasurement("on");
