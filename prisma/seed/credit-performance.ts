import type { FraudOutcomeKind, InstallmentStatus } from "~/generated/prisma/enums";
import type { RuleSetParameters } from "~/modules/rulesets/schema";
import { dayMs, hourMs } from "./calendar";
import type { CreditLine } from "./decision-engine";
import { sigmoid } from "./format";
import type { Random } from "./random";

// What happened after a decision: installment status for approved credit (the ground truth behind
// delinquency-by-vintage, Gini and KS) and fraud outcomes (confirmed fraud, chargebacks).

export interface RepaymentObservation {
  status: InstallmentStatus;
  observedAt: number;
  outstandingAmount: number;
}

export interface FraudObservation {
  outcome: FraudOutcomeKind;
  reportedAt: number;
  lossAmount: number | null;
}

/**
 * How an approved purchase is paid back. The risk logit sets the odds: lower scores miss more
 * installments and default more often. Only what had happened by `now` is observed, so recent
 * vintages are mostly current and older ones mostly repaid.
 */
export function planRepayment(
  decision: { decidedAt: number; amount: number; riskLogit: number },
  rules: RuleSetParameters,
  now: number,
  random: Random,
): { line: CreditLine; observations: RepaymentObservation[] } {
  const { decidedAt, amount } = decision;
  const installments = rules.installments;
  const periodMs = (rules.termDays / installments) * dayMs;
  const badProbability = sigmoid(-decision.riskLogit);
  const defaultProbability = badProbability * 0.45;
  const curedProbability = badProbability * 0.55 + 0.02;
  const path = random.next();

  const planned: RepaymentObservation[] = [];
  let line: CreditLine;
  if (path < defaultProbability + curedProbability) {
    const missedInstallment = random.integer(1, installments);
    const missedAt = decidedAt + missedInstallment * periodMs;
    const owedShareAtMiss = (installments - missedInstallment + 1) / installments;
    const owed = amount * owedShareAtMiss;
    planned.push({ status: "late_30", observedAt: missedAt + 30 * dayMs, outstandingAmount: owed });
    if (path < defaultProbability) {
      planned.push({ status: "default_90", observedAt: missedAt + 90 * dayMs, outstandingAmount: owed });
      line = { decidedAt, amount, termDays: rules.termDays, missedAt, owedShareAtMiss, settledAt: missedAt + 180 * dayMs };
    } else {
      const repaidAt = missedAt + random.integer(35, 75) * dayMs;
      planned.push({ status: "repaid", observedAt: repaidAt, outstandingAmount: 0 });
      line = { decidedAt, amount, termDays: rules.termDays, missedAt, owedShareAtMiss, settledAt: repaidAt };
    }
  } else {
    const repaidAt = decidedAt + rules.termDays * dayMs + random.integer(-3, 1) * dayMs + random.integer(0, 23) * hourMs;
    planned.push({ status: "repaid", observedAt: repaidAt, outstandingAmount: 0 });
    line = { decidedAt, amount, termDays: rules.termDays, missedAt: null, owedShareAtMiss: 0, settledAt: repaidAt };
  }

  const observations = planned.filter((observation) => observation.observedAt <= now);
  if (observations.length === 0) {
    const observedAt = Math.min(now, Math.max(decidedAt + hourMs, now - random.integer(1, 7 * 24) * hourMs));
    const paidInstallments = Math.min(installments - 1, Math.floor((observedAt - decidedAt) / periodMs));
    observations.push({
      status: "current",
      observedAt,
      outstandingAmount: (amount * (installments - paidInstallments)) / installments,
    });
  }
  return { line, observations };
}

/**
 * A purchase by a fraudster that got through: the fraud team confirms it weeks later and most card
 * issuers charge the merchant back. Losses sit on the confirmed_fraud row; the chargeback row records
 * the dispute itself.
 */
export function planFraudLoss(decision: { decidedAt: number; amount: number }, now: number, random: Random) {
  const observations: FraudObservation[] = [];
  const confirmedAt = decision.decidedAt + random.integer(20, 75) * dayMs;
  if (confirmedAt <= now) {
    observations.push({ outcome: "confirmed_fraud", reportedAt: confirmedAt, lossAmount: decision.amount });
    const chargebackAt = decision.decidedAt + random.integer(30, 95) * dayMs;
    if (random.chance(0.6) && chargebackAt <= now) {
      observations.push({ outcome: "chargeback", reportedAt: chargebackAt, lossAmount: decision.amount });
    }
  }
  return observations;
}
