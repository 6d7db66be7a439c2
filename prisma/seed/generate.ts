import type { DecisionKind, DecisionOutcome, ReviewState, ReviewTrigger } from "~/generated/prisma/enums";
import { DecisionCalendar } from "./calendar";
import { planFraudLoss, planRepayment, type FraudObservation, type RepaymentObservation } from "./credit-performance";
import { CustomerHistory, decide, type ReasonContribution } from "./decision-engine";
import { flag, money, optionalTimestamp, timestamp } from "./format";
import { markets, type MarketProfile } from "./markets";
import { chooseModelVersion, modelLogitOffset } from "./models";
import { drawTraits, PersonFactory } from "./people";
import { PrivacyRequestPlanner, type PrivacyRegime, type PrivacyRequestPlan } from "./privacy-requests";
import { deriveSeed, Random } from "./random";
import { planReview, type ReviewedDecision, type ReviewPlan, type StaffDirectory } from "./reviews";
import { planRuleSet, versionInForce, type RuleSetPlan } from "./rule-sets";
import type { Cell, SeedTable } from "./tables";

// Generates the synthetic book customer by customer: a customer, their decisions in time order (each
// scored under the model version and rule-set version of its moment), what happened afterwards, the
// reviews the queue rules opened and any privacy requests they filed. Rows go to a RowSink table by
// table; one customer's rows always arrive together, parents first.

export interface RowSink {
  add(table: SeedTable, row: Cell[]): void;
  /** Called after each customer; may wait while earlier rows are written. */
  customerDone(decisionCount: number): Promise<void> | void;
}

export interface BookOptions {
  decisions: number;
  seed: number;
  now: Date;
}

export interface BookContext {
  staff: StaffDirectory;
  regimeByRegion: ReadonlyMap<string, PrivacyRegime>;
  currencyByRegion: ReadonlyMap<string, string>;
}

export interface BookStatistics {
  customers: number;
  decisionsByKindAndOutcome: Record<string, number>;
  reviewsByState: Record<string, number>;
  privacyRequestsByState: Record<string, number>;
  confirmedFraudDecisions: number;
  erasedCustomers: number;
}

interface DecisionDraft extends ReviewedDecision {
  externalId: string;
  modelName: string;
  modelVersion: string;
  amount: number;
  currency: string;
  featuresJson: string;
  ruleSetVersionId: string;
  reviewState: ReviewState;
  reasons: ReasonContribution[];
}

const kindWeights: Record<DecisionKind, number> = { credit: 58, fraud: 32, limit: 10 };

// Mean decisions per customer: 1 + 2.6 (geometric) — repeat shoppers dominate a BNPL book.
const extraDecisionsMean = 2.6;
const expectedDecisionsPerCustomer = 1 + extraDecisionsMean;

// Share of decisions that open a review (referrals, holds, grey band, samples), for sizing the queue.
const reviewShareEstimate = 0.032;

export function planRuleSets(options: BookOptions) {
  const calendar = new DecisionCalendar(options.now);
  const random = new Random(deriveSeed(options.seed, "rule-sets"));
  return new Map(markets.map((market) => [market.regionCode, planRuleSet(market, calendar, random)] as const));
}

export async function generateBook(
  options: BookOptions,
  context: BookContext,
  ruleSets: ReadonlyMap<string, RuleSetPlan>,
  sink: RowSink,
): Promise<BookStatistics> {
  const calendar = new DecisionCalendar(options.now);
  const now = calendar.end;
  const random = new Random(deriveSeed(options.seed, "book"));
  const people = new PersonFactory(options.seed);
  const marketShares = Object.fromEntries(markets.map((market) => [market.regionCode, market.share]));

  // A small demo book still needs a visible queue: keep reviews of the last `backlogDays` open, enough
  // for roughly forty items (at most a month's backlog), and never fewer than two days (a large
  // book's natural backlog).
  const dailyReviewsAtEnd = (options.decisions * reviewShareEstimate * 1.5) / calendar.windowDays;
  const reviewTiming = { now, backlogDays: Math.min(30, Math.max(2, 40 / Math.max(dailyReviewsAtEnd, 0.01))) };
  const expectedCustomers = options.decisions / expectedDecisionsPerCustomer;
  const privacyRequestTarget = Math.max(90, expectedCustomers / 400);
  const privacy = new PrivacyRequestPlanner(
    now,
    calendar.start,
    Math.min(1, privacyRequestTarget / expectedCustomers),
    context.staff,
    reviewTiming,
  );

  const statistics: BookStatistics = {
    customers: 0,
    decisionsByKindAndOutcome: {},
    reviewsByState: {},
    privacyRequestsByState: {},
    confirmedFraudDecisions: 0,
    erasedCustomers: 0,
  };
  const customerSequence = new Map<string, number>();
  const decisionSequence = new Map<string, number>();
  let repaymentSequence = 0;
  let fraudOutcomeSequence = 0;
  let remaining = options.decisions;

  while (remaining > 0) {
    const regionCode = random.weighted(marketShares);
    const market = markets.find((candidate) => candidate.regionCode === regionCode)!;
    const ruleSet = ruleSets.get(market.regionCode)!;
    const currency = context.currencyByRegion.get(market.regionCode)!;
    let decisionCount = Math.min(remaining, 1 + Math.floor(random.exponential(extraDecisionsMean)));
    const firstTimes = Array.from({ length: decisionCount }, () => calendar.sampleTime(random, market.utcOffsetHours));
    firstTimes.sort((a, b) => a - b);
    const traits = drawTraits(random, firstTimes[0]!);
    // Fraudsters burn an identity within a few attempts.
    if (traits.isFraudster) decisionCount = Math.min(decisionCount, random.integer(1, 4));
    const times = firstTimes.slice(0, decisionCount);
    remaining -= decisionCount;

    const sequence = (customerSequence.get(market.regionCode) ?? 0) + 1;
    customerSequence.set(market.regionCode, sequence);
    const customer = {
      id: random.uuid(),
      reference: `C-${market.regionCode}-${String(sequence).padStart(7, "0")}`,
      createdAt: times[0]! - random.integer(1, 30) * 60_000,
    };

    const history = new CustomerHistory();
    const decisions: DecisionDraft[] = [];
    const reviews: ReviewPlan[] = [];
    const repayments: [string, RepaymentObservation][] = [];
    const fraudOutcomes: [string, FraudObservation][] = [];
    const contestable: ReviewedDecision[] = [];

    times.forEach((time, index) => {
      const kind: DecisionKind = index === 0 ? "credit" : random.weighted(kindWeights);
      const ruleSetVersion = versionInForce(ruleSet, time);
      const rules = ruleSetVersion.parameters;
      const model = chooseModelVersion(kind, time, calendar, random);
      const result = decide({
        kind,
        time,
        market,
        rules,
        model,
        modelOffset: modelLogitOffset(model, time, calendar),
        traits,
        history,
        customerCreatedAt: customer.createdAt,
        random,
      });
      const regionSequence = (decisionSequence.get(market.regionCode) ?? 0) + 1;
      decisionSequence.set(market.regionCode, regionSequence);
      const decision: DecisionDraft = {
        id: random.uuid(),
        externalId: `D-${market.regionCode}-${String(regionSequence).padStart(9, "0")}`,
        regionCode: market.regionCode,
        kind,
        outcome: result.outcome,
        score: result.score,
        decidedAt: time,
        isFraudster: traits.isFraudster,
        bureauScore: result.features.bureauScore,
        modelName: model.name,
        modelVersion: model.version,
        amount: result.amount,
        currency,
        featuresJson: JSON.stringify(result.features),
        ruleSetVersionId: ruleSetVersion.id,
        reviewState: "not_required",
        reasons: result.reasons,
      };
      decisions.push(decision);

      const isApproved = result.outcome === "approved";
      if (kind === "credit" && isApproved) {
        const repayment = planRepayment({ decidedAt: time, amount: result.amount, riskLogit: result.riskLogit }, rules, now, random);
        history.credits.push(repayment.line);
        for (const observation of repayment.observations) repayments.push([decision.id, observation]);
      }
      if (traits.isFraudster && isApproved && kind !== "limit") {
        for (const observation of planFraudLoss(decision, now, random)) fraudOutcomes.push([decision.id, observation]);
      }

      const trigger = reviewTriggerFor(decision, result.isRuleDecision, rules.scoreBands.declineBelow, random);
      if (trigger) {
        const review = planReview(decision, trigger, reviewTiming, context.staff, random);
        decision.reviewState = review.decisionReviewState;
        reviews.push(review);
        if (trigger === "fraud_hold" && review.status === "closed") {
          fraudOutcomes.push([
            decision.id,
            review.verdict === "upheld"
              ? { outcome: "confirmed_fraud", reportedAt: review.closedAt!, lossAmount: 0 }
              : { outcome: "cleared", reportedAt: review.closedAt!, lossAmount: null },
          ]);
        }
      } else if (result.outcome === "declined") {
        contestable.push(decision);
      }
    });

    const requests = privacy.planFor(
      {
        id: customer.id,
        regionCode: market.regionCode,
        createdAt: customer.createdAt,
        market,
        regime: context.regimeByRegion.get(market.regionCode)!,
        contestable,
      },
      random,
    );
    let erasedAt: number | null = null;
    let isRestricted = false;
    for (const request of requests) {
      if (request.review) {
        reviews.push(request.review);
        const contested = decisions.find((decision) => decision.id === request.decisionId)!;
        contested.reviewState = request.review.decisionReviewState;
      }
      if (request.state === "completed" && request.type === "erasure") erasedAt = request.completedAt;
      if (request.state === "completed" && request.type === "restriction") isRestricted = true;
    }

    sink.add("customer", [
      customer.id,
      customer.reference,
      market.regionCode,
      timestamp(customer.createdAt),
      flag(isRestricted),
      optionalTimestamp(erasedAt),
    ]);
    // An erased customer keeps decisions (retained for their legal basis) but no personal data.
    if (erasedAt === null) writePersonalData(sink, customer, market, people.create(market, traits, random));
    for (const decision of decisions) writeDecision(sink, decision, customer.id, random);
    for (const [decisionId, observation] of repayments) {
      repaymentSequence++;
      sink.add("repayment_outcome", [
        random.uuid(),
        `R-${String(repaymentSequence).padStart(10, "0")}`,
        decisionId,
        observation.status,
        timestamp(observation.observedAt),
        money(observation.outstandingAmount),
      ]);
    }
    const confirmedFraud = new Set<string>();
    for (const [decisionId, observation] of fraudOutcomes) {
      fraudOutcomeSequence++;
      if (observation.outcome === "confirmed_fraud") confirmedFraud.add(decisionId);
      sink.add("fraud_outcome", [
        random.uuid(),
        `F-${String(fraudOutcomeSequence).padStart(9, "0")}`,
        decisionId,
        observation.outcome,
        timestamp(observation.reportedAt),
        observation.lossAmount === null ? null : money(observation.lossAmount),
      ]);
    }
    for (const request of requests) writePrivacyRequest(sink, request, context.staff);
    for (const review of reviews) writeReview(sink, review);

    statistics.customers++;
    statistics.confirmedFraudDecisions += confirmedFraud.size;
    if (erasedAt !== null) statistics.erasedCustomers++;
    for (const decision of decisions) increment(statistics.decisionsByKindAndOutcome, `${decision.kind}.${decision.outcome}`);
    for (const review of reviews) increment(statistics.reviewsByState, review.status);
    for (const request of requests) increment(statistics.privacyRequestsByState, request.state);

    await sink.customerDone(decisions.length);
  }
  return statistics;
}

function increment(counts: Record<string, number>, key: string) {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Which queue rule, if any, sends a decision to a human (DESIGN.md §8). */
function reviewTriggerFor(
  decision: { outcome: DecisionOutcome; score: number },
  isRuleDecision: boolean,
  declineBelow: number,
  random: Random,
): ReviewTrigger | null {
  if (decision.outcome === "referred") return "referral";
  if (decision.outcome === "fraud_hold") return "fraud_hold";
  if (decision.outcome === "declined" && !isRuleDecision && decision.score >= declineBelow - 0.03 && random.chance(0.15)) {
    return "grey_band";
  }
  if (random.chance(0.0015)) return "sample";
  return null;
}

function writePersonalData(
  sink: RowSink,
  customer: { id: string; createdAt: number },
  market: MarketProfile,
  person: ReturnType<PersonFactory["create"]>,
) {
  sink.add("customer_personal_data", [
    customer.id,
    person.fullName,
    person.email,
    person.phone,
    person.dateOfBirth,
    person.street,
    person.postalCode,
    person.city,
    market.countryCode,
    timestamp(customer.createdAt),
    // Blind indexes: computed with the key-encryption key by SealingRowSink.
    null,
    null,
  ]);
}

function writeDecision(sink: RowSink, decision: DecisionDraft, customerId: string, random: Random) {
  sink.add("decision", [
    decision.id,
    decision.externalId,
    customerId,
    decision.kind,
    decision.regionCode,
    decision.modelName,
    decision.modelVersion,
    String(decision.score),
    decision.outcome,
    money(decision.amount),
    decision.currency,
    decision.featuresJson,
    decision.ruleSetVersionId,
    timestamp(decision.decidedAt),
    timestamp(decision.decidedAt + random.integer(1, 30) * 1000),
    decision.reviewState,
  ]);
  decision.reasons.forEach((reason, index) => {
    sink.add("decision_reason", [decision.id, String(index + 1), reason.code, String(reason.contribution)]);
  });
}

function writePrivacyRequest(sink: RowSink, request: PrivacyRequestPlan, staff: StaffDirectory) {
  sink.add("privacy_request", [
    request.id,
    request.reference,
    request.type,
    request.customerId,
    request.decisionId,
    request.regionCode,
    request.regime,
    request.channel,
    timestamp(request.receivedAt),
    optionalTimestamp(request.clockStartedAt),
    timestamp(request.dueAt),
    optionalTimestamp(request.extendedDueAt),
    request.extensionReason,
    request.identityState,
    request.identityEvidence ? JSON.stringify(request.identityEvidence) : null,
    request.state,
    request.assigneeId,
    request.refusalReason,
    optionalTimestamp(request.completedAt),
    timestamp(request.receivedAt),
    timestamp(request.updatedAt),
    String(request.version),
    optionalTimestamp(request.identityInformationReceivedAt),
  ]);
  for (const note of request.notes) {
    sink.add("privacy_request_note", [note.id, request.id, staff.idOf("dpo@attest.test"), note.body, timestamp(note.createdAt)]);
  }
  if (request.pause) {
    sink.add("privacy_request_pause", [request.pause.id, request.id, request.pause.reason, timestamp(request.pause.startedAt), null, staff.idOf("dpo@attest.test")]);
  }
}

function writeReview(sink: RowSink, review: ReviewPlan) {
  sink.add("review", [
    review.id,
    review.decisionId,
    review.regionCode,
    review.trigger,
    review.status,
    String(review.priority),
    timestamp(review.openedAt),
    timestamp(review.dueAt),
    review.claimedById,
    optionalTimestamp(review.claimedAt),
    review.reviewerId,
    review.verdict,
    review.verdictReason,
    review.justification,
    optionalTimestamp(review.decidedAt),
    review.approverId,
    optionalTimestamp(review.approvedAt),
    optionalTimestamp(review.closedAt),
    review.privacyRequestId,
    String(review.version),
  ]);
}
