import crypto from "node:crypto";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Actor } from "~/modules/access/actor.server";
import { discrimination, fairnessByGroup, populationStabilityIndex, rate } from "~/modules/dashboards/metrics";
import { loadFairnessDashboard } from "~/modules/dashboards/fairness.server";
import { loadFraudDashboard } from "~/modules/dashboards/fraud.server";
import { loadModelDashboard } from "~/modules/dashboards/model.server";
import { loadOperationsDashboard } from "~/modules/dashboards/operations.server";
import { openReviewStatuses } from "~/modules/decisions/schema";
import { openPrivacyRequestStates } from "~/modules/privacy/schema";
import { loadRiskDashboard } from "~/modules/dashboards/risk.server";
import { DashboardQuerySchema } from "~/modules/dashboards/schema";
import { rebuildRollups } from "~/modules/dashboards/rollups.server";
import { db } from "~/utils/db.server";
import { actorFor } from "./helpers/actors";
import { removeTestDecisions } from "./helpers/decisions";

// Dashboard rollups (ADR 011) equal the same aggregates computed directly from the raw tables, after any
// mix of ingestion, late repayment and fraud outcomes and review overturns; and the dashboards' figures
// equal the metric recomputed from raw rows. The raw queries below restate each definition of
// docs/metrics.md on decision, repayment_outcome and fraud_outcome without using decision_fact.

const run = crypto.randomBytes(3).toString("hex");
const prefix = `ROLL-${run}-`;
let customerIds: Record<string, string> = {};

const RAW = `
  WITH r AS (
    SELECT decision_id, count(*) AS n,
           min(observed_at) FILTER (WHERE status IN ('late_30', 'default_90')) AS f30,
           min(observed_at) FILTER (WHERE status = 'default_90') AS f90,
           (array_agg(outstanding_amount ORDER BY observed_at DESC, id DESC))[1] AS latest
      FROM repayment_outcome GROUP BY 1),
  f AS (
    SELECT decision_id, bool_or(outcome = 'confirmed_fraud') AS confirmed, bool_or(outcome = 'cleared') AS cleared,
           count(*) FILTER (WHERE outcome = 'chargeback') AS chargebacks, sum(loss_amount) AS loss
      FROM fraud_outcome GROUP BY 1)
  SELECT d.*, (d.decided_at AT TIME ZONE 'UTC')::date AS day,
         date_trunc('month', d.decided_at AT TIME ZONE 'UTC')::date AS month,
         d.kind <> 'fraud' AND (d.outcome = 'approved' OR d.review_state = 'overturned') AS booked,
         coalesce(r.n, 0) AS n, r.f30, r.f90, r.latest,
         CASE WHEN f.confirmed THEN 'confirmed' WHEN f.cleared THEN 'cleared' ELSE 'none' END AS fraud_status,
         coalesce(f.chargebacks, 0) AS chargebacks, coalesce(f.loss, 0) AS loss,
         CASE WHEN r.f30 IS NOT NULL THEN 'bad' WHEN r.n > 0 THEN 'good' ELSE 'none' END AS label,
         CASE WHEN (d.features ->> 'age')::int < 18 THEN 'under 18' WHEN (d.features ->> 'age')::int < 25 THEN '18-24'
              WHEN (d.features ->> 'age')::int < 35 THEN '25-34' WHEN (d.features ->> 'age')::int < 45 THEN '35-44'
              WHEN (d.features ->> 'age')::int < 55 THEN '45-54' WHEN (d.features ->> 'age')::int < 65 THEN '55-64'
              WHEN d.features ? 'age' THEN '65+' ELSE 'unknown' END AS age_band,
         LEAST(99, floor(d.score * 100))::int AS score_bin
    FROM decision d LEFT JOIN r ON r.decision_id = d.id LEFT JOIN f ON f.decision_id = d.id`;

const mob = (column: string) =>
  `((extract(year FROM ${column} AT TIME ZONE 'UTC') * 12 + extract(month FROM ${column} AT TIME ZONE 'UTC')) - (extract(year FROM day) * 12 + extract(month FROM day)))::int`;

/** Each rollup, and the same grouping straight from the raw tables, as comparable text rows. */
const comparisons = {
  daily: {
    rollup: `SELECT day::text, region_code, kind::text, model_name, model_version, outcome::text, review_state::text, fraud_status,
                    decisions::text, amount_sum::numeric(18,2)::text, booked::text, booked_amount::numeric(18,2)::text,
                    outstanding::numeric(18,2)::text, chargebacks::text, loss_sum::numeric(18,2)::text
               FROM rollup_decision_daily WHERE decisions <> 0`,
    raw: `SELECT day::text, region_code, kind::text, model_name, model_version, outcome::text, review_state::text, fraud_status,
                 count(*)::text, sum(amount)::numeric(18,2)::text, (count(*) FILTER (WHERE booked))::text,
                 coalesce(sum(amount) FILTER (WHERE booked), 0)::numeric(18,2)::text,
                 sum(CASE WHEN NOT booked THEN 0 WHEN n = 0 THEN amount ELSE latest END)::numeric(18,2)::text,
                 sum(chargebacks)::text, sum(loss)::numeric(18,2)::text
            FROM (${RAW}) x GROUP BY 1, 2, 3, 4, 5, 6, 7, 8`,
  },
  segments: {
    rollup: `SELECT month::text, region_code, kind::text, outcome::text, age_band, label, decisions::text FROM rollup_segment_monthly WHERE decisions <> 0`,
    raw: `SELECT month::text, region_code, kind::text, outcome::text, age_band, label, count(*)::text FROM (${RAW}) x GROUP BY 1, 2, 3, 4, 5, 6`,
  },
  scores: {
    rollup: `SELECT model_name, model_version, month::text, region_code, score_bin::text, label, decisions::text FROM rollup_score_monthly WHERE decisions <> 0`,
    raw: `SELECT model_name, model_version, month::text, region_code, score_bin::text, label, count(*)::text FROM (${RAW}) x GROUP BY 1, 2, 3, 4, 5, 6`,
  },
  vintage: {
    rollup: `SELECT vintage::text, region_code, kind::text, stage::text, mob::text, decisions::text FROM rollup_vintage WHERE decisions <> 0`,
    raw: `SELECT month::text, region_code, kind::text, s.stage::text, s.mob::text, count(*)::text
            FROM (${RAW}) x CROSS JOIN LATERAL (VALUES (0, 0), (30, CASE WHEN f30 IS NULL THEN NULL ELSE GREATEST(0, ${mob("f30")}) END),
                                                  (90, CASE WHEN f90 IS NULL THEN NULL ELSE GREATEST(0, ${mob("f90")}) END)) s(stage, mob)
           WHERE booked AND s.mob IS NOT NULL GROUP BY 1, 2, 3, 4, 5`,
  },
};

async function rowsOf(sql: string) {
  const rows = await db.$queryRawUnsafe<{ row: string }[]>(`SELECT (t.*)::text AS row FROM (${sql}) t`);
  return rows.map((row) => row.row).sort();
}

async function expectRollupsEqualRaw() {
  for (const [name, { rollup, raw }] of Object.entries(comparisons)) {
    const [fromRollup, fromRaw] = await Promise.all([rowsOf(rollup), rowsOf(raw)]);
    expect(fromRollup, `rollup ${name}`).toEqual(fromRaw);
  }
}

// ── Writers, as the modules write (ingestion's unnest inserts, outcome inserts, review verdicts) ──

let sequence = 0;
const nextId = (kind: string) => `${prefix}${kind}-${++sequence}`;

interface NewDecision {
  region: "SE" | "DE";
  kind: "credit" | "limit" | "fraud";
  outcome: "approved" | "declined" | "referred" | "fraud_hold";
  score: number;
  age: number;
  amount: number;
  day: number;
}

async function insertDecisions(decisions: NewDecision[]) {
  const ids = decisions.map(() => crypto.randomUUID());
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO decision (id, external_id, customer_id, kind, region_code, model_name, model_version, score, outcome, amount, currency, features, decided_at)
      SELECT * FROM unnest(${ids}::uuid[], ${decisions.map(() => nextId("D"))}::text[], ${decisions.map((d) => customerIds[d.region]!)}::uuid[],
        ${decisions.map((d) => d.kind)}::text[]::"DecisionKind"[], ${decisions.map((d) => d.region)}::varchar[],
        ${decisions.map((d) => (d.kind === "fraud" ? "fraud-net" : "credit-risk-gbm"))}::text[], ${decisions.map((d) => (d.score > 0.5 ? "9.1" : "9.2"))}::text[],
        ${decisions.map((d) => d.score)}::float8[], ${decisions.map((d) => (d.kind === "fraud" ? (d.outcome === "fraud_hold" ? "fraud_hold" : "approved") : d.outcome === "fraud_hold" ? "referred" : d.outcome))}::text[]::"DecisionOutcome"[],
        ${decisions.map((d) => d.amount.toFixed(2))}::numeric[], ${decisions.map((d) => (d.region === "SE" ? "SEK" : "EUR"))}::varchar[],
        ${decisions.map((d) => JSON.stringify({ age: d.age }))}::jsonb[],
        ${decisions.map((d) => new Date(Date.UTC(2025, 0, 1) + d.day * 86_400_000 + 3_600_000 * 13).toISOString())}::timestamptz[])`;
  });
  return ids;
}

async function insertRepayment(decisionId: string, status: string, dayAfter: number) {
  await db.$executeRaw`
    INSERT INTO repayment_outcome (id, external_id, decision_id, status, observed_at, outstanding_amount)
    SELECT gen_random_uuid(), ${nextId("R")}, id, ${status}::"InstallmentStatus", decided_at + make_interval(days => ${dayAfter}), round((amount * ${status === "repaid" ? 0 : 0.6})::numeric, 2)
      FROM decision WHERE id = ${decisionId}::uuid`;
}

async function insertFraud(decisionId: string, outcome: string, loss: number | null) {
  await db.$executeRaw`
    INSERT INTO fraud_outcome (id, external_id, decision_id, outcome, reported_at, loss_amount)
    VALUES (gen_random_uuid(), ${nextId("F")}, ${decisionId}::uuid, ${outcome}::"FraudOutcomeKind", now(), ${loss}::numeric)`;
}

async function setReviewState(decisionId: string, state: string) {
  await db.$executeRaw`UPDATE decision SET review_state = ${state}::"ReviewState" WHERE id = ${decisionId}::uuid`;
}

const decisionArbitrary = fc.record({
  region: fc.constantFrom("SE" as const, "DE" as const),
  kind: fc.constantFrom("credit" as const, "limit" as const, "fraud" as const),
  outcome: fc.constantFrom("approved" as const, "declined" as const, "referred" as const, "fraud_hold" as const),
  score: fc.double({ min: 0, max: 1, noNaN: true }),
  age: fc.integer({ min: 16, max: 90 }),
  amount: fc.integer({ min: 1, max: 500_000 }).map((cents) => cents / 100),
  day: fc.integer({ min: 0, max: 150 }),
});

const operationArbitrary = fc.oneof(
  fc.record({ op: fc.constant("ingest" as const), decisions: fc.array(decisionArbitrary, { minLength: 1, maxLength: 6 }) }),
  fc.record({ op: fc.constant("repayment" as const), pick: fc.nat(), status: fc.constantFrom("current", "late_30", "default_90", "repaid"), dayAfter: fc.integer({ min: 0, max: 200 }) }),
  fc.record({ op: fc.constant("fraud" as const), pick: fc.nat(), outcome: fc.constantFrom("confirmed_fraud", "cleared", "chargeback"), loss: fc.option(fc.integer({ min: 1, max: 90_000 }).map((cents) => cents / 100)) }),
  fc.record({ op: fc.constant("review" as const), pick: fc.nat(), state: fc.constantFrom("queued", "upheld", "overturned") }),
);

let compliance: Actor;
let opsSe: Actor;

beforeAll(async () => {
  compliance = await actorFor("compliance");
  opsSe = await actorFor("opsSe");
  customerIds = {};
  for (const region of ["SE", "DE"]) {
    const id = crypto.randomUUID();
    await db.customer.create({ data: { id, reference: `${prefix}CUS-${region}`, regionCode: region } });
    customerIds[region] = id;
  }
});

afterAll(async () => {
  await removeTestDecisions(prefix, prefix);
});

describe("rollups kept in the writing transaction", () => {
  it("equal the raw GROUP BY after any mix of ingestion, late outcomes and review verdicts", async () => {
    const touched: string[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(operationArbitrary, { minLength: 1, maxLength: 8 }), async (operations) => {
        for (const operation of operations) {
          if (operation.op === "ingest") touched.push(...(await insertDecisions(operation.decisions)));
          else if (touched.length === 0) continue;
          else if (operation.op === "repayment") await insertRepayment(touched[operation.pick % touched.length]!, operation.status, operation.dayAfter);
          else if (operation.op === "fraud") await insertFraud(touched[operation.pick % touched.length]!, operation.outcome, operation.loss);
          else await setReviewState(touched[operation.pick % touched.length]!, operation.state);
        }
        await expectRollupsEqualRaw();
      }),
      { numRuns: 12, seed: 20261205 },
    );
  });

  it("moves a late 30+ outcome into the vintage and label of the month the credit was granted", async () => {
    const [id] = await insertDecisions([{ region: "SE", kind: "credit", outcome: "approved", score: 0.77, age: 30, amount: 100, day: 3 }]);
    const cell = () => db.$queryRaw<{ mob: number }[]>`SELECT mob::int FROM rollup_vintage WHERE vintage = '2025-01-01' AND region_code = 'SE' AND kind = 'credit' AND stage = 30 AND decisions > 0`;
    const before = (await cell()).map((row) => row.mob);
    await insertRepayment(id!, "late_30", 70); // observed in March 2025: 2 months on book
    expect((await cell()).map((row) => row.mob)).toEqual([...new Set([...before, 2])].sort());
    await expectRollupsEqualRaw();
  });

  it("are rebuilt from the raw tables to the same figures, with an audit event", async () => {
    const before = await rowsOf(comparisons.daily.rollup);
    const result = await rebuildRollups("rollups:rebuild (test)");
    expect(result.decisions).toBe(await db.decision.count());
    expect(await rowsOf(comparisons.daily.rollup)).toEqual(before);
    await expectRollupsEqualRaw();
    const event = await db.auditEvent.findFirst({ where: { action: "rollups.rebuilt" }, orderBy: { seq: "desc" } });
    expect(event?.actorLabel).toBe("rollups:rebuild (test)");
  });
});

// ── A rebuild while the app writes (ADR 017): SHARE locks on the raw tables make the rebuild wait for a
// writer already in flight and hold new writers off until it commits; either way every decision is
// counted once. PostgreSQL only: the embedded database serves one connection at a time.

const isPostgres = inject("databaseKind") === "postgresql";

async function connect(user?: string) {
  const url = new URL(process.env.DATABASE_URL!);
  if (user) {
    url.username = user;
    url.password = "";
  }
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

function insertDecisionStatement(region: "SE" | "DE", day: number) {
  return {
    text: `INSERT INTO decision (id, external_id, customer_id, kind, region_code, model_name, model_version, score, outcome, amount, currency, features, decided_at)
           VALUES (gen_random_uuid(), $1, $2, 'credit', $3, 'credit-risk-gbm', '9.1', 0.81, 'approved', 1234.56, $4, '{"age": 41}', $5)`,
    values: [nextId("C"), customerIds[region]!, region, region === "SE" ? "SEK" : "EUR", new Date(Date.UTC(2025, 0, 1) + day * 86_400_000).toISOString()],
  };
}

/** Resolves once the given backend waits for a lock. */
async function waitsForLock(pid: number) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const [row] = await db.$queryRaw<{ waiting: boolean }[]>`SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = ${pid}`;
    if (row?.waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`backend ${pid} never waited for a lock`);
}

describe.runIf(isPostgres)("a rebuild while the app writes", () => {
  it("waits for an ingestion in flight and counts it once", async () => {
    const writer = await connect();
    const rebuilder = await connect();
    try {
      await writer.query("BEGIN");
      await writer.query(insertDecisionStatement("SE", 40));
      const rebuilderPid = (await rebuilder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      const rebuilt = rebuilder.query("SELECT rollups_rebuild()");
      await waitsForLock(rebuilderPid);
      await writer.query(insertDecisionStatement("DE", 41));
      await writer.query("COMMIT");
      await rebuilt;
      await expectRollupsEqualRaw();
    } finally {
      await writer.end();
      await rebuilder.end();
    }
  });

  it("holds an ingestion off until it commits, which then counts it once", async () => {
    const writer = await connect();
    const rebuilder = await connect();
    try {
      const writerPid = (await writer.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
      await rebuilder.query("BEGIN");
      await rebuilder.query("SELECT rollups_rebuild()");
      const written = writer.query(insertDecisionStatement("SE", 42));
      await waitsForLock(writerPid);
      await rebuilder.query("COMMIT");
      await written;
      await expectRollupsEqualRaw();
    } finally {
      await writer.end();
      await rebuilder.end();
    }
  });

  it("may be run by the app's runtime role, which may neither truncate nor alter the rollups itself", async () => {
    const role = `attest_app_rollups_${run}`;
    await db.$executeRawUnsafe(`CREATE ROLE ${role} LOGIN IN ROLE attest_runtime`);
    const runtime = await connect(role);
    try {
      await runtime.query("BEGIN");
      const { rows } = await runtime.query<{ decisions: string }>("SELECT rollups_rebuild()::text AS decisions");
      await runtime.query("COMMIT");
      expect(Number(rows[0]!.decisions)).toBe(await db.decision.count());
      await expect(runtime.query("TRUNCATE rollup_vintage")).rejects.toThrow(/permission denied/);
      await expectRollupsEqualRaw();
    } finally {
      await runtime.end();
      await db.$executeRawUnsafe(`DROP ROLE ${role}`);
    }
  });
});

describe("dashboard figures equal the metric computed from raw rows", () => {
  const query = DashboardQuerySchema.parse({ from: "2025-01", to: "2025-06" });
  const now = new Date("2025-06-30T12:00:00Z");

  it("risk: approval rate per month", async () => {
    const dashboard = await loadRiskDashboard(compliance, query, now);
    const raw = await db.$queryRaw<{ month: string; approved: number; total: number }[]>`
      SELECT to_char(decided_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, (count(*) FILTER (WHERE outcome = 'approved'))::int AS approved, count(*)::int AS total
        FROM decision WHERE kind = 'credit' AND region_code = ANY(${compliance.regionFilter}::text[])
         AND decided_at >= '2025-01-01T00:00:00Z' AND decided_at < '2025-07-01T00:00:00Z' GROUP BY 1`;
    for (const row of dashboard.charts.rates.rows) {
      const expected = raw.find((candidate) => candidate.month === row.month);
      expect(row.approvalRate, String(row.month)).toBe(expected ? rate(expected.approved, expected.total) : null);
    }
  });

  it("fraud: hold rate and false-positive rate per month", async () => {
    const dashboard = await loadFraudDashboard(compliance, query, now);
    const raw = await db.$queryRaw<{ month: string; screenings: number; holds: number; cleared: number }[]>`
      SELECT to_char(d.decided_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*)::int AS screenings,
             (count(*) FILTER (WHERE d.outcome = 'fraud_hold'))::int AS holds,
             (count(*) FILTER (WHERE d.outcome = 'fraud_hold' AND NOT EXISTS (SELECT 1 FROM fraud_outcome o WHERE o.decision_id = d.id AND o.outcome = 'confirmed_fraud')
                                AND EXISTS (SELECT 1 FROM fraud_outcome o WHERE o.decision_id = d.id AND o.outcome = 'cleared')))::int AS cleared
        FROM decision d WHERE d.kind = 'fraud' AND d.region_code = ANY(${compliance.regionFilter}::text[])
         AND d.decided_at >= '2025-01-01T00:00:00Z' AND d.decided_at < '2025-07-01T00:00:00Z' GROUP BY 1`;
    for (const row of dashboard.charts.rates.rows) {
      const expected = raw.find((candidate) => candidate.month === row.month);
      expect(row.holdRate, String(row.month)).toBe(expected ? rate(expected.holds, expected.screenings) : null);
      expect(row.falsePositiveRate, String(row.month)).toBe(expected ? rate(expected.cleared, expected.holds) : null);
    }
  });

  it("fairness: adverse impact ratio per age band", async () => {
    const dashboard = await loadFairnessDashboard(compliance, query, now);
    const raw = await db.$queryRaw<{ group: string; decisions: number; approved: number }[]>`
      SELECT rollup_age_band(features) AS "group", count(*)::int AS decisions, (count(*) FILTER (WHERE outcome = 'approved'))::int AS approved
        FROM decision WHERE kind = 'credit' AND region_code = ANY(${compliance.regionFilter}::text[])
         AND decided_at >= '2025-01-01T00:00:00Z' AND decided_at < '2025-07-01T00:00:00Z' GROUP BY 1`;
    const expected = fairnessByGroup(dashboard.age.rows.map((row) => ({ group: row.group, decisions: raw.find((r) => r.group === row.group)?.decisions ?? 0, approved: raw.find((r) => r.group === row.group)?.approved ?? 0 })), 30);
    expect(dashboard.age.rows.map((row) => [row.group, row.adverseImpactRatio])).toEqual(expected.rows.map((row) => [row.group, row.adverseImpactRatio]));
  });

  it("model: PSI and Gini of the test model from raw scores", async () => {
    const model = "credit-risk-gbm@9.1";
    const dashboard = await loadModelDashboard(compliance, DashboardQuerySchema.parse({ from: "2025-01", to: "2025-06", model, baselineFrom: "2025-01", baselineTo: "2025-02" }), now);
    expect(dashboard.chosen?.model).toBe(model);
    const histogram = async (from: string, to: string, label?: string) => {
      const rows = await db.$queryRawUnsafe<{ bin: number; n: number }[]>(
        `SELECT score_bin AS bin, count(*)::int AS n FROM (${RAW}) x
          WHERE model_name = 'credit-risk-gbm' AND model_version = '9.1' AND region_code = ANY($1::text[])
            AND month >= $2::date AND month <= $3::date ${label ? `AND label = '${label}'` : ""} GROUP BY 1`,
        compliance.regionFilter, `${from}-01`, `${to}-01`);
      const counts = new Array<number>(100).fill(0);
      for (const row of rows) counts[row.bin] = row.n;
      return counts;
    };
    const psi = populationStabilityIndex(await histogram("2025-01", "2025-02"), await histogram(dashboard.chosen!.current.from, "2025-06"));
    expect(dashboard.chosen!.psi?.psi ?? null).toBe(psi?.psi ?? null);
    const gini = discrimination(await histogram("2025-01", "2025-06", "good"), await histogram("2025-01", "2025-06", "bad"));
    expect(dashboard.chosen!.discrimination?.gini ?? null).toBe(gini?.gini ?? null);
  });
});

describe("operations: open work counted into bands", () => {
  it("counts every open review once, by trigger and age band, and every open privacy request by type", async () => {
    const now = new Date();
    const dashboard = await loadOperationsDashboard(compliance, DashboardQuerySchema.parse({}), now);
    const reviews = await db.$queryRaw<{ trigger: string; band: string; n: number }[]>`
      SELECT trigger::text AS trigger, CASE WHEN opened_at > ${now}::timestamptz - interval '24 hours' THEN '< 1 day'
                  WHEN opened_at > ${now}::timestamptz - interval '72 hours' THEN '1–3 days'
                  WHEN opened_at > ${now}::timestamptz - interval '168 hours' THEN '3–7 days' ELSE '> 7 days' END AS band, count(*)::int AS n
        FROM review WHERE status::text = ANY(${[...openReviewStatuses]}::text[]) AND region_code = ANY(${compliance.regionFilter}::text[]) AND opened_at <= ${now}::timestamptz
       GROUP BY 1, 2`;
    expect(reviews.length, "open reviews in the fixtures").toBeGreaterThan(0);
    for (const row of dashboard.charts.queue!.rows) {
      for (const [trigger, count] of Object.entries(row).filter(([key]) => key !== "age")) {
        expect(count, `${trigger} ${row.age}`).toBe(reviews.find((r) => r.trigger === trigger && r.band === row.age)?.n ?? 0);
      }
    }
    const privacy = await db.$queryRaw<{ type: string; n: number }[]>`
      SELECT type::text AS type, count(*)::int AS n FROM privacy_request
       WHERE state::text = ANY(${[...openPrivacyRequestStates]}::text[]) AND region_code = ANY(${compliance.regionFilter}::text[]) GROUP BY 1`;
    expect(privacy.length, "open privacy requests in the fixtures").toBeGreaterThan(0);
    const charted = dashboard.charts.privacy!.rows.reduce<Record<string, number>>((totals, row) => {
      for (const [type, count] of Object.entries(row)) if (type !== "deadline") totals[type] = (totals[type] ?? 0) + Number(count);
      return totals;
    }, {});
    expect(charted).toEqual(Object.fromEntries(privacy.map((row) => [row.type, row.n])));
  });
});

describe("region scoping of the dashboards", () => {
  it("reads only the viewer's regions and refuses a region outside them", async () => {
    const query = DashboardQuerySchema.parse({ from: "2025-01", to: "2025-06" });
    const dashboard = await loadRiskDashboard(opsSe, query);
    expect(dashboard.regions).toEqual(["SE"]);
    expect(dashboard.charts.volume.map((chart) => chart.rows[0]!.region)).toEqual(["SE"]);
    const refused = await loadRiskDashboard(opsSe, DashboardQuerySchema.parse({ region: "DE" })).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(Response);
    expect((refused as Response).status).toBe(400);
  });

  it("refuses a dashboard the role may not see", async () => {
    const refused = await loadModelDashboard(opsSe, DashboardQuerySchema.parse({})).catch((error: unknown) => error);
    expect((refused as Response).status).toBe(403);
  });
});
