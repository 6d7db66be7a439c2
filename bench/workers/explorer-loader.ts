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
import { defineAbilityFor } from "../../app/modules/access/ability.server";
import type { Actor } from "../../app/modules/access/actor.server";
import { db, disconnectDatabase } from "../../app/utils/db.server";
import { explorerScenarios, rawOptionsSql, rawPage, type ScenarioName } from "./explorer-scenarios";

const [scenarioArg, iterationsArg = "200", email = "compliance@attest.test"] = process.argv.slice(2);
const scenario = explorerScenarios[scenarioArg as ScenarioName];
if (!scenario) throw new Error(`unknown scenario ${scenarioArg}; one of ${Object.keys(explorerScenarios).join(", ")}`);
const iterations = Number(iterationsArg);

const staff = await db.staffUser.findUniqueOrThrow({ where: { email }, include: { regions: true } });
const user = { id: staff.id, email: staff.email, displayName: staff.displayName, role: staff.role, regions: staff.regions.map((region) => region.regionCode), totpEnrolledAt: null };
const meta = { requestId: "bench", ipAddress: "127.0.0.1", userAgent: "bench" };
const actorFor = (): Actor => ({
  sessionId: "bench",
  user,
  ability: defineAbilityFor(user),
  meta,
  audit: { actorType: "staff", actorId: user.id, actorLabel: user.email, actorRole: user.role, requestId: null, ipAddress: null },
  regionFilter: user.regions,
});

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const params = await scenario.params(pool, user.regions);

async function viaLoader() {
  const query = DecisionListQuerySchema.parse(params);
  return (await listDecisions(actorFor(), query)).decisions.length;
}

async function viaRawSql() {
  const rows = await rawPage(pool, params, user.regions);
  // LIMIT 51 tells whether a next page exists; the page itself shows 50.
  return Math.min(rows, 50);
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function time(fn: () => Promise<number>) {
  let rows = 0;
  for (let i = 0; i < 20; i++) rows = await fn();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), rows };
}

const coldStarted = process.hrtime.bigint();
await rawOptionsSql(pool, user.regions);
const optionsColdMs = Number(process.hrtime.bigint() - coldStarted) / 1e6;

// Interleaved halves, so a burst of load on the shared machine hits both sides alike.
const loaderA = await time(viaLoader);
const rawA = await time(viaRawSql);
const loaderB = await time(viaLoader);
const rawB = await time(viaRawSql);
const mean = (a: { p50: number; p95: number }, b: { p50: number; p95: number }) => ({ p50: (a.p50 + b.p50) / 2, p95: (a.p95 + b.p95) / 2 });
if (loaderA.rows !== rawA.rows) throw new Error(`the loader returned ${loaderA.rows} rows but the raw SQL ${rawA.rows}: they are not the same query`);
console.log(JSON.stringify({ loader: mean(loaderA, loaderB), raw: mean(rawA, rawB), rows: loaderA.rows, optionsColdMs }));
await pool.end();
await disconnectDatabase();
