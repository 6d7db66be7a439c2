import type { ChartSpec } from "~/components/charts/chart-spec";
import type { Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { db } from "~/utils/db.server";
import { discrimination, populationStabilityIndex, PSI_AMBER, PSI_RED, type Band, type DiscriminationResult, type PsiResult } from "./metrics";
import { addMonths, monthsOf, type DashboardQuery } from "./schema";
import { dashboardScope, monthFilter } from "./scope.server";

// Model monitoring (docs/metrics.md "Model monitoring"; EU AI Act Art. 9 and 15: accuracy and
// robustness monitored after release). Per model version: the score distribution of the current window
// against a baseline window with PSI, PSI month by month, and discrimination against repayment
// outcomes (Gini, KS, DeLong interval, outcome counts).

const BINS = 100;
export const BASELINE_MONTHS = 3;
// Monitoring compares each month with the baseline: the current window is the period's last month.
export const CURRENT_MONTHS = 1;

interface HistogramRow {
  model: string;
  month: string;
  bin: number;
  label: string;
  decisions: number;
}

export interface ModelVersionSummary {
  model: string;
  firstMonth: string;
  lastMonth: string;
  baseline: { from: string; to: string };
  current: { from: string; to: string };
  decisions: number;
  psi: PsiResult | null;
  discrimination: DiscriminationResult | null;
}

function histogram(rows: HistogramRow[], model: string, from: string, to: string, labels?: string[]) {
  const counts = new Array<number>(BINS).fill(0);
  for (const row of rows) {
    if (row.model !== model || row.month < from || row.month > to) continue;
    if (labels && !labels.includes(row.label)) continue;
    counts[row.bin] = (counts[row.bin] ?? 0) + row.decisions;
  }
  return counts;
}

async function readHistograms(regions: string[], models?: string[]) {
  return db.$queryRaw<HistogramRow[]>`
    SELECT model_name || '@' || model_version AS model, to_char(month, 'YYYY-MM') AS month, score_bin::int AS bin, label,
           sum(decisions)::int AS decisions
      FROM rollup_score_monthly
     WHERE region_code = ANY(${regions}::text[])
       AND (${models ?? null}::text[] IS NULL OR model_name || '@' || model_version = ANY(${models ?? null}::text[]))
     GROUP BY 1, 2, 3, 4
    HAVING sum(decisions) <> 0`;
}

/**
 * What the home page's drift alert reads (listPsiAlerts): for each model version with decisions in
 * `lastMonth`, that month and its first BASELINE_MONTHS months up to `lastMonth`: the rows readHistograms
 * would give for those months, without aggregating every month of every version on each home page.
 * Rollup counts are never negative, so a month has decisions exactly when one of its rows is non-zero:
 * each version's first month is an index probe, and so is each month read.
 */
async function readAlertHistograms(regions: string[], lastMonth: string) {
  return db.$queryRaw<HistogramRow[]>`
    WITH RECURSIVE versions AS (
      (SELECT model_name, model_version FROM rollup_score_monthly ORDER BY 1, 2 LIMIT 1)
      UNION ALL
      SELECT next.model_name, next.model_version
        FROM versions v
        CROSS JOIN LATERAL (
          SELECT r.model_name, r.model_version FROM rollup_score_monthly r
           WHERE (r.model_name, r.model_version) > (v.model_name, v.model_version)
           ORDER BY 1, 2 LIMIT 1) next
    ), scoring AS MATERIALIZED (
      SELECT v.model_name, v.model_version,
             (SELECT min(r.month) FROM rollup_score_monthly r
               WHERE r.model_name = v.model_name AND r.model_version = v.model_version AND r.month <= ${lastMonth + "-01"}::date
                 AND r.region_code = ANY(${regions}::text[]) AND r.decisions <> 0) AS first_month
        FROM versions v
       WHERE EXISTS (SELECT 1 FROM rollup_score_monthly r
                      WHERE r.model_name = v.model_name AND r.model_version = v.model_version AND r.month = ${lastMonth + "-01"}::date
                        AND r.region_code = ANY(${regions}::text[]) AND r.decisions <> 0)
    ), months AS MATERIALIZED (
      SELECT s.model_name, s.model_version, m.month
        FROM scoring s
        CROSS JOIN LATERAL (
          SELECT (s.first_month + make_interval(months => i))::date AS month FROM generate_series(0, ${BASELINE_MONTHS - 1}::int) i
           UNION SELECT ${lastMonth + "-01"}::date) m
    )
    SELECT model_name || '@' || model_version AS model, to_char(month, 'YYYY-MM') AS month, score_bin::int AS bin, label, decisions::int AS decisions
      FROM (
        SELECT r.model_name, r.model_version, r.month, r.score_bin, r.label, sum(r.decisions) AS decisions
          FROM months m
          JOIN rollup_score_monthly r ON r.model_name = m.model_name AND r.model_version = m.model_version AND r.month = m.month
         WHERE r.month <= ${lastMonth + "-01"}::date AND r.region_code = ANY(${regions}::text[])
         GROUP BY 1, 2, 3, 4, 5
        HAVING sum(r.decisions) <> 0) grouped`;
}

/**
 * Each model version's PSI (current window vs baseline window) and discrimination. Baseline: the
 * query's window, else the version's first BASELINE_MONTHS months with decisions; current: the last
 * CURRENT_MONTHS month(s) of the period (never before the baseline ends).
 */
function summarise(rows: HistogramRow[], query: Pick<DashboardQuery, "baselineFrom" | "baselineTo" | "model">, period: { from: string; to: string }): ModelVersionSummary[] {
  const models = [...new Set(rows.map((row) => row.model))].sort();
  return models.map((model) => {
    const months = rows.filter((row) => row.model === model).map((row) => row.month).sort();
    const firstMonth = months[0]!;
    const lastMonth = months[months.length - 1]!;
    const isChosen = query.model === model;
    const baselineFrom = (isChosen && query.baselineFrom) || firstMonth;
    const baselineTo = (isChosen && query.baselineTo) || addMonths(baselineFrom, BASELINE_MONTHS - 1);
    const currentTo = period.to;
    const earliest = addMonths(baselineTo, 1);
    const currentFrom = [addMonths(currentTo, -(CURRENT_MONTHS - 1)), period.from, earliest].sort().pop()!;
    const baseline = histogram(rows, model, baselineFrom, baselineTo);
    const current = currentFrom <= currentTo ? histogram(rows, model, currentFrom, currentTo) : new Array<number>(BINS).fill(0);
    const goods = histogram(rows, model, period.from, period.to, ["good"]);
    const bads = histogram(rows, model, period.from, period.to, ["bad"]);
    const decisions = histogram(rows, model, period.from, period.to).reduce((sum, count) => sum + count, 0);
    return {
      model,
      firstMonth,
      lastMonth,
      baseline: { from: baselineFrom, to: baselineTo },
      current: { from: currentFrom, to: currentTo },
      decisions,
      psi: populationStabilityIndex(baseline, current),
      discrimination: discrimination(goods, bads),
    };
  });
}

export async function loadModelDashboard(actor: Actor, query: DashboardQuery, now = new Date()) {
  const scope = dashboardScope(actor, "model", query, now);
  const { regions, period } = scope;
  const rows = await readHistograms(regions);
  const summaries = summarise(rows, query, period).filter((summary) => summary.lastMonth >= period.from && summary.firstMonth <= period.to);
  const chosen = summaries.find((summary) => summary.model === query.model) ?? pickDefault(summaries);
  if (!chosen) return { period, regions, summaries, chosen: null, charts: null };
  const [name, version] = chosen.model.split("@") as [string, string];

  const distribution: ChartSpec = {
    id: "model-score-distribution",
    title: `${name} ${version}: score distribution against the baseline`,
    description: `Share of decisions per baseline decile of the score: baseline ${chosen.baseline.from} to ${chosen.baseline.to}, current ${chosen.current.from} to ${chosen.current.to}.`,
    type: "bar",
    x: { key: "scores", label: "Score range (baseline decile)" },
    series: [
      { key: "baselineShare", label: "Baseline", format: "percent" },
      { key: "currentShare", label: "Current", format: "percent" },
      { key: "contribution", label: "PSI contribution", format: "decimal", isContext: true },
    ],
    rows: (chosen.psi?.bins ?? []).map((bin) => ({
      scores: `${(bin.fromBin / BINS).toFixed(2)}–${((bin.toBin + 1) / BINS).toFixed(2)}`,
      baselineShare: bin.baselineShare,
      currentShare: bin.currentShare,
      contribution: bin.contribution,
    })),
    links: (chosen.psi?.bins ?? []).map((bin) => ({
      currentShare: scope.explorerLink({
        model: chosen.model,
        scoreMin: (bin.fromBin / BINS).toFixed(2),
        scoreMax: (Math.min(BINS, bin.toBin + 1) / BINS - 0.0001).toFixed(4),
        from: `${chosen.current.from}-01`,
        to: monthFilter(chosen.current.to).to,
      }),
      baselineShare: scope.explorerLink({
        model: chosen.model,
        scoreMin: (bin.fromBin / BINS).toFixed(2),
        scoreMax: (Math.min(BINS, bin.toBin + 1) / BINS - 0.0001).toFixed(4),
        from: `${chosen.baseline.from}-01`,
        to: monthFilter(chosen.baseline.to).to,
      }),
    })),
    emptyMessage: "Not enough decisions in the baseline or current window to compare.",
  };

  const baseline = histogram(rows, chosen.model, chosen.baseline.from, chosen.baseline.to);
  const trendMonths = monthsOf(period.from, period.to).filter((month) => month > chosen.baseline.to);
  const trendRows = trendMonths.map((month) => ({ month, psi: populationStabilityIndex(baseline, histogram(rows, chosen.model, month, month))?.psi ?? null }));
  const trend: ChartSpec = {
    id: "model-psi-trend",
    title: `${name} ${version}: PSI by month`,
    description: `Each month's score distribution against the baseline ${chosen.baseline.from} to ${chosen.baseline.to}; amber from ${PSI_AMBER}, red from ${PSI_RED}.`,
    type: "line",
    x: { key: "month", label: "Month" },
    series: [{ key: "psi", label: "PSI", format: "decimal" }],
    rows: trendRows,
    referenceLines: [
      { value: PSI_AMBER, label: "0.10 investigate", tone: "amber" },
      { value: PSI_RED, label: "0.25 shifted", tone: "red" },
    ],
    links: trendMonths.map((month) => ({ psi: scope.explorerLink({ model: chosen.model, ...monthFilter(month) }) })),
    emptyMessage: "No month after the baseline in this period.",
  };

  const withOutcomes = summaries.filter((summary) => summary.discrimination);
  const gini: ChartSpec = {
    id: "model-gini",
    title: "Gini against repayment outcomes",
    description: "Per model version, decisions of the period with a repayment outcome: Gini = 2·AUC − 1 with its 95% DeLong interval; bad = ever 30+ days past due.",
    type: "bar",
    x: { key: "model", label: "Model version" },
    series: [
      { key: "gini", label: "Gini", format: "ratio" },
      { key: "giniLow", label: "Gini 95% low", format: "ratio", isContext: true },
      { key: "giniHigh", label: "Gini 95% high", format: "ratio", isContext: true },
      { key: "ks", label: "KS", format: "ratio" },
      { key: "goods", label: "Good outcomes", format: "count", isContext: true },
      { key: "bads", label: "Bad outcomes", format: "count", isContext: true },
    ],
    rows: withOutcomes.map((summary) => ({
      model: summary.model,
      gini: summary.discrimination!.gini,
      giniLow: summary.discrimination!.giniInterval?.low ?? null,
      giniHigh: summary.discrimination!.giniInterval?.high ?? null,
      ks: summary.discrimination!.ks,
      goods: summary.discrimination!.goods,
      bads: summary.discrimination!.bads,
    })),
    links: withOutcomes.map((summary) => ({ gini: scope.explorerLink({ model: summary.model, from: `${period.from}-01`, to: monthFilter(period.to).to, delinquency: "30" }) })),
    emptyMessage: "No repayment outcomes for the decisions of this period yet.",
  };
  return { period, regions, summaries, chosen, charts: { distribution, trend, gini } };
}

/** The newest credit-risk version, else the newest version of any model. */
function pickDefault(summaries: ModelVersionSummary[]) {
  const byRecency = [...summaries].sort((a, b) => b.firstMonth.localeCompare(a.firstMonth));
  return byRecency.find((summary) => summary.model.startsWith("credit-risk")) ?? byRecency[0] ?? null;
}

export interface PsiAlert {
  model: string;
  psi: number;
  band: Band;
  baseline: { from: string; to: string };
  current: { from: string; to: string };
}

/** An alert needs this many decisions in both windows: PSI on a handful of scores is noise. */
export const MIN_ALERT_DECISIONS = 100;

/**
 * Model versions whose last complete month drifted from their first months: the alert on the home page
 * of whoever may see model monitoring (amber from 0.10, red from 0.25).
 */
export async function listPsiAlerts(actor: Actor, now = new Date()): Promise<PsiAlert[]> {
  if (!actor.ability.can("read", "Dashboard", "model")) return [];
  const regions = regionScope(actor).regionCode.in;
  const lastComplete = addMonths(now.toISOString().slice(0, 7), -1);
  const rows = await readAlertHistograms(regions, lastComplete);
  const alerts: PsiAlert[] = [];
  for (const model of new Set(rows.map((row) => row.model))) {
    const mine = rows.filter((row) => row.model === model);
    // Only versions still scoring in the last complete month.
    if (!mine.some((row) => row.month === lastComplete)) continue;
    const [summary] = summarise(mine, {}, { from: lastComplete, to: lastComplete });
    const psi = summary?.psi;
    if (psi && psi.band !== "green" && psi.baselineTotal >= MIN_ALERT_DECISIONS && psi.currentTotal >= MIN_ALERT_DECISIONS) {
      alerts.push({ model, psi: psi.psi, band: psi.band, baseline: summary.baseline, current: summary.current });
    }
  }
  return alerts.sort((a, b) => b.psi - a.psi);
}
