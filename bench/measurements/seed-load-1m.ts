import fs from "node:fs";
import path from "node:path";
import { seedArguments } from "../lib/databases";
import { elapsedSince, type BenchContext, type Measurement } from "../lib/measurement";
import { runCommand, runPsql } from "../lib/processes";
import { referenceBook } from "../lib/reference-book";

// Loading a million-decision book into a fresh database with `npm run seed`, against the floor of
// what PostgreSQL needs just to take in the decision rows: psql's \copy of the same rows, already
// generated, into the same migrated table (indexes and foreign keys in place).

// The decision table's parents, loaded untimed before the floor's \copy so its foreign keys hold.
const parentTables = ["region", "staff_user", "staff_region", "rule_set", "rule_set_version", "customer"];

function exportDir(context: BenchContext) {
  return path.join(context.cacheDir, "seed-load-1m");
}

/** Exports the reference book's decisions and their parents to CSV once per reference book. */
async function exportReferenceRows(context: BenchContext) {
  const referenceUrl = await context.referenceDatabase();
  const dir = exportDir(context);
  const markerFile = path.join(dir, "book.json");
  const marker = JSON.stringify(referenceBook);
  if (fs.existsSync(markerFile) && fs.readFileSync(markerFile, "utf8") === marker) return;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  context.log("exporting the reference decisions to CSV for the COPY floor");
  for (const table of [...parentTables, "decision"]) {
    await runPsql(referenceUrl, `\\copy "${table}" TO '${path.join(dir, `${table}.csv`)}' (FORMAT csv)`, `exporting ${table}`);
  }
  fs.writeFileSync(markerFile, marker);
}

const seedLoad: Measurement = {
  name: "seed.load-1m",
  description:
    "`npm run seed -- --decisions 1000000` into a fresh migrated PostgreSQL database: generation, COPY of " +
    "every table (~2.8 million rows), index and constraint rebuild, ANALYZE. Wall clock of the CLI, Node start-up included.",
  runs: 3,

  async setup(context) {
    await exportReferenceRows(context);
  },

  async measure(context) {
    return context.withScratchDatabase(async (url) => {
      const startedAt = process.hrtime.bigint();
      await runCommand("npx", ["tsx", "prisma/seed/index.ts", ...seedArguments(referenceBook)], {
        env: { DATABASE_URL: url },
        label: "npm run seed",
      });
      return elapsedSince(startedAt);
    });
  },

  floor: {
    name: "copy.decisions-1m",
    description:
      "psql `\\copy decision FROM` the same 1,000,000 decision rows, pre-generated as CSV, into the migrated " +
      "table with its indexes and foreign keys (parents loaded beforehand, untimed).",
    async measure(context) {
      const dir = exportDir(context);
      return context.withScratchDatabase(async (url) => {
        for (const table of parentTables) {
          await runPsql(url, `\\copy "${table}" FROM '${path.join(dir, `${table}.csv`)}' (FORMAT csv)`, `loading ${table}`);
        }
        const startedAt = process.hrtime.bigint();
        await runPsql(url, `\\copy decision FROM '${path.join(dir, "decision.csv")}' (FORMAT csv)`, "COPY of decisions");
        return elapsedSince(startedAt);
      });
    },
  },
};

export default seedLoad;
