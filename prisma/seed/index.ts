// The synthetic-data generator (DESIGN.md §3): a deterministic, realistic BNPL book for demos, tests
// of scale and benchmarks. See docs/seed-data.md.
//
//   npm run seed                                      20,000 decisions into DATABASE_URL or the embedded database
//   npm run seed -- --decisions 1000000 --reset       a million decisions, replacing the existing book
//   npm run seed -- --seed 7 --now 2025-06-30         another book, anchored at the end of that day
//
// Same --seed, --now and --decisions → the same rows, ids included (password hashes aside: argon2
// salts are random by design).
import { parseArgs } from "node:util";
import pg from "pg";
import { startEmbeddedDatabase } from "~/utils/embedded-db.server";
import { parseEnv } from "~/utils/env.server";
import { issueDemoApiToken, printDemoToken } from "./demo-token";
import { seedLedgerHistory } from "./ledger-history";
import { seedDatabase, SeedRefusedError } from "./seed-database";
import { seedTableOrder } from "./tables";

const usage = `usage: npm run seed -- [--decisions N] [--seed S] [--now YYYY-MM-DD|ISO time] [--reset | --if-empty]

  --decisions N   decisions to generate (default 20000)
  --seed S        integer seed of the generator (default 1)
  --now T         anchor: the book ends here (default: start of the current UTC day)
  --reset         empty the domain tables first (staff accounts and the audit ledger are kept)
  --if-empty      do nothing when the database already holds decisions (npm run demo)`;

function startOfUtcDay(date: Date) {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function readArguments(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        decisions: { type: "string", default: "20000" },
        seed: { type: "string", default: "1" },
        now: { type: "string" },
        reset: { type: "boolean", default: false },
        "if-empty": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new SeedRefusedError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
  }
}

function parseOptions(argv: string[]) {
  const values = readArguments(argv);
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const decisions = Number(values.decisions.replace(/_/g, ""));
  if (!Number.isInteger(decisions) || decisions < 1 || decisions > 50_000_000) {
    throw new SeedRefusedError(`--decisions must be a whole number between 1 and 50,000,000 (got ${values.decisions})`);
  }
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new SeedRefusedError(`--seed must be a whole number between 0 and 4294967295 (got ${values.seed})`);
  }
  const now = values.now ? new Date(values.now) : startOfUtcDay(new Date());
  if (Number.isNaN(now.getTime())) throw new SeedRefusedError(`--now must be a date such as 2025-06-30 (got ${values.now})`);
  if (values.reset && values["if-empty"]) throw new SeedRefusedError("--reset and --if-empty exclude each other");
  return { decisions, seed, now, reset: values.reset, isOnlyIfEmpty: values["if-empty"] };
}

function formatCount(value: number) {
  return value.toLocaleString("en");
}

async function main() {
  const startedAt = Date.now();
  const options = parseOptions(process.argv.slice(2));
  const env = parseEnv(process.env);
  const isDemo = env.ATTEST_DEMO ?? !env.DATABASE_URL;
  const embedded = env.DATABASE_URL
    ? null
    : await startEmbeddedDatabase({ dataDir: env.EMBEDDED_DB_DIR, port: env.EMBEDDED_DB_PORT });
  const target = env.DATABASE_URL ? "PostgreSQL (DATABASE_URL)" : `embedded PGlite (${env.EMBEDDED_DB_DIR})`;
  const client = new pg.Client({ connectionString: env.DATABASE_URL ?? embedded!.url });
  const log = (message: string) => console.log(`seed: ${message}`);

  try {
    await client.connect();
    if (options.isOnlyIfEmpty) {
      const { rows: existing } = await client.query<{ has_data: boolean }>("SELECT EXISTS (SELECT 1 FROM decision) AS has_data");
      if (existing[0]?.has_data) {
        log(`${target} already holds a book of decisions; nothing to do (--reset replaces it)`);
        // Demo mode only: a working token for the ingestion API on every start of the demo.
        if (isDemo) printDemoToken(await issueDemoApiToken(client));
        return;
      }
    }
    log(
      `${formatCount(options.decisions)} decisions, seed ${options.seed}, ending ${options.now.toISOString()}, into ${target}`,
    );
    const { isOnlyIfEmpty: _isOnlyIfEmpty, ...seedOptions } = options;
    const result = await seedDatabase(client, { ...seedOptions, isCopySupported: embedded === null, log });
    // The book's history in the audit ledger, through the app's append path (issue 11).
    await seedLedgerHistory(client, log);
    await client.query(`ANALYZE ${seedTableOrder.map((table) => `"${table}"`).join(", ")}`);
    const summaryTables = ["region", "staff_user", "staff_region", ...seedTableOrder, "audit_event"];
    const { rows } = await client.query<{ table_name: string; row_count: string }>(
      summaryTables
        .map((table, index) => `SELECT ${index} AS position, '${table}' AS table_name, count(*) AS row_count FROM "${table}"`)
        .join(" UNION ALL ") + " ORDER BY position",
    );
    const seconds = (Date.now() - startedAt) / 1000;
    printSummary({ ...result, rows, seconds, decisions: options.decisions });
    if (isDemo) printDemoToken(await issueDemoApiToken(client));
  } finally {
    await client.end().catch(() => {});
    await embedded?.stop();
  }
}

function printSummary(summary: {
  rows: { table_name: string; row_count: string }[];
  seconds: number;
  decisions: number;
  loadMethod: string;
  rebuiltIndexes: number;
  statistics: Awaited<ReturnType<typeof seedDatabase>>["statistics"];
}) {
  const { statistics } = summary;
  const width = Math.max(...summary.rows.map((row) => row.table_name.length));
  const lines = summary.rows.map((row) => `  ${row.table_name.padEnd(width)}  ${formatCount(Number(row.row_count)).padStart(12)}`);
  const byKind = (kind: string) => {
    const outcomes = Object.entries(statistics.decisionsByKindAndOutcome).filter(([key]) => key.startsWith(`${kind}.`));
    const total = outcomes.reduce((sum, [, count]) => sum + count, 0);
    return `${kind} ${formatCount(total)}: ${outcomes
      .sort((a, b) => b[1] - a[1])
      .map(([key, count]) => `${key.slice(kind.length + 1)} ${((100 * count) / total).toFixed(1)}%`)
      .join(", ")}`;
  };
  const reviews = Object.entries(statistics.reviewsByState).map(([state, count]) => `${state} ${formatCount(count)}`);
  const requests = Object.entries(statistics.privacyRequestsByState).map(([state, count]) => `${state} ${count}`);
  console.log(
    [
      "",
      `Seeded in ${summary.seconds.toFixed(1)} s (${formatCount(Math.round(summary.decisions / summary.seconds))} decisions/s, ${summary.loadMethod}${summary.rebuiltIndexes ? `, ${summary.rebuiltIndexes} indexes and constraints rebuilt after the load` : ""})`,
      "",
      "Rows per table",
      ...lines,
      "",
      "Decisions",
      `  ${byKind("credit")}`,
      `  ${byKind("limit")}`,
      `  ${byKind("fraud")}`,
      `  confirmed fraud: ${formatCount(statistics.confirmedFraudDecisions)} decisions (${((100 * statistics.confirmedFraudDecisions) / summary.decisions).toFixed(2)}%)`,
      `Reviews: ${reviews.join(", ")}`,
      `Privacy requests: ${requests.join(", ")}; ${statistics.erasedCustomers} customers erased`,
      `Demo staff: password "attest-demo" — see prisma/seed/demo-staff.ts`,
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  if (error instanceof SeedRefusedError) {
    console.error(`seed: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
