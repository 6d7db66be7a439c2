import type { ChartSpec } from "~/components/charts/chart-spec";
import type { Actor } from "~/modules/access/actor.server";
import { db } from "~/utils/db.server";
import { AIR_RED, fairnessByGroup, type FairnessRow, type GroupCounts } from "./metrics";
import { lastDayOf, type DashboardQuery } from "./schema";
import { dashboardScope } from "./scope.server";

// Fairness (docs/metrics.md "Fairness"): approval rate per group of the attributes the data holds,
// the adverse impact ratio against the most-favoured group (four-fifths rule) and the difference in
// true-positive rates (good payers approved) where repayment outcomes exist.

// Applicants under 18 are refused by law (rule-set minimum age), so they are no group to compare.
export const AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"] as const;
/** Groups smaller than this are shown but cannot be the reference group. */
export const MIN_REFERENCE_DECISIONS = 30;

/** Protected attributes (ECOA/Reg B, EU Charter Art. 21) that the decisions do not carry, said plainly. */
export const ABSENT_ATTRIBUTES = [
  "sex or gender",
  "race, colour or ethnic origin",
  "national origin",
  "religion or belief",
  "marital status",
  "disability",
  "sexual orientation",
  "receipt of public assistance income",
];

interface SegmentRow {
  group: string;
  outcome: string;
  label: string;
  decisions: number;
}

function toGroupCounts(rows: SegmentRow[], groups: readonly string[]): GroupCounts[] {
  return groups.map((group) => {
    const mine = rows.filter((row) => row.group === group);
    const count = (predicate: (row: SegmentRow) => boolean) => mine.filter(predicate).reduce((sum, row) => sum + row.decisions, 0);
    return {
      group,
      decisions: count(() => true),
      approved: count((row) => row.outcome === "approved"),
      goods: count((row) => row.label === "good"),
      goodsApproved: count((row) => row.label === "good" && row.outcome === "approved"),
    };
  });
}

export async function loadFairnessDashboard(actor: Actor, query: DashboardQuery, now = new Date()) {
  const scope = dashboardScope(actor, "fairness", query, now);
  const { regions, period } = scope;
  const [byAge, byRegion] = await Promise.all([
    db.$queryRaw<SegmentRow[]>`
      SELECT age_band AS "group", outcome::text AS outcome, label, sum(decisions)::int AS decisions
        FROM rollup_segment_monthly
       WHERE month >= ${period.fromDate}::date AND month < ${period.toExclusive}::date
         AND region_code = ANY(${regions}::text[]) AND kind::text = ${query.kind}
       GROUP BY 1, 2, 3`,
    db.$queryRaw<SegmentRow[]>`
      SELECT region_code AS "group", outcome::text AS outcome, label, sum(decisions)::int AS decisions
        FROM rollup_segment_monthly
       WHERE month >= ${period.fromDate}::date AND month < ${period.toExclusive}::date
         AND region_code = ANY(${regions}::text[]) AND kind::text = ${query.kind}
       GROUP BY 1, 2, 3`,
  ]);
  const ageGroups = [...AGE_BANDS, ...(byAge.some((row) => row.group === "unknown") ? ["unknown"] : [])];
  const age = fairnessByGroup(toGroupCounts(byAge, ageGroups), MIN_REFERENCE_DECISIONS);
  const region = fairnessByGroup(toGroupCounts(byRegion, regions), MIN_REFERENCE_DECISIONS);

  const chart = (id: string, attribute: string, result: { rows: FairnessRow[]; reference: string | null }, linkOf: (group: string) => Record<string, string>): ChartSpec => ({
    id,
    title: `Approval rate and adverse impact ratio by ${attribute}`,
    description: `${query.kind === "credit" ? "Credit applications" : "Limit decisions"} of the period by ${attribute}${attribute === "age band" ? " (applicants under 18 are refused by law and left out)" : ""}: engine approval rate, and that rate over the most-favoured group's (${result.reference ?? "none"}); red below ${AIR_RED}.`,
    type: "bar",
    x: { key: "group", label: attribute[0]!.toUpperCase() + attribute.slice(1) },
    series: [
      { key: "approvalRate", label: "Approval rate", format: "percent" },
      { key: "adverseImpactRatio", label: "Adverse impact ratio", format: "ratio" },
      { key: "decisions", label: "Decisions", format: "count", isContext: true },
      { key: "truePositiveRate", label: "TPR (good payers approved)", format: "percent", isContext: true },
      { key: "truePositiveRateDifference", label: "TPR difference vs reference", format: "percent", isContext: true },
    ],
    rows: result.rows.map((row) => ({
      group: row.group,
      approvalRate: row.approvalRate,
      adverseImpactRatio: row.adverseImpactRatio,
      decisions: row.decisions,
      truePositiveRate: row.truePositiveRate,
      truePositiveRateDifference: row.truePositiveRateDifference,
    })),
    referenceLines: [{ value: AIR_RED, label: "four-fifths line", tone: "red" }],
    links: result.rows.map((row) => {
      const link = scope.explorerLink({ kind: query.kind, ...linkOf(row.group), from: `${period.from}-01`, to: lastDayOf(period.to) });
      return { approvalRate: link, adverseImpactRatio: link, decisions: link };
    }),
  });
  return {
    period,
    regions,
    age,
    region,
    absentAttributes: ABSENT_ATTRIBUTES,
    charts: {
      age: chart("fairness-age", "age band", age, (group) => ({ ageBand: group })),
      region: chart("fairness-region", "region", region, (group) => ({ region: group })),
    },
  };
}
