import type { ChartSpec } from "~/components/charts/chart-spec";
import type { Actor } from "~/modules/access/actor.server";
import { db } from "~/utils/db.server";
import { rate, vintageCurve } from "./metrics";
import { monthsOf, type DashboardQuery } from "./schema";
import { currencyOf, dashboardScope, monthFilter } from "./scope.server";

// Risk dashboard (docs/metrics.md "Risk"): engine outcome rates of credit and limit decisions by month,
// booked volume and outstanding exposure by region in its currency, delinquency by vintage.

const VINTAGES_SHOWN = 12;

export async function loadRiskDashboard(actor: Actor, query: DashboardQuery, now = new Date()) {
  const scope = dashboardScope(actor, "risk", query, now);
  const { regions, period } = scope;
  const [outcomes, byRegion, exposure, vintages] = await Promise.all([
    db.$queryRaw<{ month: string; outcome: string; decisions: number }[]>`
      SELECT to_char(day, 'YYYY-MM') AS month, outcome::text AS outcome, sum(decisions)::int AS decisions
        FROM rollup_decision_daily
       WHERE day >= ${period.fromDate}::date AND day < ${period.toExclusive}::date
         AND region_code = ANY(${regions}::text[]) AND kind::text = ${query.kind}
       GROUP BY 1, 2`,
    db.$queryRaw<{ region: string; booked: number; bookedAmount: number }[]>`
      SELECT region_code AS region, sum(booked)::int AS booked, sum(booked_amount)::float8 AS "bookedAmount"
        FROM rollup_decision_daily
       WHERE day >= ${period.fromDate}::date AND day < ${period.toExclusive}::date
         AND region_code = ANY(${regions}::text[]) AND kind::text = ${query.kind}
       GROUP BY 1`,
    // Exposure is the whole book's outstanding today, whatever month a credit was granted in.
    db.$queryRaw<{ region: string; outstanding: number }[]>`
      SELECT region_code AS region, sum(outstanding)::float8 AS outstanding
        FROM rollup_decision_daily
       WHERE region_code = ANY(${regions}::text[]) AND kind::text = ${query.kind}
       GROUP BY 1`,
    db.$queryRaw<{ vintage: string; stage: number; mob: number; decisions: number }[]>`
      SELECT to_char(vintage, 'YYYY-MM') AS vintage, stage::int AS stage, mob::int AS mob, sum(decisions)::int AS decisions
        FROM rollup_vintage
       WHERE vintage >= ${period.fromDate}::date AND vintage < ${period.toExclusive}::date
         AND region_code = ANY(${regions}::text[]) AND kind::text = ${query.kind}
       GROUP BY 1, 2, 3`,
  ]);

  const months = monthsOf(period.from, period.to);
  const rateRows = months.map((month) => {
    const count = (outcome: string) => outcomes.find((row) => row.month === month && row.outcome === outcome)?.decisions ?? 0;
    const total = outcomes.filter((row) => row.month === month).reduce((sum, row) => sum + row.decisions, 0);
    return {
      month,
      decisions: total,
      approvalRate: rate(count("approved"), total),
      referralRate: rate(count("referred"), total),
      declineRate: rate(count("declined"), total),
    };
  });
  const rates: ChartSpec = {
    id: "risk-outcome-rates",
    title: "Approval, referral and decline rates",
    description: `Engine outcomes of ${query.kind} decisions per month, as shares of that month's decisions.`,
    type: "line",
    x: { key: "month", label: "Month" },
    series: [
      { key: "approvalRate", label: "Approval rate", format: "percent" },
      { key: "referralRate", label: "Referral rate", format: "percent" },
      { key: "declineRate", label: "Decline rate", format: "percent" },
      { key: "decisions", label: "Decisions", format: "count", isContext: true },
    ],
    rows: rateRows,
    links: months.map((month) => ({
      approvalRate: scope.explorerLink({ kind: query.kind, outcome: "approved", ...monthFilter(month) }),
      referralRate: scope.explorerLink({ kind: query.kind, outcome: "referred", ...monthFilter(month) }),
      declineRate: scope.explorerLink({ kind: query.kind, outcome: "declined", ...monthFilter(month) }),
    })),
  };

  const regionRows = regions.map((region) => ({
    region,
    currency: currencyOf(region),
    booked: byRegion.find((row) => row.region === region)?.booked ?? 0,
    bookedAmount: byRegion.find((row) => row.region === region)?.bookedAmount ?? 0,
    outstanding: exposure.find((row) => row.region === region)?.outstanding ?? 0,
  }));
  const volume: ChartSpec[] = regionRows.map((row) => ({
    id: `risk-volume-${row.region.toLowerCase()}`,
    title: `${row.region}: approved volume and exposure (${row.currency})`,
    description: `Amount of ${query.kind} decisions granted in the period, and the outstanding balance of the whole ${row.region} book, in ${row.currency}.`,
    type: "bar",
    x: { key: "region", label: "Region" },
    series: [
      { key: "bookedAmount", label: `Approved volume (${row.currency})`, format: "money" },
      { key: "outstanding", label: `Outstanding exposure (${row.currency})`, format: "money" },
      { key: "booked", label: "Credits granted", format: "count", isContext: true },
    ],
    rows: [row],
    currency: row.currency,
    links: [{ bookedAmount: scope.explorerLink({ kind: query.kind, region: row.region, outcome: "approved", from: `${period.from}-01`, to: monthFilter(period.to).to }) }],
  }));

  const vintageMonths = [...new Set(vintages.map((row) => row.vintage))].sort().slice(-VINTAGES_SHOWN);
  const asOf = months[months.length - 1]!;
  const curve = (stage: number): ChartSpec => {
    const maxMob = Math.max(0, ...vintageMonths.map((vintage) => monthsOf(vintage, asOf).length - 1));
    const curves = new Map(
      vintageMonths.map((vintage) => {
        const booked = vintages.find((row) => row.vintage === vintage && row.stage === 0)?.decisions ?? 0;
        const firstReachedByMob = new Map(vintages.filter((row) => row.vintage === vintage && row.stage === stage).map((row) => [row.mob, row.decisions]));
        return [vintage, vintageCurve({ vintage: `${vintage}-01`, booked, firstReachedByMob }, asOf)];
      }),
    );
    const rows = Array.from({ length: maxMob + 1 }, (_, mob) => {
      const row: Record<string, number | null> = { mob };
      for (const vintage of vintageMonths) row[vintage] = curves.get(vintage)?.[mob]?.share ?? null;
      return row;
    });
    return {
      id: `risk-vintage-${stage}`,
      title: `Delinquency ${stage}+ by vintage`,
      description: `Share of each month's granted credit that has been ${stage} or more days past due by each month on book (cumulative, first occurrence).`,
      type: "line",
      x: { key: "mob", label: "Months on book" },
      series: vintageMonths.map((vintage) => ({ key: vintage, label: `Vintage ${vintage}`, format: "percent" as const })),
      rows,
      links: rows.map(() => Object.fromEntries(vintageMonths.map((vintage) => [vintage, scope.explorerLink({ kind: query.kind, ...monthFilter(vintage), delinquency: String(stage) })]))),
      emptyMessage: "No credit was granted in this period.",
    };
  };

  return { period, regions, charts: { rates, volume, vintage30: curve(30), vintage90: curve(90) } };
}
