import path from "node:path";
import { type BenchContext, type Measurement } from "../lib/measurement";
import { describeCadence, type CheckpointCadence } from "../lib/checkpoint-cadence";
import { runCommand } from "../lib/processes";

// Audited actions per second with 8 concurrent writers (target ≥ 2,000/s on this 2-core machine):
// each action is one Prisma interactive transaction with a business row and its ledger event (staged
// by one statement, numbered, hashed and added to the tree at COMMIT under the head lock), while the
// checkpoint worker signs at least once a second. The floor is the same transactions with a second
// plain row instead of the ledger event, committed the same way (durable, or synchronous_commit=off).
// The app process's CPU per action is noted: on two shared cores it, not the ledger, sets the pace.

const EVENTS = 20_000;
const WRITERS = 8;

/** The floor commits like the ledger transactions it stands for: asynchronously for the whole connection. */
function withSynchronousCommit(url: string, synchronousCommit: "on" | "off") {
  if (synchronousCommit === "on") return url;
  const parsed = new URL(url);
  parsed.searchParams.set("options", "-c synchronous_commit=off");
  return parsed.toString();
}

async function runWorker(context: BenchContext, url: string, extra: string[], synchronousCommit: "on" | "off") {
  const output = await runCommand("npx", ["tsx", "bench/workers/ledger-append.ts", String(EVENTS), String(WRITERS), ...extra], {
    env: {
      DATABASE_URL: extra.includes("--without-ledger") ? withSynchronousCommit(url, synchronousCommit) : url,
      DATABASE_POOL_SIZE: String(WRITERS + 2),
      ATTEST_DEMO: "true",
      ATTEST_SIGNING_KEYS_DIR: path.join(context.cacheDir, "ledger-append-keys"),
      LOG_LEVEL: "warn",
      AUDIT_SYNCHRONOUS_COMMIT: synchronousCommit,
    },
    label: "ledger append worker",
  });
  // The worker prints its result as the last line of JSON.
  const result = JSON.parse(output.trim().split("\n").filter((line) => line.startsWith(`{"ms":`)).at(-1) ?? "null") as { ms: number; checkpoints: number; cpuMicrosPerAction: number; cadence: CheckpointCadence | null };
  return result;
}

/**
 * The measurement for one commit mode (ADR 004); its floor commits the same way. With `sql` the writers
 * send the same statements over plain pg connections rather than Prisma: the database side's ceiling.
 */
export function ledgerAppendMeasurement(synchronousCommit: "on" | "off", client: "prisma" | "sql" = "prisma"): Measurement {
  const suffix = `${client === "sql" ? "-sql" : ""}${synchronousCommit === "on" ? "" : "-async-commit"}`;
  const mode = client === "sql" ? ["--sql"] : [];
  const cpu = { ledger: [] as number[], floor: [] as number[] };
  const cadence: CheckpointCadence[] = [];
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return {
    name: `ledger.append-8-writers${suffix}`,
    description:
      `${EVENTS.toLocaleString("en")} audited actions from ${WRITERS} concurrent writers in one app process, each its own transaction ` +
      `(${client === "sql" ? "the same four statements over plain pg connections, no Prisma" : "a Prisma interactive transaction, as in the app"}), ` +
      `checkpoints signed meanwhile; AUDIT_SYNCHRONOUS_COMMIT=${synchronousCommit}.`,
    runs: 3,
    throughput: { count: EVENTS, unit: "actions" },
    async measure(context) {
      const result = await context.withScratchDatabase((url) => runWorker(context, url, mode, synchronousCommit));
      cpu.ledger.push(result.cpuMicrosPerAction);
      if (result.cadence) cadence.push(result.cadence);
      return result.ms;
    },
    notes: () =>
      cpu.ledger.length
        ? `app process CPU per action (median) ${median(cpu.ledger).toFixed(0)} µs with the ledger, ${median(cpu.floor).toFixed(0)} µs in the floor` +
          (cadence.length ? `; ${describeCadence(cadence)}` : "")
        : "",
    floor: {
      name: `plain.transactions-8-writers${suffix}`,
      description: `The same transactions with a second plain row instead of the ledger event (no sequence lock, no hashing, no tree), ${synchronousCommit === "on" ? "durable commits" : "synchronous_commit=off"}.`,
      async measure(context) {
        const result = await context.withScratchDatabase((url) => runWorker(context, url, ["--without-ledger", ...mode], synchronousCommit));
        cpu.floor.push(result.cpuMicrosPerAction);
        return result.ms;
      },
    },
  };
}

export default ledgerAppendMeasurement("on");
