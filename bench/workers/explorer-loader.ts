// The decision explorer's loader work against the million-decision reference book, timed many times
// in one process, beside the same SQL sent by `pg` directly. Prints one JSON line:
//   {"loader":{"p50":…,"p95":…},"raw":{"p50":…,"p95":…},"rows":N}
//   tsx bench/workers/explorer-loader.ts <scenario> <iterations> <persona email>
// The loader's work is: validate the address (zod), compile the viewer's ability, read one page and the
// filter bar's choices (listDecisions; the choices are cached for a minute, so a warm loader reads
// only the page). The session lookup (one primary-key read) is left out. The cold cost of the choices
// is reported beside the result.
import pg from "pg";
import { DecisionListQuerySchema } from "../../app/modules/decisions/schema";
import { listDecisions } from "../../app/modules/decisions/decisions.server";
import { disconnectDatabase } from "../../app/utils/db.server";
import { benchActor, benchUser } from "../lib/bench-actor";
import { explorerScenarios, rawOptionsSql, rawPage, type ScenarioName } from "./explorer-scenarios";

const [scenarioArg, iterationsArg = "200", email = "compliance@attest.test"] = process.argv.slice(2);
const scenario = explorerScenarios[scenarioArg as ScenarioName];
if (!scenario) throw new Error(`unknown scenario ${scenarioArg}; one of ${Object.keys(explorerScenarios).join(", ")}`);
const iterations = Number(iterationsArg);

const user = await benchUser(email);

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const params = await scenario.params(pool, user.regions);

async function viaLoader() {
  const query = DecisionListQuerySchema.parse(params);
  return (await listDecisions(benchActor(user), query)).decisions.map((decision) => decision.id);
}

async function viaRawSql() {
  // LIMIT 51 tells whether a next page exists; the page itself shows 50.
  return (await rawPage(pool, params, user.regions)).slice(0, 50);
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timed(fn: () => Promise<string[]>, samples: number[]) {
  const started = process.hrtime.bigint();
  await fn();
  samples.push(Number(process.hrtime.bigint() - started) / 1e6);
}

const coldStarted = process.hrtime.bigint();
await rawOptionsSql(pool, user.regions);
const optionsColdMs = Number(process.hrtime.bigint() - coldStarted) / 1e6;

// Both sides must read the same page, or the ratio compares different work.
const [loaderIds, rawIds] = [await viaLoader(), await viaRawSql()];
if (loaderIds.join() !== rawIds.join()) throw new Error(`the loader and the raw SQL returned different pages (${loaderIds.length} vs ${rawIds.length} rows): they are not the same query`);

// Loader and raw requests alternate one by one (which goes first alternates too), so a burst of load
// on the shared machine hits both sides alike instead of skewing one side's tail.
for (let i = 0; i < 20; i++) {
  await viaLoader();
  await viaRawSql();
}
const loaderSamples: number[] = [];
const rawSamples: number[] = [];
for (let i = 0; i < iterations; i++) {
  if (i % 2 === 0) {
    await timed(viaLoader, loaderSamples);
    await timed(viaRawSql, rawSamples);
  } else {
    await timed(viaRawSql, rawSamples);
    await timed(viaLoader, loaderSamples);
  }
}
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
};
console.log(JSON.stringify({ loader: summary(loaderSamples), raw: summary(rawSamples), rows: loaderIds.length, optionsColdMs }));
await pool.end();
await disconnectDatabase();
