// A backtest against the million-decision reference book, the job's own path (issue 9): the period cut
// into the job's slices, each replayed and counted by one GROUPING SETS statement, then the sample of
// changed decisions and the summary — alternated with its floor, one SQL statement that applies the
// same rules to the same rows and counts actual × replayed. Prints one JSON line:
//   {"backtest":[ms…],"floor":[ms…],"decisions":N,"changed":N,"peakRssMb":N}
//   tsx bench/workers/ruleset-backtest.ts <all|90d> <runs>
import pg from "pg";
import { countSlice, mergeCells, sampleChanged, slicesOf, summariseBacktest } from "../../app/modules/rulesets/backtest.server";
import { ruleOutcomeSql } from "../../app/modules/rulesets/evaluator-sql";
import { RuleSetParametersSchema } from "../../app/modules/rulesets/schema";
import { db, disconnectDatabase } from "../../app/utils/db.server";

const [span = "all", runsArg = "3"] = process.argv.slice(2);
const runs = Number(runsArg);
const SLICES = 12; // as rulesets.jobs.server.ts

// The draft: the Swedish active version with its approve band tightened, applied to every region.
const active = await db.ruleSetVersion.findFirstOrThrow({ where: { regionCode: "SE", state: "active" }, select: { parameters: true } });
const base = RuleSetParametersSchema.parse(active.parameters);
const parameters = RuleSetParametersSchema.parse({ ...base, scoreBands: { ...base.scoreBands, approveAbove: Math.min(0.99, base.scoreBands.approveAbove + 0.02) } });
const regions = (await db.region.findMany({ select: { code: true } })).map((region) => region.code);
const [{ first, last }] = (await db.$queryRaw<{ first: Date; last: Date }[]>`SELECT min(decided_at) AS first, max(decided_at) AS last FROM decision`) as [{ first: Date; last: Date }];
const to = new Date(last.getTime() + 1);
const from = span === "90d" ? new Date(to.getTime() - 90 * 86_400_000) : first;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
let peakRss = process.memoryUsage().rss;
const sampleRss = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

async function backtest() {
  const cells = [];
  for (const slice of slicesOf(from, to, SLICES)) cells.push(...(await countSlice(db, parameters, regions, slice.from, slice.to)));
  const sample = await sampleChanged(db, parameters, regions, from, to);
  return summariseBacktest({ cells: mergeCells(cells), parametersHash: "bench", from, to, regions, sample, ranAt: new Date() });
}

async function floor() {
  await pool.query(
    `SELECT d.outcome, ${ruleOutcomeSql(parameters)} AS replayed, count(*), sum(d.amount) FROM decision d
      WHERE d.region_code = ANY($1::text[]) AND d.decided_at >= $2 AND d.decided_at < $3 GROUP BY 1, 2`,
    [regions, from, to],
  );
}

const timings = { backtest: [] as number[], floor: [] as number[] };
let result: Awaited<ReturnType<typeof backtest>> | undefined;
await backtest(); // warm the cache and the plans
await floor();
for (let run = 0; run < runs; run += 1) {
  let started = performance.now();
  result = await backtest();
  timings.backtest.push(performance.now() - started);
  started = performance.now();
  await floor();
  timings.floor.push(performance.now() - started);
}
clearInterval(sampleRss);
console.log(JSON.stringify({ ...timings, decisions: result?.decisions, changed: result?.changed, peakRssMb: Math.round(peakRss / 1048576) }));
await pool.end();
await disconnectDatabase();
