import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateKeyEncryptionKeyFile } from "../../app/modules/customers/kek-files";
import { type BenchContext, type Measurement } from "../lib/measurement";
import { runCommand } from "../lib/processes";

// Issue 14 "Speed": ingestion throughput with encryption of new customers ≥ 90% of what it was before.
// One worker process per run on a fresh scratch database with the demo staff and rule sets
// (bench/workers/ingest-customers.ts): batches of 1,000 decisions, each for a new customer, through
// ingestDecisions — with the customers' data keys created and wrapped in the batch's transaction (the
// measurement), alternated with the same batches without them (the floor, through a
// module hook in the worker; nothing in the product can switch keys off). Median batch time each way.

const ROUNDS = 8;
const BATCH = 1000;
const withoutKeysMs: number[] = [];
const creatingKeysMs: number[] = [];

async function runWorker(context: BenchContext) {
  const kekDir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-bench-kek-"));
  generateKeyEncryptionKeyFile(kekDir);
  const env = { ATTEST_KEK_DIR: kekDir, ATTEST_KEK: "", LOG_LEVEL: "warn", NODE_ENV: "test" };
  try {
    return await context.withScratchDatabase(async (url) => {
      await runCommand("npx", ["tsx", "prisma/seed/index.ts", "--decisions", "1000"], { env: { ...env, DATABASE_URL: url }, label: "seeding staff and rule sets" });
      const output = await runCommand(
        "npx",
        ["tsx", "--import", "./bench/workers/floor/register-without-subject-keys.mjs", "bench/workers/ingest-customers.ts", String(context.isQuick ? 2 : ROUNDS)],
        { env: { ...env, DATABASE_URL: url }, label: "ingestion worker" },
      );
      return JSON.parse(output.slice(output.lastIndexOf("{\"withKeys\""), output.lastIndexOf("}") + 1)) as { withKeys: { p50: number }; withoutKeys: { p50: number }; creatingKeys: { p50: number } };
    });
  } finally {
    fs.rmSync(kekDir, { recursive: true, force: true });
  }
}

const ingestCustomers: Measurement = {
  name: "privacy.ingest-new-customers",
  description:
    "A batch of 1,000 decisions for 1,000 new customers through ingestDecisions, each customer's data key created and wrapped under the KEK in the batch's transaction: median batch of 8 in one process.",
  runs: 3,
  throughput: { count: BATCH, unit: "decisions" },
  async measure(context) {
    const result = await runWorker(context);
    withoutKeysMs.push(result.withoutKeys.p50);
    creatingKeysMs.push(result.creatingKeys.p50);
    return result.withKeys.p50;
  },
  floor: {
    name: "ingest-without-keys",
    description: "The same batches, alternated with the measured ones in the same process, with no subject keys created (ingestion before encryption at rest).",
    async measure() {
      const ms = withoutKeysMs.shift();
      if (ms === undefined) throw new Error("the floor is measured with its run; none is left");
      return ms;
    },
  },
  notes() {
    const creating = [...creatingKeysMs].sort((a, b) => a - b)[Math.floor(creatingKeysMs.length / 2)];
    return `target: throughput ≥ 90% of the floor's (ratio ≤ 1.11×); creating 1,000 customers' keys, median ${creating?.toFixed(1) ?? "?"} ms of a batch`;
  },
};

export default ingestCustomers;
