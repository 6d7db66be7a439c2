import type { DecisionFeatures } from "~/modules/decisions/features";
import type { RuleSetParameters } from "./schema";

// The rules of a rule-set version (DESIGN.md §10), once: a pure function of the parameters and one
// decision's input (its kind, the model's score, the amount and the features the model saw). The seed's
// decision engine, the backtest and the engine's published contract (docs/rulesets.md) all follow this
// function; evaluator-sql.ts states the same rules in SQL for the backtest, and its tests hold the two
// equal row by row (ADR 010).
//
// Order matters: hard rules first (the first that fires decides), then the score bands.

export type DecisionKindName = "credit" | "limit" | "fraud";
export type RuleOutcome = "approved" | "declined" | "referred" | "fraud_hold";

export interface RuleInput {
  kind: DecisionKindName;
  score: number;
  /** The order amount (credit, fraud) or requested limit (limit), in the region's currency. */
  amount: number;
  features: DecisionFeatures;
}

/** Which rule decided, in the order they are tried. */
export const ruleIds = [
  "minimum_age",
  "identity_not_verified",
  "max_order_amount",
  "bureau_file_missing",
  "credit_limit_exceeded",
  "requested_limit_above_credit_limit",
  "affordability_not_verified",
  "fraud_hold",
  "fraud_clear",
  "score_approve",
  "score_refer",
  "score_decline",
] as const;
export type RuleId = (typeof ruleIds)[number];

export interface RuleEvaluation {
  outcome: RuleOutcome;
  rule: RuleId;
  /** Declined or referred by a hard rule rather than by the score bands. */
  isRuleDecision: boolean;
}

const hard = (outcome: RuleOutcome, rule: RuleId): RuleEvaluation => ({ outcome, rule, isRuleDecision: true });

/** The order amount a credit rule compares: the feature the model saw, else the decision's amount. */
function orderAmountOf(input: RuleInput) {
  return input.features.orderAmount ?? input.amount;
}

function scoreBands(parameters: RuleSetParameters, score: number): RuleEvaluation {
  const { approveAbove, declineBelow } = parameters.scoreBands;
  if (score >= approveAbove) return { outcome: "approved", rule: "score_approve", isRuleDecision: false };
  if (score < declineBelow) return { outcome: "declined", rule: "score_decline", isRuleDecision: false };
  return { outcome: "referred", rule: "score_refer", isRuleDecision: false };
}

export function evaluateRules(parameters: RuleSetParameters, input: RuleInput): RuleEvaluation {
  const { features } = input;
  if (input.kind === "fraud") {
    return input.score >= parameters.fraudHoldAbove
      ? { outcome: "fraud_hold", rule: "fraud_hold", isRuleDecision: false }
      : { outcome: "approved", rule: "fraud_clear", isRuleDecision: false };
  }
  if (features.age < parameters.minimumAge) return hard("declined", "minimum_age");
  if (input.kind === "limit") {
    const requested = features.requestedLimit ?? input.amount;
    if (requested > parameters.creditLimit) return hard("declined", "requested_limit_above_credit_limit");
    return scoreBands(parameters, input.score);
  }
  const orderAmount = orderAmountOf(input);
  // Only an explicit failed check declines; an engine that does not report the check is not penalised.
  if (features.identityVerified === false) return hard("declined", "identity_not_verified");
  if (orderAmount > parameters.maxOrderAmount) return hard("declined", "max_order_amount");
  if ((features.bureauScore ?? null) === null && orderAmount > parameters.bureauCheckAbove) return hard("declined", "bureau_file_missing");
  if ((features.existingExposure ?? 0) + orderAmount > parameters.creditLimit) return hard("declined", "credit_limit_exceeded");
  // CCD2 Art. 18: above the threshold, credit needs verified income; without it a person decides.
  if (orderAmount > parameters.affordabilityCheckAbove && features.incomeVerified !== true) return hard("referred", "affordability_not_verified");
  return scoreBands(parameters, input.score);
}
