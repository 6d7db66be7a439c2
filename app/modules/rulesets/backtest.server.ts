import type { Tx } from "~/utils/db.server";
import { ruleOutcomeSql } from "./evaluator-sql";
import type { RuleOutcome } from "./evaluator";
import type { RuleSetParameters } from "./schema";

// A backtest replays the stored decisions of a period and regions under a draft's parameters and
// compares with what was actually decided (issue 9). The database does the replay and the counting
// (evaluator-sql.ts, GROUPING SETS in one pass per slice): memory stays flat in the number of
// decisions, and a slice at a time lets the job report progress and stop when cancelled.

export const outcomes: RuleOutcome[] = ["approved", "referred", "declined", "fraud_hold"];

export const segmentKinds = ["all", "region", "model", "ageBand", "amountBand", "merchantCategory"] as const;
export type SegmentKind = (typeof segmentKinds)[number];

/** Counts and amounts of one (segment, actual outcome, replayed outcome) cell. */
interface Cell {
  segmentKind: SegmentKind;
  segment: string;
  actual: RuleOutcome;
  replayed: RuleOutcome;
  count: number;
  amount: number;
}

export interface SegmentSummary {
  segment: string;
  decisions: number;
  changed: number;
  approvalRate: { actual: number; replayed: number; delta: number };
  referralRate: { actual: number; replayed: number; delta: number };
  /** Sum of approved amounts, in the segment's currency (one region = one currency). */
  exposure: { actual: number; replayed: number; delta: number };
}

export interface BacktestResult {
  parametersHash: string;
  period: { from: string; to: string };
  regions: string[];
  decisions: number;
  changed: number;
  /** actual → replayed counts, only where they differ. */
  transitions: { from: RuleOutcome; to: RuleOutcome; count: number; amount: number }[];
  outcomeCounts: { outcome: RuleOutcome; actual: number; replayed: number }[];
  overall: SegmentSummary;
  segments: Record<Exclude<SegmentKind, "all">, SegmentSummary[]>;
  sample: { id: string; externalId: string; regionCode: string; kind: string; actual: RuleOutcome; replayed: RuleOutcome; amount: number; score: number; decidedAt: string }[];
  ranAt: string;
}

const ageBand = `CASE WHEN (d.features->>'age')::int < 18 THEN 'under 18' WHEN (d.features->>'age')::int < 25 THEN '18–24'
  WHEN (d.features->>'age')::int < 35 THEN '25–34' WHEN (d.features->>'age')::int < 50 THEN '35–49'
  WHEN (d.features->>'age')::int < 65 THEN '50–64' ELSE '65+' END`;
// Bands in the region's own currency units.
const amountBand = `CASE WHEN d.amount < 100 THEN 'under 100' WHEN d.amount < 500 THEN '100–499' WHEN d.amount < 2000 THEN '500–1,999'
  WHEN d.amount < 10000 THEN '2,000–9,999' ELSE '10,000 and above' END`;

/** The replay-and-count statement for one slice of the period (also the benchmark's subject). */
export function backtestSliceSql(parameters: RuleSetParameters) {
  return `WITH replay AS (
    SELECT d.region_code, d.model_name || ' ' || d.model_version AS model, ${ageBand} AS age_band, ${amountBand} AS amount_band,
           coalesce(d.features->>'merchantCategory', '(none)') AS merchant_category,
           d.outcome AS actual, ${ruleOutcomeSql(parameters)} AS replayed, d.amount
    FROM decision d
    WHERE d.region_code = ANY($1::text[]) AND d.decided_at >= $2 AND d.decided_at < $3
  )
  SELECT CASE WHEN GROUPING(region_code) = 0 THEN 'region' WHEN GROUPING(model) = 0 THEN 'model'
              WHEN GROUPING(age_band) = 0 THEN 'ageBand' WHEN GROUPING(amount_band) = 0 THEN 'amountBand'
              WHEN GROUPING(merchant_category) = 0 THEN 'merchantCategory' ELSE 'all' END AS segment_kind,
         coalesce(region_code, model, age_band, amount_band, merchant_category, 'all') AS segment,
         actual::text AS actual, replayed::text AS replayed, count(*)::int AS count, coalesce(sum(amount), 0)::float8 AS amount
  FROM replay
  GROUP BY GROUPING SETS ((actual, replayed), (region_code, actual, replayed), (model, actual, replayed),
                          (age_band, actual, replayed), (amount_band, actual, replayed), (merchant_category, actual, replayed))`;
}

/** Counts one slice of the period; cells of several slices add up. */
export async function countSlice(tx: Pick<Tx, "$queryRawUnsafe">, parameters: RuleSetParameters, regions: string[], from: Date, to: Date): Promise<Cell[]> {
  const rows = await tx.$queryRawUnsafe<{ segment_kind: SegmentKind; segment: string; actual: RuleOutcome; replayed: RuleOutcome; count: number; amount: number }[]>(
    backtestSliceSql(parameters),
    regions,
    from,
    to,
  );
  return rows.map((row) => ({ segmentKind: row.segment_kind, segment: row.segment, actual: row.actual, replayed: row.replayed, count: row.count, amount: row.amount }));
}

/** A handful of decisions whose outcome would change, newest first, for the results page. */
export async function sampleChanged(tx: Pick<Tx, "$queryRawUnsafe">, parameters: RuleSetParameters, regions: string[], from: Date, to: Date, limit = 20) {
  const rows = await tx.$queryRawUnsafe<{ id: string; external_id: string; region_code: string; kind: string; actual: RuleOutcome; replayed: RuleOutcome; amount: number; score: number; decided_at: Date }[]>(
    `SELECT * FROM (
       SELECT d.id::text, d.external_id, d.region_code, d.kind::text AS kind, d.outcome::text AS actual, ${ruleOutcomeSql(parameters)}::text AS replayed,
              d.amount::float8 AS amount, d.score, d.decided_at
       FROM decision d
       WHERE d.region_code = ANY($1::text[]) AND d.decided_at >= $2 AND d.decided_at < $3
     ) replay WHERE actual <> replayed ORDER BY decided_at DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
    regions,
    from,
    to,
  );
  return rows.map((row) => ({
    id: row.id,
    externalId: row.external_id,
    regionCode: row.region_code,
    kind: row.kind,
    actual: row.actual,
    replayed: row.replayed,
    amount: row.amount,
    score: row.score,
    decidedAt: row.decided_at.toISOString(),
  }));
}

/** Adds the cells of several slices. */
export function mergeCells(cells: Cell[]): Cell[] {
  const merged = new Map<string, Cell>();
  for (const cell of cells) {
    const key = `${cell.segmentKind}\u0000${cell.segment}\u0000${cell.actual}\u0000${cell.replayed}`;
    const existing = merged.get(key);
    if (existing) {
      existing.count += cell.count;
      existing.amount += cell.amount;
    } else merged.set(key, { ...cell });
  }
  return [...merged.values()];
}

const rate = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
const round = (value: number, digits = 6) => Math.round(value * 10 ** digits) / 10 ** digits;

function summarise(segment: string, cells: Cell[]): SegmentSummary {
  let decisions = 0;
  let changed = 0;
  const approved = { actual: 0, replayed: 0 };
  const referred = { actual: 0, replayed: 0 };
  const exposure = { actual: 0, replayed: 0 };
  for (const cell of cells) {
    decisions += cell.count;
    if (cell.actual !== cell.replayed) changed += cell.count;
    if (cell.actual === "approved") {
      approved.actual += cell.count;
      exposure.actual += cell.amount;
    }
    if (cell.replayed === "approved") {
      approved.replayed += cell.count;
      exposure.replayed += cell.amount;
    }
    if (cell.actual === "referred") referred.actual += cell.count;
    if (cell.replayed === "referred") referred.replayed += cell.count;
  }
  const rates = (counts: { actual: number; replayed: number }) => {
    const actual = rate(counts.actual, decisions);
    const replayed = rate(counts.replayed, decisions);
    return { actual: round(actual), replayed: round(replayed), delta: round(replayed - actual) };
  };
  return {
    segment,
    decisions,
    changed,
    approvalRate: rates(approved),
    referralRate: rates(referred),
    exposure: { actual: round(exposure.actual, 2), replayed: round(exposure.replayed, 2), delta: round(exposure.replayed - exposure.actual, 2) },
  };
}

/** The stored result from the merged cells of every slice. */
export function summariseBacktest(input: { cells: Cell[]; parametersHash: string; from: Date; to: Date; regions: string[]; sample: BacktestResult["sample"]; ranAt: Date }): BacktestResult {
  const all = input.cells.filter((cell) => cell.segmentKind === "all");
  const overall = summarise("all", all);
  const transitions = all
    .filter((cell) => cell.actual !== cell.replayed)
    .map((cell) => ({ from: cell.actual, to: cell.replayed, count: cell.count, amount: round(cell.amount, 2) }))
    .sort((a, b) => b.count - a.count);
  const outcomeCounts = outcomes.map((outcome) => ({
    outcome,
    actual: all.filter((cell) => cell.actual === outcome).reduce((sum, cell) => sum + cell.count, 0),
    replayed: all.filter((cell) => cell.replayed === outcome).reduce((sum, cell) => sum + cell.count, 0),
  }));
  const segments = {} as BacktestResult["segments"];
  for (const kind of segmentKinds) {
    if (kind === "all") continue;
    const bySegment = new Map<string, Cell[]>();
    for (const cell of input.cells.filter((entry) => entry.segmentKind === kind)) {
      bySegment.set(cell.segment, [...(bySegment.get(cell.segment) ?? []), cell]);
    }
    segments[kind] = [...bySegment.entries()].map(([segment, cells]) => summarise(segment, cells)).sort((a, b) => a.segment.localeCompare(b.segment));
  }
  return {
    parametersHash: input.parametersHash,
    period: { from: input.from.toISOString(), to: input.to.toISOString() },
    regions: input.regions,
    decisions: overall.decisions,
    changed: overall.changed,
    transitions,
    outcomeCounts,
    overall,
    segments,
    sample: input.sample,
    ranAt: input.ranAt.toISOString(),
  };
}

/** Splits [from, to) into `slices` equal time slices (the unit of progress and cancellation). */
export function slicesOf(from: Date, to: Date, slices: number) {
  const span = to.getTime() - from.getTime();
  const count = Math.max(1, Math.min(slices, Math.ceil(span / 3_600_000)));
  return Array.from({ length: count }, (_, index) => ({
    from: new Date(from.getTime() + Math.floor((span * index) / count)),
    to: index === count - 1 ? to : new Date(from.getTime() + Math.floor((span * (index + 1)) / count)),
  }));
}
