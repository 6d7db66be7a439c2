import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateKeyEncryptionKeyFile } from "../../app/modules/customers/kek-files";
import { type BenchContext, type Measurement } from "../lib/measurement";
import { runCommand } from "../lib/processes";

// Issue 14 "Speed": the DPO's customer page within 1.2× of the same page with plain-text personal data.
// One worker process per run on a fresh scratch database seeded with the demo book
// (bench/workers/customer-page.ts): getCustomer — the page's loader, audited read included — for the
// customer with the most decisions, against the same loader for their twin whose personal data is
// stored in plain text (the floor); median of 50 rounds alternating the two, plus a cold read (both
// caches emptied first) reported in the notes.

const ROUNDS = 50;
const plainMs: number[] = [];
const coldMs: number[] = [];

async function runWorker(context: BenchContext) {
  const kekDir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-bench-kek-"));
  generateKeyEncryptionKeyFile(kekDir);
  const env = { ATTEST_KEK_DIR: kekDir, ATTEST_KEK: "", LOG_LEVEL: "error", NODE_ENV: "test" };
  try {
    return await context.withScratchDatabase(async (url) => {
      await runCommand("npx", ["tsx", "prisma/seed/index.ts", "--decisions", "2000"], { env: { ...env, DATABASE_URL: url }, label: "seeding the demo book" });
      const output = await runCommand("npx", ["tsx", "bench/workers/customer-page.ts", String(context.isQuick ? 10 : ROUNDS)], {
        env: { ...env, DATABASE_URL: url },
        label: "customer page worker",
      });
      return JSON.parse(output.slice(output.lastIndexOf("{\"decrypted\""), output.lastIndexOf("}") + 1)) as { decrypted: { p50: number }; cold: { p50: number }; plain: { p50: number } };
    });
  } finally {
    fs.rmSync(kekDir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const customerPage: Measurement = {
  name: "privacy.customer-page",
  description:
    "The DPO's customer page (getCustomer: the customer, their personal data decrypted through the audited read, recent decisions and requests), read again within the cache's lifetime: median of 50 in one process.",
  runs: 3,
  async measure(context) {
    const result = await runWorker(context);
    plainMs.push(result.plain.p50);
    coldMs.push(result.cold.p50);
    return result.decrypted.p50;
  },
  floor: {
    name: "plain-text-twin",
    description: "The same loader, alternated in the same process, for a twin customer (same region, copies of the same decisions) whose personal data is stored in plain text.",
    async measure() {
      const ms = plainMs.shift();
      if (ms === undefined) throw new Error("the floor is measured with its run; none is left");
      return ms;
    },
  },
  notes() {
    const cold = median(coldMs);
    return cold === undefined ? "" : `cold read (caches emptied first), median ${cold.toFixed(1)} ms`;
  },
};

export default customerPage;
