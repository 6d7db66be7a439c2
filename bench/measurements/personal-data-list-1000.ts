import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateKeyEncryptionKeyFile } from "../../app/modules/customers/kek-files";
import { type BenchContext, type Measurement } from "../lib/measurement";
import { runCommand } from "../lib/processes";

// Issue 14 "Speed": a 1,000-row list with decrypted names within 1.2× of reading the same names as
// plain text. One worker process per run on a fresh scratch database (bench/workers/personal-data-list.ts)
// reports the median of 50 rounds, each reading the list every way; the measurement is the decrypted
// read within the cache's lifetime (ADR 020), the floor the plain one, and the notes give the cold read
// (both caches emptied before every read: every key unwrapped and every name decrypted).

// The floor is measured in the same worker run as each measured run, and handed over in order.
const plainMs: number[] = [];
const coldMs: number[] = [];

async function runWorker(context: BenchContext) {
  const kekDir = fs.mkdtempSync(path.join(os.tmpdir(), "attest-bench-kek-"));
  generateKeyEncryptionKeyFile(kekDir);
  try {
    return await context.withScratchDatabase(async (url) => {
      const output = await runCommand("npx", ["tsx", "bench/workers/personal-data-list.ts", "50"], {
        env: { DATABASE_URL: url, ATTEST_KEK_DIR: kekDir, ATTEST_KEK: "", LOG_LEVEL: "warn", NODE_ENV: "test" },
        label: "personal-data list worker",
      });
      return JSON.parse(output.slice(output.lastIndexOf("{\"decrypted\""), output.lastIndexOf("}") + 1)) as { decrypted: { p50: number }; cold: { p50: number }; plain: { p50: number } };
    });
  } finally {
    fs.rmSync(kekDir, { recursive: true, force: true });
  }
}

const personalDataList: Measurement = {
  name: "privacy.names-list-1000",
  description:
    "1,000 customers' names read through readPersonalData (one statement with each data key's state; names decrypted in the app, or from the instance's 60-second cache when read again): median of 50 reads in one process.",
  runs: 3,
  throughput: { count: 1000, unit: "rows" },
  async measure(context) {
    const result = await runWorker(context);
    plainMs.push(result.plain.p50);
    coldMs.push(result.cold.p50);
    return result.decrypted.p50;
  },
  notes() {
    const sorted = [...coldMs].sort((a, b) => a - b);
    return sorted.length ? `cold read (caches emptied first), median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms` : "";
  },
  floor: {
    name: "plain-names",
    description: "The read as before encryption at rest: the same customer rows and 1,000 names held in clear, through the same Prisma client and transaction (no key look-up, no decryption); same worker run.",
    async measure() {
      const ms = plainMs.shift();
      if (ms === undefined) throw new Error("the floor is measured with its run; none is left");
      return ms;
    },
  },
};

export default personalDataList;
