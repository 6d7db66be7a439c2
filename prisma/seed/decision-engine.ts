import type { DecisionKind, DecisionOutcome } from "~/generated/prisma/enums";
import type { DecisionFeatures } from "~/modules/decisions/features";
import { merchantCategories } from "~/modules/decisions/features";
import { evaluateRules } from "~/modules/rulesets/evaluator";
import type { RuleSetParameters } from "~/modules/rulesets/schema";
import { dayMs } from "./calendar";
import { clamp, round, sigmoid } from "./format";
import type { MarketProfile } from "./markets";
import type { ModelVersion } from "./models";
import { ageAt, type CustomerTraits } from "./people";
import type { Random } from "./random";

// A stand-in for the lender's decision engine: builds the features a model would see, scores them with
// a logistic model per kind, applies the rule-set version in force (the rulesets module's evaluator) and
// attaches reason codes taken
// from the terms that pulled the score down — so every code cites a feature the model actually scored.

export interface CreditLine {
  decidedAt: number;
  amount: number;
  termDays: number;
  /** When an installment was first missed (its due date); null if never. */
  missedAt: number | null;
  /** Share of the amount still owed at the missed installment. */
  owedShareAtMiss: number;
  /** Repaid in full, or written off after default. */
  settledAt: number;
}

/** What the lender already knows about a customer when a new decision comes in. */
export class CustomerHistory {
  readonly credits: CreditLine[] = [];

  exposureAt(time: number) {
    let exposure = 0;
    for (const credit of this.credits) {
      if (credit.decidedAt >= time || credit.settledAt <= time) continue;
      let owedShare = 1 - clamp((time - credit.decidedAt) / (credit.termDays * dayMs), 0, 1);
      if (credit.missedAt !== null && time >= credit.missedAt) owedShare = Math.max(owedShare, credit.owedShareAtMiss);
      exposure += credit.amount * owedShare;
    }
    return exposure;
  }

  /** Late payments the lender had observed by `time` (30 days past due). */
  latePaymentsBefore(time: number) {
    let count = 0;
    for (const credit of this.credits) {
      if (credit.missedAt !== null && credit.missedAt + 30 * dayMs < time) count++;
    }
    return count;
  }
}

export interface ReasonContribution {
  code: string;
  /** Share of the adverse evidence attributed to this code (the listed codes sum to 1). */
  contribution: number;
}

export interface EngineInput {
  kind: DecisionKind;
  time: number;
  market: MarketProfile;
  rules: RuleSetParameters;
  model: ModelVersion;
  /** Calibration offset and drift of the model version at `time`. */
  modelOffset: number;
  traits: CustomerTraits;
  history: CustomerHistory;
  customerCreatedAt: number;
  random: Random;
}

export interface EngineResult {
  features: DecisionFeatures;
  amount: number;
  score: number;
  outcome: DecisionOutcome;
  reasons: ReasonContribution[];
  /** Ground truth for what happens next: credit quality (credit, limit) or fraud propensity (fraud). */
  riskLogit: number;
  /** Declined or referred by a hard rule of the rule set rather than by the score bands. */
  isRuleDecision: boolean;
}

interface Term {
  code: string | null;
  logit: number;
}

const categoryOrderFactor: Record<(typeof merchantCategories)[number], number> = {
  fashion: 1,
  electronics: 2.6,
  home: 1.8,
  beauty: 0.55,
  sports: 1.3,
  travel: 3.2,
  entertainment: 0.8,
};

const categoryWeights = { fashion: 34, electronics: 16, home: 14, beauty: 12, sports: 10, travel: 6, entertainment: 8 };

function priceFor(market: MarketProfile, raw: number, random: Random) {
  if (market.hasWholeUnitPrices) return raw < 100 ? Math.max(19, Math.round(raw)) : Math.round(raw / 10) * 10 - 1;
  const whole = Math.max(4, Math.floor(raw));
  return whole + random.pick([0.95, 0.99, 0.9, 0, 0.5, 0.95, 0.99]);
}

const creditIntercept = 2.45;

/** Terms of the credit model's logit; negative terms become reason codes. */
function creditTerms(features: DecisionFeatures, input: EngineInput): Term[] {
  const { rules, market } = input;
  const income = features.verifiedMonthlyIncome ?? null;
  const exposure = features.existingExposure ?? 0;
  const history = features.creditHistoryMonths ?? 0;
  const monthsAtAddress = features.monthsAtAddress ?? 0;
  const terms: Term[] = [
    { code: "CH04", logit: features.bureauScore != null ? (features.bureauScore - 640) / 65 : -0.25 },
    { code: "CH01", logit: -0.85 * Math.min(features.previousDelinquencies ?? 0, 3) },
    { code: "CH05", logit: -0.25 * Math.max(0, (features.recentCreditInquiries ?? 0) - 2) },
    { code: "CH03", logit: -0.9 * Math.min(features.internalLatePayments ?? 0, 3) },
    { code: "CH02", logit: history < 12 ? -0.7 : history < 36 ? -0.25 : 0 },
    { code: "EX01", logit: (-2.2 * exposure) / rules.creditLimit },
    { code: "ID02", logit: monthsAtAddress < 6 ? -0.45 : monthsAtAddress < 12 ? -0.15 : 0 },
    { code: "FR05", logit: -6 * Math.max(0, (features.fraudScore ?? 0) - 0.04) },
  ];
  const requested = features.orderAmount ?? features.requestedLimit ?? 0;
  if (income !== null) {
    terms.push({ code: "AF01", logit: -3 * Math.max(0, requested / income - 0.1) });
    terms.push({ code: "AF03", logit: -1.5 * Math.max(0, exposure / income - 0.3) });
    terms.push({ code: null, logit: 0.35 });
  } else {
    // Without verified income the model can only judge the size of the order against the market.
    const typical = features.requestedLimit !== undefined ? rules.creditLimit / 4 : market.medianOrderAmount;
    terms.push({ code: null, logit: -0.35 * Math.max(0, Math.log(requested / typical)) });
  }
  if (features.requestedLimit !== undefined) {
    const tenure = features.accountAgeMonths ?? 0;
    terms.push({ code: "EX03", logit: tenure < 6 ? (-0.8 * features.requestedLimit) / rules.creditLimit : 0 });
  }
  return terms;
}

/** Terms of the fraud model's logit; all of them are fraud signals (never disclosed). */
function fraudTerms(features: DecisionFeatures, market: MarketProfile): Term[] {
  const emailAgeDays = features.emailAgeDays ?? 9_999;
  return [
    { code: "FR05", logit: 4 * (features.fraudScore ?? 0) },
    { code: "FR01", logit: features.deviceRisk === "high" ? 2.2 : features.deviceRisk === "medium" ? 0.8 : 0 },
    { code: "FR02", logit: 0.7 * Math.min(features.velocity24h ?? 0, 6) },
    { code: "FR03", logit: features.shippingBillingMismatch ? 1.4 : 0 },
    { code: "FR04", logit: emailAgeDays < 30 ? 2.2 : emailAgeDays < 180 ? 0.6 : 0 },
    { code: null, logit: features.identityVerified ? 0 : 1 },
    { code: null, logit: (features.orderAmount ?? 0) > market.medianOrderAmount * 4 ? 0.4 : 0 },
  ];
}

/**
 * The principal reasons behind an adverse score: the codes whose terms pulled the logit furthest in
 * the adverse direction, at most `limit`, each with its share of the adverse evidence.
 */
function principalReasons(terms: Term[], direction: "negative" | "positive", limit: number, minimumLogit = 0.12) {
  const impactByCode = new Map<string, number>();
  for (const term of terms) {
    if (term.code === null) continue;
    const impact = direction === "negative" ? -term.logit : term.logit;
    if (impact >= minimumLogit) impactByCode.set(term.code, (impactByCode.get(term.code) ?? 0) + impact);
  }
  const ranked = [...impactByCode.entries()].sort((a, b) => b[1] - a[1]).slice(0, limit);
  return shares(ranked);
}

function shares(ranked: [string, number][], totalShare = 1): ReasonContribution[] {
  const total = ranked.reduce((sum, [, impact]) => sum + impact, 0);
  if (total === 0) return [];
  return ranked.map(([code, impact]) => ({ code, contribution: round((impact / total) * totalShare, 3) }));
}

/** A hard-rule code first, then the model's own principal reasons sharing what is left. */
function ruleThenModelReasons(ruleCodes: [string, number][], modelReasons: ReasonContribution[], limit = 4) {
  const ruleShare = ruleCodes.reduce((sum, [, share]) => sum + share, 0);
  const listed = new Set(ruleCodes.map(([code]) => code));
  const rest = modelReasons.filter((reason) => !listed.has(reason.code)).slice(0, limit - ruleCodes.length);
  const restTotal = rest.reduce((sum, reason) => sum + reason.contribution, 0);
  const reasons = ruleCodes.map(([code, share]) => ({
    code,
    contribution: rest.length ? share : round(share / ruleShare, 3),
  }));
  for (const reason of rest) {
    reasons.push({ code: reason.code, contribution: round(((1 - ruleShare) * reason.contribution) / restTotal, 3) });
  }
  return reasons;
}

/** A hold always names at least the fraud score, even when no single signal stood out. */
function withFallback(reasons: ReasonContribution[], code: string) {
  return reasons.length > 0 ? reasons : [{ code, contribution: 1 }];
}

function sumLogits(terms: Term[]) {
  let total = 0;
  for (const term of terms) total += term.logit;
  return total;
}

/** Signals about the applicant that every kind of decision sees. */
function observeApplicant(input: EngineInput) {
  const { traits, time, random, history, customerCreatedAt } = input;
  const monthsSinceFirstSeen = Math.max(0, Math.floor((time - customerCreatedAt) / (30.4 * dayMs)));
  const consortiumLogit = traits.isCarefulFraudster
    ? -2.6 + random.normal()
    : traits.isFraudster
      ? -0.9 + random.normal()
      : -4 + (traits.deviceRisk === "high" ? 0.8 : 0) + 0.7 * random.normal();
  return {
    age: ageAt(traits.dateOfBirth, time),
    accountAgeMonths: monthsSinceFirstSeen,
    identityVerified: traits.isIdentityConsistent,
    fraudScore: round(sigmoid(consortiumLogit), 4),
    deviceRisk: random.chance(0.1) ? random.weighted({ low: 0.7, medium: 0.25, high: 0.05 }) : traits.deviceRisk,
    creditHistoryMonths: traits.creditHistoryMonthsAtStart + monthsSinceFirstSeen,
    monthsAtAddress: traits.monthsAtAddressAtStart + monthsSinceFirstSeen,
    internalLatePayments: history.latePaymentsBefore(time),
    existingExposure: round(history.exposureAt(time), 2),
  };
}

function bureauScoreFor(input: EngineInput, internalLatePayments: number) {
  const { traits, random } = input;
  if (!traits.hasBureauFile) return null;
  return clamp(Math.round(traits.bureauScoreBase + random.normal() * 14 - 30 * internalLatePayments), 1, 999);
}

/** The lender's own view of credit quality, plus what its features cannot see. */
function creditRiskLogit(modelLogit: number, traits: CustomerTraits) {
  return 0.85 * modelLogit + 0.75 * traits.creditworthiness + 1.35 + (traits.isFraudster ? -4 : 0);
}

function decideCredit(input: EngineInput): EngineResult {
  const { market, rules, random, traits, model, modelOffset } = input;
  const applicant = observeApplicant(input);
  const merchantCategory = random.weighted(categoryWeights);
  const rawAmount = random.logNormal(market.medianOrderAmount * categoryOrderFactor[merchantCategory], 0.8);
  const orderAmount = priceFor(market, traits.isFraudster ? rawAmount * 1.8 : rawAmount, random);
  const needsAffordabilityCheck = orderAmount > rules.affordabilityCheckAbove;
  const incomeVerified = needsAffordabilityCheck ? random.chance(0.78) : random.chance(0.12);
  const monthlyIncome = market.medianMonthlyIncome * traits.incomeRelativeToMarket;
  const bureauScore = bureauScoreFor(input, applicant.internalLatePayments);

  const features: DecisionFeatures = {
    age: applicant.age,
    orderAmount,
    merchantCategory,
    existingExposure: applicant.existingExposure,
    bureauScore,
    creditHistoryMonths: applicant.creditHistoryMonths,
    previousDelinquencies: traits.previousDelinquencies,
    recentCreditInquiries: random.poisson(0.7 + 0.6 * Math.max(0, -traits.creditworthiness)) + (traits.isFraudster ? 3 : 0),
    internalLatePayments: applicant.internalLatePayments,
    incomeVerified,
    verifiedMonthlyIncome: incomeVerified ? Math.round(monthlyIncome / 10) * 10 : null,
    monthsAtAddress: applicant.monthsAtAddress,
    identityVerified: applicant.identityVerified,
    accountAgeMonths: applicant.accountAgeMonths,
    fraudScore: applicant.fraudScore,
    deviceRisk: applicant.deviceRisk,
  };

  const terms = creditTerms(features, input);
  const underlying = creditIntercept + sumLogits(terms);
  const score = round(sigmoid(underlying + modelOffset + random.normal() * model.logitNoise), 4);
  const modelReasons = principalReasons(terms, "negative", 4);
  const result = { features, amount: orderAmount, score, riskLogit: creditRiskLogit(underlying, traits) };

  const ruleDecline = (ruleCodes: [string, number][]): EngineResult => ({
    ...result,
    outcome: "declined",
    reasons: ruleThenModelReasons(ruleCodes, modelReasons),
    isRuleDecision: true,
  });
  // The rules themselves live in the rulesets module; the engine only explains the one that fired.
  const evaluation = evaluateRules(rules, { kind: "credit", score, amount: orderAmount, features });
  switch (evaluation.rule) {
    case "minimum_age":
      return ruleDecline([["AG01", 1]]);
    case "identity_not_verified":
      return ruleDecline(bureauScore !== null ? [["ID01", 0.6], ["ID03", 0.4]] : [["ID01", 1]]);
    case "max_order_amount":
      return ruleDecline([["RS01", 0.7]]);
    case "bureau_file_missing":
      return ruleDecline(applicant.creditHistoryMonths < 12 ? [["RS03", 0.7], ["CH02", 0.3]] : [["RS03", 0.8]]);
    case "credit_limit_exceeded":
      return ruleDecline([["EX02", 0.6], ["EX01", 0.2]]);
    case "affordability_not_verified":
      return { ...result, outcome: "referred", reasons: ruleThenModelReasons([["AF02", 0.6]], modelReasons, 3), isRuleDecision: true };
    default:
      return explainScoreBand(result, evaluation.outcome, modelReasons, random);
  }
}

/** Reason codes for an outcome the score bands gave. */
function explainScoreBand(
  result: Omit<EngineResult, "outcome" | "reasons" | "isRuleDecision">,
  outcome: DecisionOutcome,
  modelReasons: ReasonContribution[],
  random: Random,
): EngineResult {
  if (outcome === "approved") {
    // An approval rarely carries a code: only when one factor still weighed heavily (a lower limit
    // offered, for instance), so reviewers can see it.
    const reasons = random.chance(0.03) ? modelReasons.slice(0, 1).map((reason) => ({ ...reason, contribution: 1 })) : [];
    return { ...result, outcome: "approved", reasons, isRuleDecision: false };
  }
  if (outcome === "declined") {
    return { ...result, outcome: "declined", reasons: renormalise(modelReasons.slice(0, 4)), isRuleDecision: false };
  }
  return { ...result, outcome: "referred", reasons: renormalise(modelReasons.slice(0, 3)), isRuleDecision: false };
}

function renormalise(reasons: ReasonContribution[]) {
  const total = reasons.reduce((sum, reason) => sum + reason.contribution, 0);
  return reasons.map((reason) => ({ code: reason.code, contribution: round(reason.contribution / total, 3) }));
}

function decideLimit(input: EngineInput): EngineResult {
  const { market, rules, random, traits, model, modelOffset } = input;
  const applicant = observeApplicant(input);
  const steps = market.limitSteps;
  const requestedLimit = steps[Math.min(steps.length - 1, Math.floor(random.exponential(1.6)))]!;
  const incomeVerified = random.chance(0.7);
  const bureauScore = bureauScoreFor(input, applicant.internalLatePayments);
  const features: DecisionFeatures = {
    age: applicant.age,
    requestedLimit,
    existingExposure: applicant.existingExposure,
    bureauScore,
    creditHistoryMonths: applicant.creditHistoryMonths,
    previousDelinquencies: traits.previousDelinquencies,
    internalLatePayments: applicant.internalLatePayments,
    incomeVerified,
    verifiedMonthlyIncome: incomeVerified
      ? Math.round((market.medianMonthlyIncome * traits.incomeRelativeToMarket) / 10) * 10
      : null,
    monthsAtAddress: applicant.monthsAtAddress,
    identityVerified: applicant.identityVerified,
    accountAgeMonths: applicant.accountAgeMonths,
    fraudScore: applicant.fraudScore,
  };
  const terms = creditTerms(features, input);
  const underlying = creditIntercept + 0.6 + sumLogits(terms);
  const score = round(sigmoid(underlying + modelOffset + random.normal() * model.logitNoise), 4);
  const modelReasons = principalReasons(terms, "negative", 4);
  const result = { features, amount: requestedLimit, score, riskLogit: creditRiskLogit(underlying, traits) };

  const evaluation = evaluateRules(rules, { kind: "limit", score, amount: requestedLimit, features });
  if (evaluation.rule === "minimum_age") {
    return { ...result, outcome: "declined", reasons: [{ code: "AG01", contribution: 1 }], isRuleDecision: true };
  }
  if (evaluation.rule === "requested_limit_above_credit_limit") {
    return { ...result, outcome: "declined", reasons: ruleThenModelReasons([["RS02", 0.7]], modelReasons), isRuleDecision: true };
  }
  return explainScoreBand(result, evaluation.outcome, modelReasons, random);
}

function decideFraud(input: EngineInput): EngineResult {
  const { market, rules, random, traits, model, modelOffset } = input;
  const applicant = observeApplicant(input);
  const merchantCategory = random.weighted(
    traits.isFraudster ? { ...categoryWeights, electronics: 60, travel: 15 } : categoryWeights,
  );
  const rawAmount = random.logNormal(market.medianOrderAmount * categoryOrderFactor[merchantCategory], 0.8);
  const orderAmount = priceFor(market, traits.isFraudster ? rawAmount * 1.8 : rawAmount, random);
  // Some genuine orders look like fraud: a gift shipped elsewhere from a new phone, several orders in
  // a day. They are most of the fraud holds, and the fraud analysts clear them.
  const looksSuspicious = !traits.isFraudster && random.chance(0.035);
  const isObviousFraudster = traits.isFraudster && !traits.isCarefulFraudster;
  const features: DecisionFeatures = {
    age: applicant.age,
    orderAmount,
    merchantCategory,
    accountAgeMonths: applicant.accountAgeMonths,
    identityVerified: applicant.identityVerified,
    fraudScore: applicant.fraudScore,
    deviceRisk: looksSuspicious ? random.weighted({ high: 0.7, medium: 0.3 }) : applicant.deviceRisk,
    velocity24h: isObviousFraudster || looksSuspicious ? random.integer(1, 6) : random.poisson(0.12),
    shippingBillingMismatch: isObviousFraudster ? random.chance(0.65) : random.chance(looksSuspicious ? 0.8 : 0.05),
    emailAgeDays: traits.emailAgeDaysAtStart + Math.round(applicant.accountAgeMonths * 30.4),
  };
  const terms = fraudTerms(features, market);
  const underlying = -5 + sumLogits(terms);
  const score = round(sigmoid(underlying + modelOffset + random.normal() * model.logitNoise), 4);
  const riskLogit = traits.isFraudster ? 2.5 : -7;
  if (evaluateRules(rules, { kind: "fraud", score, amount: orderAmount, features }).outcome === "fraud_hold") {
    return {
      features,
      amount: orderAmount,
      score,
      riskLogit,
      outcome: "fraud_hold",
      reasons: withFallback(principalReasons(terms, "positive", 4, 0.3), "FR05"),
      isRuleDecision: false,
    };
  }
  return { features, amount: orderAmount, score, riskLogit, outcome: "approved", reasons: [], isRuleDecision: false };
}

export function decide(input: EngineInput): EngineResult {
  if (input.kind === "credit") return decideCredit(input);
  if (input.kind === "limit") return decideLimit(input);
  return decideFraud(input);
}
