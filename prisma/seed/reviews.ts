import type {
  DecisionKind,
  DecisionOutcome,
  ReviewState,
  ReviewStatus,
  ReviewTrigger,
  ReviewVerdict,
} from "~/generated/prisma/enums";
import { dayMs, hourMs } from "./calendar";
import type { Random } from "./random";

// Human reviews of synthetic decisions (DESIGN.md §8): referrals, fraud holds, grey-band declines,
// quality samples and customers' contests. Older reviews are closed with a verdict, a justification
// and — for overturned declines and fraud holds — a second approver who is never the reviewer.
// The newest ones form the open queue, some of them claimed or awaiting approval.

export interface StaffDirectory {
  idOf(email: string): string;
}

export interface ReviewedDecision {
  id: string;
  regionCode: string;
  kind: DecisionKind;
  outcome: DecisionOutcome;
  score: number;
  decidedAt: number;
  /** Whether the applicant really was a fraudster: a good fraud analyst mostly gets it right. */
  isFraudster: boolean;
  bureauScore: number | null | undefined;
}

export interface ReviewPlan {
  id: string;
  decisionId: string;
  regionCode: string;
  trigger: ReviewTrigger;
  status: ReviewStatus;
  priority: number;
  openedAt: number;
  dueAt: number;
  claimedById: string | null;
  claimedAt: number | null;
  reviewerId: string | null;
  verdict: ReviewVerdict | null;
  verdictReason: string | null;
  justification: string | null;
  decidedAt: number | null;
  approverId: string | null;
  approvedAt: number | null;
  closedAt: number | null;
  privacyRequestId: string | null;
  version: number;
  /** The decision's review_state this review leaves behind. */
  decisionReviewState: ReviewState;
}

const priorityByTrigger: Record<ReviewTrigger, number> = {
  contest: 10,
  fraud_hold: 20,
  referral: 50,
  grey_band: 80,
  sample: 120,
};

const slaByTrigger: Record<Exclude<ReviewTrigger, "contest">, number> = {
  fraud_hold: 24 * hourMs,
  referral: 48 * hourMs,
  grey_band: 5 * dayMs,
  sample: 10 * dayMs,
};

const compliance = ["compliance@attest.test", "compliance2@attest.test"];

function reviewerFor(decision: ReviewedDecision, trigger: ReviewTrigger, random: Random) {
  if (trigger === "fraud_hold" && ["SE", "DE", "NL"].includes(decision.regionCode) && random.chance(0.8)) {
    return "fraud@attest.test";
  }
  if (decision.regionCode === "SE" && trigger !== "contest" && random.chance(0.4)) return "ops.se@attest.test";
  if (decision.regionCode === "UK" && trigger !== "contest" && random.chance(0.4)) return "ops.uk@attest.test";
  return random.pick(compliance);
}

/** Four-eyes (DESIGN.md §5): overturning a decline or a fraud hold needs a second person. */
function needsApproval(decision: ReviewedDecision, verdict: ReviewVerdict) {
  return verdict === "overturned" && (decision.outcome === "declined" || decision.outcome === "fraud_hold");
}

function chooseVerdict(decision: ReviewedDecision, trigger: ReviewTrigger, random: Random): ReviewVerdict {
  let overturnProbability: number;
  switch (trigger) {
    case "fraud_hold":
      overturnProbability = decision.isFraudster ? 0.03 : 0.95;
      break;
    case "referral":
      overturnProbability = 0.3 + 0.4 * Math.min(1, Math.max(0, (decision.score - 0.45) / 0.2));
      break;
    case "grey_band":
      overturnProbability = 0.12;
      break;
    case "contest":
      overturnProbability = decision.isFraudster ? 0.02 : 0.25;
      break;
    case "sample":
      overturnProbability = decision.outcome === "approved" ? 0.02 : 0.07;
      break;
  }
  return random.chance(overturnProbability) ? "overturned" : "upheld";
}

const justifications: Record<ReviewTrigger, Record<ReviewVerdict, { reason: string; text: string }[]>> = {
  referral: {
    overturned: [
      { reason: "income_verified_manually", text: "Payslips for the last three months cover the installments comfortably; approve." },
      { reason: "income_verified_manually", text: "Open-banking statement confirms salary and no other BNPL debt; approve." },
      { reason: "history_explained", text: "Late payment on file was a disputed utility bill, since settled; approve at requested amount." },
      { reason: "low_exposure", text: "First purchase, small amount relative to income, clean bureau file; approve." },
    ],
    upheld: [
      { reason: "affordability_not_shown", text: "Customer did not provide income evidence within 48 hours; decline." },
      { reason: "affordability_not_shown", text: "Statement shows recurring overdraft and two other BNPL providers; decline." },
      { reason: "adverse_history", text: "Recent collection entry confirmed with the bureau; decline." },
    ],
  },
  fraud_hold: {
    overturned: [
      { reason: "customer_confirmed_purchase", text: "Customer confirmed the order by phone; device matches previous purchases. Release." },
      { reason: "customer_confirmed_purchase", text: "Gift shipped to a family member, confirmed via BankID-signed message. Release." },
      { reason: "signals_explained", text: "New email but long bureau history and matching card holder name. Release." },
    ],
    upheld: [
      { reason: "fraud_confirmed", text: "Card holder denies the purchase; identity linked to three other held orders. Keep hold, report." },
      { reason: "fraud_confirmed", text: "Shipping address is a known parcel forwarder; device seen with five identities. Keep hold." },
      { reason: "no_response", text: "Verification request unanswered after 24 hours and velocity remains high. Keep hold." },
    ],
  },
  grey_band: {
    overturned: [
      { reason: "model_limitation", text: "Thin file from recent move to the country; income verified. Decline overturned." },
      { reason: "model_limitation", text: "Score just below the band due to a single inquiry spike from a mortgage application. Overturn." },
    ],
    upheld: [
      { reason: "decline_supported", text: "Reasons consistent with the bureau file; nothing the model missed. Uphold." },
      { reason: "decline_supported", text: "Exposure across providers too high for the declared income. Uphold." },
    ],
  },
  sample: {
    overturned: [
      { reason: "policy_misapplied", text: "Quality sample: affordability threshold should have triggered income verification. Flagged to credit risk." },
    ],
    upheld: [
      { reason: "quality_sample_ok", text: "Quality sample: features, reason codes and outcome consistent with the rule set." },
      { reason: "quality_sample_ok", text: "Quality sample: no issues found." },
    ],
  },
  contest: {
    overturned: [
      { reason: "contest_upheld_for_customer", text: "Customer supplied proof of income and the bureau entry was corrected; decision reversed." },
      { reason: "contest_upheld_for_customer", text: "Bureau file contained another person's default (mixed file); decision reversed." },
    ],
    upheld: [
      { reason: "contest_rejected", text: "Human review confirms the decline: the principal reasons are accurate. Customer informed of the outcome." },
      { reason: "contest_rejected", text: "No new information provided; affordability still not shown. Decision stands, letter sent." },
    ],
  },
};

export interface ReviewTiming {
  now: number;
  /** Reviews opened within this many days may still be in the queue (keeps small demos' queue full). */
  backlogDays: number;
}

/**
 * A review of a decision that the queue rules picked up. `progress` forces the stage a contest's
 * review has reached (it follows its privacy request); otherwise the stage follows from the timing.
 */
export function planReview(
  decision: ReviewedDecision,
  trigger: ReviewTrigger,
  timing: ReviewTiming,
  staff: StaffDirectory,
  random: Random,
  contest?: {
    privacyRequestId: string;
    openedAt: number;
    dueAt: number;
    progress: "open" | "awaiting_approval" | "closed";
    /** A closed contest review must be finished by then (its request completes right after). */
    closeBy: number;
  },
): ReviewPlan {
  const { now } = timing;
  const openedAt = contest?.openedAt ?? decision.decidedAt + random.integer(1, 120) * 1000;
  const dueAt = contest?.dueAt ?? openedAt + slaByTrigger[trigger as Exclude<ReviewTrigger, "contest">];
  const reviewerEmail = reviewerFor(decision, trigger, random);
  // A contest awaiting approval is, by definition, a proposed reversal of a decline.
  const verdict = contest?.progress === "awaiting_approval" ? "overturned" : chooseVerdict(decision, trigger, random);
  const requiresApproval = needsApproval(decision, verdict);
  const approverEmail = random.pick(compliance.filter((email) => email !== reviewerEmail));

  // Queue wait grows with the SLA: fraud holds are picked up within hours, samples within days.
  const sla = dueAt - openedAt;
  const workMs = (3 + random.exponential(22)) * 60_000;
  const approvalMs = requiresApproval ? (5 + random.exponential(180)) * 60_000 : 0;
  let claimWaitMs = Math.min(random.exponential(sla * 0.3), sla * 3);
  if (contest?.progress === "closed") {
    claimWaitMs = Math.min(claimWaitMs, Math.max(0, contest.closeBy - openedAt - workMs - approvalMs));
  }
  const claimedAt = openedAt + claimWaitMs;
  const decidedAt = claimedAt + workMs;
  const approvedAt = requiresApproval ? decidedAt + approvalMs : null;
  const closedAt = approvedAt ?? decidedAt;
  const choice = random.pick(justifications[trigger][verdict]);

  const base = {
    id: random.uuid(),
    decisionId: decision.id,
    regionCode: decision.regionCode,
    trigger,
    priority: priorityByTrigger[trigger],
    openedAt,
    dueAt,
    privacyRequestId: contest?.privacyRequestId ?? null,
  };
  const unclaimed = {
    claimedById: null,
    claimedAt: null,
    reviewerId: null,
    verdict: null,
    verdictReason: null,
    justification: null,
    decidedAt: null,
    approverId: null,
    approvedAt: null,
    closedAt: null,
  };

  let stage: "open" | "claimed" | "awaiting_approval" | "closed";
  if (contest) {
    stage = contest.progress === "open" ? (random.chance(0.4) ? "claimed" : "open") : contest.progress;
  } else if (now - openedAt < timing.backlogDays * dayMs && random.chance(0.85)) {
    stage = random.weighted({ open: 0.62, claimed: 0.23, awaiting_approval: requiresApproval ? 0.15 : 0 });
  } else if (closedAt <= now) {
    stage = "closed";
  } else if (claimedAt > now) {
    stage = "open";
  } else if (decidedAt > now || !requiresApproval) {
    stage = "claimed";
  } else {
    stage = "awaiting_approval";
  }
  if (stage === "awaiting_approval" && !requiresApproval) stage = "claimed";

  const reviewerId = staff.idOf(reviewerEmail);
  // Open items in the queue were claimed or decided recently, never in the future.
  const recent = (time: number) => Math.min(time, now - random.integer(5, 600) * 60_000);
  switch (stage) {
    case "open":
      return { ...base, ...unclaimed, status: "open", version: 1, decisionReviewState: "queued" };
    case "claimed":
      return {
        ...base,
        ...unclaimed,
        status: "claimed",
        claimedById: reviewerId,
        claimedAt: Math.max(openedAt, recent(claimedAt)),
        version: 2,
        decisionReviewState: "in_review",
      };
    case "awaiting_approval": {
      const claimed = Math.max(openedAt, recent(claimedAt));
      return {
        ...base,
        ...unclaimed,
        status: "awaiting_approval",
        claimedById: reviewerId,
        claimedAt: claimed,
        reviewerId,
        verdict,
        verdictReason: choice.reason,
        justification: choice.text,
        decidedAt: Math.min(now - 60_000, Math.max(claimed + 60_000, recent(decidedAt))),
        version: 3,
        decisionReviewState: "awaiting_approval",
      };
    }
    case "closed":
      return {
        ...base,
        status: "closed",
        claimedById: reviewerId,
        claimedAt,
        reviewerId,
        verdict,
        verdictReason: choice.reason,
        justification: choice.text,
        decidedAt,
        approverId: requiresApproval ? staff.idOf(approverEmail) : null,
        approvedAt,
        closedAt,
        version: requiresApproval ? 4 : 3,
        decisionReviewState: verdict,
      };
  }
}
