import { randomUUID } from "node:crypto";
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
  // Raw statements: a thousand-decision batch is read and queued in a few milliseconds, where
  // Prisma's findMany/createMany with a thousand bound ids took a quarter of a second.
  const decisions = await tx.$queryRaw<{ id: string; regionCode: string; kind: DecisionKind; outcome: DecisionOutcome; score: number }[]>`
    SELECT id::text AS id, region_code AS "regionCode", kind::text AS kind, outcome::text AS outcome, score
    FROM decision WHERE id = ANY(${decisionIds}::uuid[]) AND review_state = 'not_required'`;
  const bands = await activeScoreBands(tx, [...new Set(decisions.map((decision) => decision.regionCode))]);
  const reviews = decisions.flatMap((decision) => {
    const trigger = reviewTriggerFor(decision, bands.get(decision.regionCode) ?? null);
    if (!trigger) return [];
    opened[trigger] = (opened[trigger] ?? 0) + 1;
    return [{ id: randomUUID(), decisionId: decision.id, regionCode: decision.regionCode, trigger, priority: reviewPriorityByTrigger[trigger], dueAt: reviewDueAt(trigger, now) }];
  });
  if (reviews.length > 0) {
    await tx.$executeRaw`
      INSERT INTO review (id, decision_id, region_code, trigger, priority, opened_at, due_at)
      SELECT id, decision_id, region_code, trigger, priority, ${now.toISOString()}::timestamptz, due_at FROM unnest(
        ${reviews.map((review) => review.id)}::uuid[], ${reviews.map((review) => review.decisionId)}::uuid[],
        ${reviews.map((review) => review.regionCode)}::varchar[], ${reviews.map((review) => review.trigger)}::text[]::"ReviewTrigger"[],
        ${reviews.map((review) => review.priority)}::smallint[], ${reviews.map((review) => review.dueAt.toISOString())}::timestamptz[]
      ) AS queued(id, decision_id, region_code, trigger, priority, due_at)`;
    await tx.$executeRaw`UPDATE decision SET review_state = 'queued' WHERE id = ANY(${reviews.map((review) => review.decisionId)}::uuid[])`;
  }
  return opened;
}
