import { db } from "~/utils/db.server";
import { accessibleSql, SqlParameters, type SqlColumn } from "~/modules/access/accessible-sql.server";
import { requirePermission, type Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { decisionSqlColumns } from "./decision-page.server";
import type { OversightQuery } from "./schema";
import { DEFAULT_PERIOD_DAYS, RUBBER_STAMP_MEDIAN_MINUTES, RUBBER_STAMP_OVERRIDE_RATE, MIN_REVIEWS_TO_FLAG, medianOfMiddles, oversightRow, type OversightRow } from "./oversight";

export type { OversightRow } from "./oversight";

// Human-oversight metrics (EU AI Act Art. 14(4)(b): staff overseeing a high-risk system must stay
// aware of automation bias). For each reviewer, model version and region: how many decisions were
// reviewed, how often the human overturned the machine, and the median time spent per review —
// within the viewer's access and region filter.
//
// One statement aggregates the period's decided reviews in PostgreSQL (GROUPING SETS: overall, by
// reviewer, by model version, by region) instead of loading every review into the app: the median
// time per review is not additive, so no daily rollup can give it exactly (ADR 016); the statement
// reads only the reviews decided in the period, through review_decided_at_idx, and joins each to its
// decision by primary key.

const DAY_MS = 86_400_000;

/** The review columns an access condition may name (non-null columns of review, see accessibleSql). */
export const reviewSqlColumns: Readonly<Record<string, SqlColumn>> = {
  id: { sql: "r.id", type: "uuid" },
  decisionId: { sql: "r.decision_id", type: "uuid" },
  regionCode: { sql: "r.region_code", type: "text" },
  trigger: { sql: "r.trigger", type: '"ReviewTrigger"' },
  status: { sql: "r.status", type: '"ReviewStatus"' },
  priority: { sql: "r.priority", type: "int2" },
  openedAt: { sql: "r.opened_at", type: "timestamptz" },
  dueAt: { sql: "r.due_at", type: "timestamptz" },
  version: { sql: "r.version", type: "int4" },
};

interface GroupRow {
  grouping: "overall" | "reviewer" | "model" | "region";
  reviewer_id: string | null;
  reviewer_name: string | null;
  model_name: string | null;
  model_version: string | null;
  region_code: string | null;
  reviews: number;
  overturned: number;
  lower_minutes: number | null;
  upper_minutes: number | null;
}

async function aggregateReviews(actor: Actor, query: OversightQuery, from: Date, to: Date) {
  const parameters = new SqlParameters();
  const conditions = [
    accessibleSql(actor.ability, "read", "Review", reviewSqlColumns, parameters),
    parameters.in("r.region_code", regionScope(actor, query.region).regionCode.in, "text"),
    accessibleSql(actor.ability, "read", "Decision", decisionSqlColumns, parameters),
    "r.verdict IS NOT NULL",
    `r.decided_at >= ${parameters.add(from, "timestamptz")}`,
    `r.decided_at < ${parameters.add(to, "timestamptz")}`,
    "r.status IN ('closed', 'awaiting_approval')",
  ];
  // Minutes as the app computes them: whole milliseconds from the claim (else the opening) to the
  // verdict, divided in float8 like JavaScript, never negative.
  const sql = `
    WITH sample AS (
      SELECT r.reviewer_id, s.display_name AS reviewer_name, d.model_name, d.model_version, r.region_code,
             r.verdict = 'overturned' AS is_overturned,
             GREATEST(0::float8, (extract(epoch FROM r.decided_at - coalesce(r.claimed_at, r.opened_at)) * 1000)::float8 / 60000) AS minutes
        FROM review r
        JOIN decision d ON d.id = r.decision_id
        LEFT JOIN staff_user s ON s.id = r.reviewer_id
       WHERE ${conditions.join("\n         AND ")}
    )
    SELECT CASE GROUPING(reviewer_id, reviewer_name, model_name, model_version, region_code)
             WHEN 31 THEN 'overall' WHEN 7 THEN 'reviewer' WHEN 25 THEN 'model' ELSE 'region' END AS grouping,
           reviewer_id::text AS reviewer_id, reviewer_name, model_name, model_version, region_code,
           count(*)::int AS reviews, (count(*) FILTER (WHERE is_overturned))::int AS overturned,
           (array_agg(minutes ORDER BY minutes))[(count(*) + 1) / 2] AS lower_minutes,
           (array_agg(minutes ORDER BY minutes))[count(*) / 2 + 1] AS upper_minutes
      FROM sample
     GROUP BY GROUPING SETS ((), (reviewer_id, reviewer_name), (model_name, model_version), (region_code))`;
  return db.$queryRawUnsafe<GroupRow[]>(sql, ...parameters.values);
}

function rowOf(key: string, label: string, group: GroupRow | undefined): OversightRow {
  const reviews = group?.reviews ?? 0;
  return oversightRow(key, label, {
    reviews,
    overturned: group?.overturned ?? 0,
    medianMinutes: medianOfMiddles(reviews, group?.lower_minutes ?? null, group?.upper_minutes ?? null),
  });
}

export async function getOversightMetrics(actor: Actor, query: OversightQuery) {
  requirePermission(actor, "read", "Review");
  requirePermission(actor, "read", "Decision");
  const to = query.to ? new Date(query.to.getTime() + DAY_MS) : new Date();
  const from = query.from ?? new Date(to.getTime() - DEFAULT_PERIOD_DAYS * DAY_MS);
  const groups = await aggregateReviews(actor, query, from, to);
  const table = (grouping: GroupRow["grouping"], keyOf: (group: GroupRow) => { key: string; label: string }) =>
    groups
      .filter((group) => group.grouping === grouping)
      .map((group) => {
        const { key, label } = keyOf(group);
        return rowOf(key, label, group);
      })
      .sort((a, b) => b.reviews - a.reviews || a.label.localeCompare(b.label));
  return {
    period: { from, to: new Date(to.getTime() - 1) },
    regions: query.region ? [query.region] : actor.regionFilter,
    overall: rowOf("all", "All reviews", groups.find((group) => group.grouping === "overall")),
    byReviewer: table("reviewer", (group) => ({ key: group.reviewer_id ?? "unknown", label: group.reviewer_name ?? "unknown reviewer" })),
    byModel: table("model", (group) => ({ key: `${group.model_name}@${group.model_version}`, label: `${group.model_name} ${group.model_version}` })),
    byRegion: table("region", (group) => ({ key: group.region_code!, label: group.region_code! })),
    thresholds: { overrideRate: RUBBER_STAMP_OVERRIDE_RATE, medianMinutes: RUBBER_STAMP_MEDIAN_MINUTES, minReviews: MIN_REVIEWS_TO_FLAG },
  };
}
