import { RuleSetParametersSchema } from "~/modules/rulesets/schema";
import type { DecisionKind, DecisionOutcome, ReviewTrigger } from "~/generated/prisma/enums";
import type { Tx } from "~/utils/db.server";
import { reviewDueAt, reviewPriorityByTrigger } from "./sla";

// Which decisions go to the review queue (DESIGN.md §8): referrals, fraud holds, and credit or limit
// decisions whose score fell in the grey band between the active rule set's decline-below and
// approve-above (the engine decided, but close to the line: EU AI Act Art. 14 human oversight).
// Called by ingestion inside its transaction; the review workflow reuses it.

export interface ScoreBands {
  approveAbove: number;
  declineBelow: number;
}

/** The queue rule a decision meets, or null when it needs no human look. */
export function reviewTriggerFor(
  decision: { kind: DecisionKind; outcome: DecisionOutcome; score: number },
  bands: ScoreBands | null,
): Extract<ReviewTrigger, "referral" | "fraud_hold" | "grey_band"> | null {
  if (decision.outcome === "referred") return "referral";
  if (decision.outcome === "fraud_hold") return "fraud_hold";
  if (decision.kind !== "fraud" && bands && decision.score >= bands.declineBelow && decision.score < bands.approveAbove) return "grey_band";
  return null;
}

/** The score bands of each region's active rule-set version (regions without one get no grey band). */
async function activeScoreBands(tx: Tx, regionCodes: string[]) {
  const versions = await tx.ruleSetVersion.findMany({
    where: { state: "active", regionCode: { in: regionCodes } },
    orderBy: { effectiveFrom: "desc" },
    select: { regionCode: true, parameters: true },
  });
  const bands = new Map<string, ScoreBands>();
  for (const version of versions) {
    if (bands.has(version.regionCode)) continue;
    const parsed = RuleSetParametersSchema.safeParse(version.parameters);
    if (parsed.success) bands.set(version.regionCode, parsed.data.scoreBands);
  }
  return bands;
}

/**
 * Opens one Review per newly ingested decision that meets a queue rule, with its SLA deadline, and
 * marks the decision queued. Decisions already reviewed or queued are left alone. Returns the number
 * of reviews opened per trigger.
 */
export async function openReviewsForIngestedDecisions(tx: Tx, decisionIds: string[], now = new Date()) {
  const opened: Partial<Record<ReviewTrigger, number>> = {};
  if (decisionIds.length === 0) return opened;
  const decisions = await tx.decision.findMany({
    where: { id: { in: decisionIds }, reviewState: "not_required" },
    select: { id: true, regionCode: true, kind: true, outcome: true, score: true },
  });
  const bands = await activeScoreBands(tx, [...new Set(decisions.map((decision) => decision.regionCode))]);
  const reviews = decisions.flatMap((decision) => {
    const trigger = reviewTriggerFor(decision, bands.get(decision.regionCode) ?? null);
    if (!trigger) return [];
    opened[trigger] = (opened[trigger] ?? 0) + 1;
    return [
      {
        decisionId: decision.id,
        regionCode: decision.regionCode,
        trigger,
        priority: reviewPriorityByTrigger[trigger],
        openedAt: now,
        dueAt: reviewDueAt(trigger, now),
      },
    ];
  });
  if (reviews.length > 0) {
    await tx.review.createMany({ data: reviews });
    await tx.decision.updateMany({ where: { id: { in: reviews.map((review) => review.decisionId) } }, data: { reviewState: "queued" } });
  }
  return opened;
}
