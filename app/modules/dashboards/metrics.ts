// The dashboard metrics as pure functions over counts (docs/metrics.md gives each formula, population
// and source). They take the histograms and counts the rollups hold, so the same function serves the
// dashboards and the check against the raw tables.

/** PSI thresholds in common model-risk practice: < 0.10 stable, 0.10–0.25 investigate, ≥ 0.25 shifted. */
export const PSI_AMBER = 0.1;
export const PSI_RED = 0.25;
/** Four-fifths rule (US Uniform Guidelines on Employee Selection Procedures, 29 CFR 1607.4(D)). */
export const AIR_RED = 0.8;
/** Share used in place of an empty bin's zero, so that PSI stays finite (ln 0 is undefined). */
export const PSI_EMPTY_SHARE = 0.0001;
const Z_95 = 1.959963984540054;

export type Band = "green" | "amber" | "red";

export function psiBand(psi: number): Band {
  return psi >= PSI_RED ? "red" : psi >= PSI_AMBER ? "amber" : "green";
}

export interface PsiBin {
  /** First and last fine-grid bin (inclusive) of this baseline decile. */
  fromBin: number;
  toBin: number;
  baseline: number;
  current: number;
  baselineShare: number;
  currentShare: number;
  contribution: number;
}

export interface PsiResult {
  psi: number;
  band: Band;
  bins: PsiBin[];
  baselineTotal: number;
  currentTotal: number;
}

/**
 * Population stability index of `current` against `baseline`, both counts on the same fine grid of
 * score bins (index = bin). The bins are the baseline's deciles: fine bin j belongs to group
 * min(9, ⌊10 · C(j−1) / N⌋), where C(j−1) is the baseline count below j and N the baseline total, so
 * each group starts where the baseline's cumulative share crosses a tenth. Ties on the grid keep a bin
 * whole (fewer than ten groups when one grid bin holds more than a tenth). PSI = Σ (c − b) · ln(c / b)
 * over the groups, with an empty share replaced by PSI_EMPTY_SHARE. Null when either side is empty.
 */
export function populationStabilityIndex(baseline: readonly number[], current: readonly number[]): PsiResult | null {
  const length = Math.max(baseline.length, current.length);
  const baselineTotal = sum(baseline);
  const currentTotal = sum(current);
  if (baselineTotal === 0 || currentTotal === 0) return null;
  const groups = new Map<number, PsiBin>();
  let below = 0;
  for (let bin = 0; bin < length; bin++) {
    const group = Math.min(9, Math.floor((10 * below) / baselineTotal));
    const entry = groups.get(group) ?? { fromBin: bin, toBin: bin, baseline: 0, current: 0, baselineShare: 0, currentShare: 0, contribution: 0 };
    entry.toBin = bin;
    entry.baseline += baseline[bin] ?? 0;
    entry.current += current[bin] ?? 0;
    groups.set(group, entry);
    below += baseline[bin] ?? 0;
  }
  const bins = [...groups.values()];
  let psi = 0;
  for (const entry of bins) {
    entry.baselineShare = entry.baseline / baselineTotal;
    entry.currentShare = entry.current / currentTotal;
    const b = Math.max(entry.baselineShare, PSI_EMPTY_SHARE);
    const c = Math.max(entry.currentShare, PSI_EMPTY_SHARE);
    entry.contribution = (c - b) * Math.log(c / b);
    psi += entry.contribution;
  }
  return { psi, band: psiBand(psi), bins, baselineTotal, currentTotal };
}

export interface Interval {
  low: number;
  high: number;
}

export interface DiscriminationResult {
  goods: number;
  bads: number;
  /** P(score of a good > score of a bad) + ½ P(equal): higher scores should mean better payers. */
  auc: number;
  gini: number;
  ks: number;
  /** Score bin at which the two cumulative distributions are furthest apart. */
  ksBin: number;
  /** 95% interval by DeLong's variance (null with fewer than two of either class). */
  aucInterval: Interval | null;
  giniInterval: Interval | null;
}

/**
 * AUC, Gini (= 2·AUC − 1) and KS of a score against repayment, from the counts of goods and bads per
 * ordered score bin. Scores in the same bin are ties (each counts ½). The confidence interval uses
 * DeLong, Clarke-Pearson & DeLong (1988): the placement value of each good (share of bads below it)
 * and of each bad (share of goods above it), whose sample variances give Var(AUC) = S₁₀/m + S₀₁/n.
 * Null when either class is empty (a single-class population has no AUC).
 */
export function discrimination(goodsByBin: readonly number[], badsByBin: readonly number[]): DiscriminationResult | null {
  const length = Math.max(goodsByBin.length, badsByBin.length);
  const goods = sum(goodsByBin);
  const bads = sum(badsByBin);
  if (goods === 0 || bads === 0) return null;
  // Placement values per bin: a good in bin j beats the bads below j and ties those in j.
  let badsBelow = 0;
  let goodsBelow = 0;
  let aucSum = 0;
  let ks = 0;
  let ksBin = 0;
  const goodPlacement: number[] = [];
  const badPlacement: number[] = [];
  for (let bin = 0; bin < length; bin++) {
    const g = goodsByBin[bin] ?? 0;
    const b = badsByBin[bin] ?? 0;
    goodPlacement[bin] = (badsBelow + 0.5 * b) / bads;
    badPlacement[bin] = (goods - goodsBelow - g + 0.5 * g) / goods;
    aucSum += g * (badsBelow + 0.5 * b);
    badsBelow += b;
    goodsBelow += g;
    const distance = Math.abs(badsBelow / bads - goodsBelow / goods);
    if (distance > ks + 1e-15) {
      ks = distance;
      ksBin = bin;
    }
  }
  const auc = aucSum / (goods * bads);
  let aucInterval: Interval | null = null;
  if (goods >= 2 && bads >= 2) {
    const s10 = weightedSampleVariance(goodPlacement, goodsByBin, goods);
    const s01 = weightedSampleVariance(badPlacement, badsByBin, bads);
    const se = Math.sqrt(s10 / goods + s01 / bads);
    aucInterval = { low: Math.max(0, auc - Z_95 * se), high: Math.min(1, auc + Z_95 * se) };
  }
  return {
    goods,
    bads,
    auc,
    gini: 2 * auc - 1,
    ks,
    ksBin,
    aucInterval,
    giniInterval: aucInterval ? { low: 2 * aucInterval.low - 1, high: 2 * aucInterval.high - 1 } : null,
  };
}

function weightedSampleVariance(values: readonly number[], weights: readonly number[], total: number) {
  let mean = 0;
  values.forEach((value, index) => (mean += value * (weights[index] ?? 0)));
  mean /= total;
  let squares = 0;
  values.forEach((value, index) => (squares += (weights[index] ?? 0) * (value - mean) ** 2));
  return squares / (total - 1);
}

export interface GroupCounts {
  group: string;
  decisions: number;
  approved: number;
  /** Good payers (repayment observed, never 30+) and how many of them the engine approved. */
  goods?: number;
  goodsApproved?: number;
}

export interface FairnessRow extends GroupCounts {
  approvalRate: number | null;
  /** Approval rate over the most-favoured group's (the four-fifths rule); null without decisions. */
  adverseImpactRatio: number | null;
  isBelowFourFifths: boolean;
  truePositiveRate: number | null;
  /** TPR of this group minus the most-favoured group's, where both have good payers. */
  truePositiveRateDifference: number | null;
  isReference: boolean;
}

/**
 * Approval rate, adverse impact ratio and true-positive-rate difference per group. The reference is
 * the group with the highest approval rate among groups with at least `minDecisions` decisions (smaller
 * groups are still shown, but cannot become the reference by chance).
 */
export function fairnessByGroup(groups: readonly GroupCounts[], minDecisions = 1): { rows: FairnessRow[]; reference: string | null } {
  const rate = (approved: number, total: number) => (total > 0 ? approved / total : null);
  const eligible = groups.filter((group) => group.decisions >= Math.max(1, minDecisions));
  const reference = eligible.reduce<GroupCounts | null>((best, group) => (best === null || group.approved / group.decisions > best.approved / best.decisions ? group : best), null);
  const referenceRate = reference ? reference.approved / reference.decisions : null;
  const referenceTpr = reference?.goods ? rate(reference.goodsApproved ?? 0, reference.goods) : null;
  const rows = groups.map((group) => {
    const approvalRate = rate(group.approved, group.decisions);
    const adverseImpactRatio = approvalRate === null || !referenceRate ? null : approvalRate / referenceRate;
    const truePositiveRate = group.goods ? rate(group.goodsApproved ?? 0, group.goods) : null;
    return {
      ...group,
      approvalRate,
      adverseImpactRatio,
      // Compared on the integer counts (a·R·5 < 4·A·r), so a ratio of exactly four fifths is not below it.
      isBelowFourFifths: adverseImpactRatio !== null && reference !== null && group.approved * reference.decisions * 5 < 4 * reference.approved * group.decisions,
      truePositiveRate,
      truePositiveRateDifference: truePositiveRate === null || referenceTpr === null ? null : truePositiveRate - referenceTpr,
      isReference: reference?.group === group.group,
    };
  });
  return { rows, reference: reference?.group ?? null };
}

export interface VintageCounts {
  /** First day of the vintage month, YYYY-MM-01. */
  vintage: string;
  booked: number;
  /** Decisions that first reached the stage at each month on book. */
  firstReachedByMob: ReadonlyMap<number, number>;
}

export interface VintagePoint {
  mob: number;
  share: number;
  reached: number;
}

/**
 * Cumulative share of a vintage that has reached a delinquency stage by each month on book, up to the
 * months the vintage has been observed (`asOfMonth` − vintage); later months are not yet known and are
 * left out rather than drawn flat.
 */
export function vintageCurve(counts: VintageCounts, asOfMonth: string): VintagePoint[] {
  if (counts.booked === 0) return [];
  const observed = monthsBetween(counts.vintage, asOfMonth);
  const points: VintagePoint[] = [];
  let reached = 0;
  for (let mob = 0; mob <= observed; mob++) {
    reached += counts.firstReachedByMob.get(mob) ?? 0;
    points.push({ mob, reached, share: reached / counts.booked });
  }
  return points;
}

/** Whole calendar months from `from` to `to` (YYYY-MM or YYYY-MM-DD), never negative. */
export function monthsBetween(from: string, to: string) {
  const [fromYear, fromMonth] = from.split("-").map(Number) as [number, number];
  const [toYear, toMonth] = to.split("-").map(Number) as [number, number];
  return Math.max(0, (toYear - fromYear) * 12 + (toMonth - fromMonth));
}

export function rate(part: number, whole: number) {
  return whole > 0 ? part / whole : null;
}

function sum(values: readonly number[]) {
  let total = 0;
  for (const value of values) total += value ?? 0;
  return total;
}
