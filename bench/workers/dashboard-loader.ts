// A dashboard's loader against the million-decision reference book, timed many times in one process,
// alternated with the raw-table GROUP BY the dashboard's rollups replace (its floor). Prints one JSON
// line: {"loader":{"p50":…,"p95":…},"raw":{"p50":…,"p95":…}}
//   tsx bench/workers/dashboard-loader.ts <risk|fraud|model|fairness|operations> <iterations> <persona email>
import pg from "pg";
import { loadFairnessDashboard } from "../../app/modules/dashboards/fairness.server";
import { loadFraudDashboard } from "../../app/modules/dashboards/fraud.server";
import { loadModelDashboard } from "../../app/modules/dashboards/model.server";
import { loadOperationsDashboard } from "../../app/modules/dashboards/operations.server";
import { loadRiskDashboard } from "../../app/modules/dashboards/risk.server";
import { DashboardQuerySchema, resolvePeriod } from "../../app/modules/dashboards/schema";
import { db, disconnectDatabase } from "../../app/utils/db.server";
import { benchActor, benchUser } from "../lib/bench-actor";

const [dashboard = "risk", iterationsArg = "100", email = "compliance@attest.test"] = process.argv.slice(2);
const iterations = Number(iterationsArg);

const user = await benchUser(email);
const actor = benchActor(user);

// The book's last month: the reference book ends at its anchor (bench/lib/reference-book.ts).
const [{ last }] = (await db.$queryRaw<{ last: Date }[]>`SELECT max(decided_at) AS last FROM decision`) as [{ last: Date }];
const now = new Date(last.getTime());
const query = DashboardQuerySchema.parse({});
const period = resolvePeriod(query, now);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4 });
const window = [period.fromDate, period.toExclusive, user.regions];

const loaders: Record<string, () => Promise<unknown>> = {
  risk: () => loadRiskDashboard(actor, query, now),
  fraud: () => loadFraudDashboard(actor, query, now),
  model: () => loadModelDashboard(actor, query, now),
  fairness: () => loadFairnessDashboard(actor, query, now),
  operations: () => loadOperationsDashboard(actor, query, now),
};
// The raw-table GROUP BY each dashboard's main chart would need without rollups.
const raw: Record<string, () => Promise<unknown>> = {
  risk: () =>
    pool.query(
      `SELECT to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM'), outcome, count(*) FROM decision
        WHERE decided_at >= $1 AND decided_at < $2 AND region_code = ANY($3) AND kind = 'credit' GROUP BY 1, 2`,
      window,
    ),
  fraud: () =>
    pool.query(
      `SELECT to_char(d.decided_at AT TIME ZONE 'UTC', 'YYYY-MM'), d.region_code, count(*), count(*) FILTER (WHERE d.outcome = 'fraud_hold'),
              count(*) FILTER (WHERE f.decision_id IS NOT NULL)
         FROM decision d LEFT JOIN (SELECT DISTINCT decision_id FROM fraud_outcome WHERE outcome = 'confirmed_fraud') f ON f.decision_id = d.id
        WHERE d.decided_at >= $1 AND d.decided_at < $2 AND d.region_code = ANY($3) GROUP BY 1, 2`,
      window,
    ),
  model: () =>
    pool.query(
      `SELECT model_name, model_version, to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM'), LEAST(99, floor(score * 100)), count(*) FROM decision
        WHERE region_code = ANY($1) GROUP BY 1, 2, 3, 4`,
      [user.regions],
    ),
  fairness: () =>
    pool.query(
      `SELECT rollup_age_band(features), outcome, count(*) FROM decision
        WHERE decided_at >= $1 AND decided_at < $2 AND region_code = ANY($3) AND kind = 'credit' GROUP BY 1, 2`,
      window,
    ),
  operations: () =>
    pool.query(
      `SELECT to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM'), review_state, count(*) FROM decision
        WHERE decided_at >= $1 AND decided_at < $2 AND region_code = ANY($3) AND review_state IN ('upheld', 'overturned') GROUP BY 1, 2`,
      window,
    ),
};
const viaLoader = loaders[dashboard];
const viaRaw = raw[dashboard];
if (!viaLoader || !viaRaw) throw new Error(`unknown dashboard ${dashboard}; one of ${Object.keys(loaders).join(", ")}`);

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
async function timed(fn: () => Promise<unknown>, samples: number[]) {
  const started = process.hrtime.bigint();
  await fn();
  samples.push(Number(process.hrtime.bigint() - started) / 1e6);
}
for (let i = 0; i < 5; i++) {
  await viaLoader();
  await viaRaw();
}
const loaderSamples: number[] = [];
const rawSamples: number[] = [];
// The raw GROUP BY costs ten times a loader call, so it is sampled every RAW_EVERY-th call only (still
// interleaved, alternately before and after the loader call, so both see the same load).
const RAW_EVERY = 4;
for (let i = 0; i < iterations; i++) {
  const withRaw = i % RAW_EVERY === 0;
  const rawFirst = withRaw && (i / RAW_EVERY) % 2 === 0;
  if (rawFirst) await timed(viaRaw, rawSamples);
  await timed(viaLoader, loaderSamples);
  if (withRaw && !rawFirst) await timed(viaRaw, rawSamples);
}
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
};
console.log(JSON.stringify({ loader: summary(loaderSamples), raw: summary(rawSamples) }));
await pool.end();
await disconnectDatabase();
process.exit(0);
