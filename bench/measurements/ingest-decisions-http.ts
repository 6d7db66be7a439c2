import crypto from "node:crypto";
import autocannon, { type Result as AutocannonResult } from "autocannon";
import pg from "pg";
import { ensureAppBuild, generateTestSigningKey, startAppServer } from "../../tests/support/app-server";
import { checkpointCadence, describeCadence, type CheckpointCadence } from "../lib/checkpoint-cadence";
import type { BenchContext, Measurement } from "../lib/measurement";
import { runCommand, runPsql } from "../lib/processes";

// Decisions per second through POST /api/v1/decisions (issue 4 §9; target ≥ 5,000/s with audit): the
// production build served by server.ts on a fresh database holding the demo staff and rule sets,
// NDJSON batches of 1,000 decisions sent by autocannon over 4 connections. Every batch is validated
// line by line, checked against earlier ingestions, written with its customers, reasons and queue
// reviews in one transaction, and recorded by one audit event (counts and SHA-256 of the body).
//
// Issue 10 asks that maintaining the dashboard rollups (ADR 011: triggers in the writing transaction)
// keep ≥ 90% of the throughput without them. So each run ingests twice, on two fresh databases one
// after the other (the order alternating between runs, so that a change of load falls on both alike):
// once as deployed, once with the rollup triggers of the decision table disabled — the floor.

const BATCH = 1_000;
const BATCHES = 40;
const CONNECTIONS = 4;
const regions = [
  { code: "SE", currency: "SEK" },
  { code: "DE", currency: "EUR" },
  { code: "UK", currency: "GBP" },
];
const reasons = ["CH01", "CH04", "AF01", "AF02", "EX01", "ID01", "RS01"];

function batchBody(run: string, batch: number) {
  const lines: string[] = [];
  for (let index = 0; index < BATCH; index++) {
    const n = batch * BATCH + index;
    const region = regions[n % regions.length]!;
    const score = ((n * 7919) % 1000) / 1000;
    const outcome = score >= 0.7 ? "approved" : score < 0.4 ? "declined" : "referred";
    lines.push(
      JSON.stringify({
        externalId: `BENCH-${run}-${n}`,
        // Roughly one customer in three comes back with a second application.
        customerReference: `BCUS-${run}-${region.code}-${Math.floor(n / 3)}`,
        region: region.code,
        kind: "credit",
        outcome,
        modelName: "credit-gbm",
        modelVersion: "4.2.0",
        score,
        amount: (50 + (n % 4000)).toFixed(2),
        currency: region.currency,
        decidedAt: new Date(Date.now() - (n % 86_400) * 1000).toISOString(),
        features: { age: 18 + (n % 60), orderAmount: 50 + (n % 4000), bureauScore: 300 + (n % 600), existingExposure: n % 9000, identityVerified: n % 10 !== 0 },
        reasonCodes: outcome === "approved" ? [] : [{ code: reasons[n % reasons.length]!, contribution: 0.6 }, { code: reasons[(n + 3) % reasons.length]!, contribution: 0.4 }],
      }),
    );
  }
  return `${lines.join("\n")}\n`;
}

async function createToken(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const secret = `att_bench_${crypto.randomBytes(24).toString("base64url")}`;
    const admin = await client.query<{ id: string }>("SELECT id FROM staff_user WHERE role = 'admin' ORDER BY email LIMIT 1");
    await client.query(
      "INSERT INTO api_token (id, name, token_hash, prefix, regions, scopes, created_by_id) VALUES (gen_random_uuid(), 'bench-engine', $1, 'bench', $2, $3, $4)",
      [crypto.createHash("sha256").update(secret).digest("hex"), regions.map((region) => region.code), ["decisions:write"], admin.rows[0]!.id],
    );
    return secret;
  } finally {
    await client.end();
  }
}

async function countIngestEvents(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ events: string }>("SELECT count(*) AS events FROM audit_event WHERE action = 'ingest.decisions_accepted'");
    return Number(rows[0]!.events);
  } finally {
    await client.end();
  }
}

// Without rollups (the floor): the triggers through which a decision insert or review-state update
// reaches the rollups are disabled, and the facts ingestion counts in at the end of its batch
// (countDecisionsIntoRollups) are dropped before they are written, so neither a fact nor a rollup cell is
// touched. The floor still derives the batch's facts (one statement) and passes each through a row
// trigger that drops it: a little of the upkeep stays in the floor, which flatters neither side much.
const withoutRollupsSql = `
  ALTER TABLE decision DISABLE TRIGGER decision_rollups_insert;
  ALTER TABLE decision DISABLE TRIGGER decision_rollups_update;
  CREATE FUNCTION bench_drop_fact() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
  CREATE TRIGGER bench_drop_fact BEFORE INSERT ON decision_fact FOR EACH ROW EXECUTE FUNCTION bench_drop_fact();`;

// Issue 12: the server's checkpoint signer keeps its cadence (≤ 1 s at p99) under this ingestion load
// (the runs with rollups, as the app runs).
const cadences: CheckpointCadence[] = [];

async function measureIngestion(context: BenchContext, options: { withRollups: boolean }) {
  return context.withScratchDatabase(async (url) => {
    await runCommand("npx", ["tsx", "prisma/seed/index.ts", "--decisions", "1000"], { env: { DATABASE_URL: url }, label: "seeding staff and rule sets" });
    if (!options.withRollups) {
      await runPsql(url, withoutRollupsSql, "disabling the rollup upkeep");
    }
    const token = await createToken(url);
    const run = crypto.randomBytes(4).toString("hex");
    const bodies = Array.from({ length: BATCHES }, (_, batch) => batchBody(run, batch));
    // The seed writes the book's history into the ledger, ingestion events included: count only ours.
    const eventsBefore = await countIngestEvents(url);
    const buildRoot = ensureAppBuild(context.log);
    const server = await startAppServer(url, { name: "bench-ingest", buildRoot, signingKey: await generateTestSigningKey(), env: { DATABASE_POOL_SIZE: "8" } });
    try {
      let next = 0;
      const startedAtDate = new Date();
      const startedAt = process.hrtime.bigint();
      // Timed to the last response: autocannon itself notices that it is done only on its one-second
      // tick, which would round every run up to a whole second.
      let lastResponseAt = startedAt;
      const result = await new Promise<AutocannonResult>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `${server.origin}/api/v1/decisions`,
            connections: CONNECTIONS,
            amount: BATCHES,
            timeout: 60,
            method: "POST",
            headers: { authorization: `Bearer ${token}`, "content-type": "application/x-ndjson" },
            requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) }],
          },
          (error, finished) => (error ? reject(error) : resolve(finished)),
        );
        instance.on("response", () => {
          lastResponseAt = process.hrtime.bigint();
        });
      });
      const ms = Number(lastResponseAt - startedAt) / 1e6;
      if (options.withRollups) cadences.push(await checkpointCadence(url, { from: startedAtDate, to: new Date() }));
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        throw new Error(`ingestion answered ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts of ${BATCHES} batches (see ${server.logFile})`);
      }
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ decisions: string; events: string; all: string; rolled: string }>(
          `SELECT (SELECT count(*) FROM decision WHERE external_id LIKE $1) AS decisions,
                  (SELECT count(*) FROM audit_event WHERE action = 'ingest.decisions_accepted') AS events,
                  (SELECT count(*) FROM decision) AS "all",
                  (SELECT coalesce(sum(decisions), 0) FROM rollup_decision_daily) AS rolled`,
          [`BENCH-${run}-%`],
        );
        const { decisions, events, all, rolled } = rows[0]!;
        if (Number(decisions) !== BATCH * BATCHES || Number(events) - eventsBefore !== BATCHES) {
          throw new Error(`expected ${BATCH * BATCHES} decisions and ${BATCHES} audit events, found ${decisions} and ${Number(events) - eventsBefore}`);
        }
        if (options.withRollups && rolled !== all) throw new Error(`the rollups count ${rolled} of the ${all} decisions in the database`);
      } finally {
        await client.end();
      }
      return ms;
    } finally {
      await server.stop();
    }
  });
}

const withoutRollups: number[] = [];
const withRollups: number[] = [];
let floorIndex = 0;

const ingestion: Measurement = {
  name: "ingest.decisions-http",
  description:
    `${(BATCH * BATCHES).toLocaleString("en")} decisions as ${BATCHES} NDJSON batches of ${BATCH.toLocaleString("en")} through POST /api/v1/decisions ` +
    `(production build, ${CONNECTIONS} connections), each batch validated, written all or nothing with its customers, reasons and reviews, ` +
    "audited by one event, and counted into the dashboard rollups in the same transaction.",
  runs: 3,
  throughput: { count: BATCH * BATCHES, unit: "decisions" },
  async measure(context) {
    const run = withRollups.length;
    // Alternate which variant goes first, so that neither always meets the warmer (or busier) machine.
    if (run % 2 === 1) withoutRollups.push(await measureIngestion(context, { withRollups: false }));
    withRollups.push(await measureIngestion(context, { withRollups: true }));
    if (run % 2 === 0) withoutRollups.push(await measureIngestion(context, { withRollups: false }));
    return withRollups[run]!;
  },
  floor: {
    name: "ingest.without-rollups",
    description: "The same ingestion on a fresh database with the decision table's rollup triggers disabled, run back to back with each measured run.",
    async measure() {
      return withoutRollups[floorIndex++ % withoutRollups.length]!;
    },
  },
  notes() {
    if (withRollups.length === 0) return "";
    const share = (index: number) => `${((withoutRollups[index]! / withRollups[index]!) * 100).toFixed(0)}%`;
    return `throughput with rollups as a share of without, run by run: ${withRollups.map((_, index) => share(index)).join(", ")} (target ≥ 90%); ${describeCadence(cadences)}`;
  },
};

export default ingestion;
