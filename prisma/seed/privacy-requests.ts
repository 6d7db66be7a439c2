import type {
  IdentityVerificationState,
  PrivacyRequestState,
  PrivacyRequestType,
} from "~/generated/prisma/enums";
import { dueDatesInRegion, regimeForRegion } from "~/modules/privacy/regimes.server";
import { dayMs, hourMs } from "./calendar";
import type { MarketProfile } from "./markets";
import type { Random } from "./random";
import { planReview, type ReviewedDecision, type ReviewPlan, type ReviewTiming, type StaffDirectory } from "./reviews";

// Customers' data-protection requests (DESIGN.md §9) in every type and state, with deadlines counted
// by the app's own regime module from policies/privacy-regimes.yaml (EU and UK GDPR one calendar month,
// extendable by two; CCPA 45 days (+45); Australia 30 days), so demo data shows what the app computes. Open requests are spread so the DPO's list shows some overdue, some close to the deadline and
// some extended. The first requests walk through every type × state pair so a small seed shows them all.

export type PrivacyRegime = "eu_gdpr" | "uk_gdpr" | "ccpa" | "au_privacy_act";

export interface PrivacyRequestNotePlan {
  id: string;
  body: string;
  createdAt: number;
}

export interface PrivacyRequestPlan {
  id: string;
  reference: string;
  type: PrivacyRequestType;
  customerId: string;
  decisionId: string | null;
  regionCode: string;
  regime: PrivacyRegime;
  channel: string;
  receivedAt: number;
  clockStartedAt: number | null;
  /** When the identity information asked for arrived (UK GDPR Art. 12A), apart from when it was checked. */
  identityInformationReceivedAt: number | null;
  dueAt: number;
  extendedDueAt: number | null;
  extensionReason: string | null;
  identityState: IdentityVerificationState;
  identityEvidence: Record<string, string> | null;
  state: PrivacyRequestState;
  assigneeId: string | null;
  refusalReason: string | null;
  completedAt: number | null;
  updatedAt: number;
  version: number;
  notes: PrivacyRequestNotePlan[];
  /** The open pause of a request whose regime stops the clock while the scope is clarified (UK GDPR). */
  pause: { id: string; reason: string; startedAt: number } | null;
  review: ReviewPlan | null;
}

const openStates = ["received", "identity_pending", "in_progress", "scope_clarification", "awaiting_approval"] as const;

// Only erasures (four-eyes, DESIGN.md §5) and contests (an overturned decline) wait for an approver.
const statesByType: Record<PrivacyRequestType, readonly PrivacyRequestState[]> = {
  access: ["received", "identity_pending", "in_progress", "scope_clarification", "completed", "refused"],
  erasure: ["received", "identity_pending", "in_progress", "scope_clarification", "awaiting_approval", "completed", "refused"],
  rectification: ["received", "identity_pending", "in_progress", "completed", "refused"],
  restriction: ["received", "in_progress", "completed", "refused"],
  objection: ["received", "in_progress", "scope_clarification", "completed", "refused"],
  portability: ["received", "identity_pending", "in_progress", "completed", "refused"],
  // A contest opens its review at intake (never merely received); "awaiting approval" is its review's
  // state (an overturn waiting for four-eyes) while the request itself stays in progress, as in the app.
  contest: ["in_progress", "awaiting_approval", "completed", "refused"],
};

const typeWeights: Record<PrivacyRequestType, number> = {
  access: 34,
  erasure: 24,
  rectification: 10,
  restriction: 4,
  objection: 8,
  portability: 6,
  contest: 14,
};

const channelWeights = { web_form: 45, email: 30, in_app: 15, post: 5, phone: 5 };

const refusalReasons: Record<PrivacyRequestType, string[]> = {
  access: ["Manifestly unfounded or excessive (GDPR Art. 12(5)): fourth identical request within two months."],
  erasure: [
    "Erasure refused for the credit agreement: records must be kept under anti-money-laundering law; other data erased.",
    "Erasure refused while a debt is outstanding (legal claims, GDPR Art. 17(3)(e)).",
  ],
  rectification: ["The disputed address matches the customer's own signed order confirmation."],
  restriction: ["Accuracy is no longer contested after the rectification was completed."],
  objection: ["Compelling legitimate grounds: fraud-prevention processing continues (GDPR Art. 21(1))."],
  portability: ["Portability applies to data provided by the customer; the model scores requested are not covered."],
  contest: ["The decision contested was made more than twelve months ago and the credit was never drawn."],
};

const contestOutcomes = {
  upheld: "the automated decision stands",
  overturned: "the decision was changed in the customer's favour",
} as const;

const extensionReasons = [
  "Complex request covering several years of purchases; extension announced to the customer within the first month.",
  "High volume of requests after a media report; customer told of the extension and the reasons.",
];

const noteTemplates: Partial<Record<PrivacyRequestState, string[]>> = {
  in_progress: [
    "Identity confirmed; export job queued.",
    "Collected decisions, reviews and repayment history; checking for third-party data before release.",
    "Asked credit operations to confirm nothing is held outside Attest.",
  ],
  scope_clarification: [
    "Asked the customer which purchases the request concerns; the clock is paused until they answer.",
    "Customer mentions a second email address; asked for confirmation before searching it.",
  ],
  awaiting_approval: ["Erasure plan prepared; kept items listed with their legal basis. Waiting for a second approver."],
  completed: ["Response sent through the secure portal.", "Customer confirmed receipt."],
};

/**
 * The due dates the app computes (app/modules/privacy/regimes.server.ts): the region's regime from
 * policies/privacy-regimes.yaml, counted in its time zone to the end of the due day; an extension is
 * the regime's maximum. Cheap calendar arithmetic, so it costs nothing at a million decisions.
 */
function deadlinesOf(regionCode: string, clockStartedAt: number, isExtended: boolean, now: number) {
  const { regime } = regimeForRegion(regionCode);
  const { dueAt, extendedDueAt } = dueDatesInRegion(regionCode, {
    clockStartedAt: new Date(clockStartedAt),
    extension: isExtended ? (regime.extension?.max ?? null) : null,
    now: new Date(now),
  });
  return { dueAt: dueAt.getTime(), extendedDueAt: extendedDueAt?.getTime() ?? null };
}

/** The regime's first period in days, to spread open requests around their deadlines. */
function typicalDeadlineDays(regionCode: string) {
  const { period } = regimeForRegion(regionCode).regime;
  return "days" in period ? period.days : period.months * 30;
}

export interface PrivacyCustomer {
  id: string;
  regionCode: string;
  createdAt: number;
  market: MarketProfile;
  regime: PrivacyRegime;
  /** Declined decisions without a review yet: what a contest can be about. */
  contestable: ReviewedDecision[];
}

export class PrivacyRequestPlanner {
  private readonly showcase: [PrivacyRequestType, PrivacyRequestState][] = [];
  private sequence = 0;

  constructor(
    private readonly now: number,
    private readonly windowStart: number,
    private readonly requestProbability: number,
    private readonly staff: StaffDirectory,
    private readonly reviewTiming: ReviewTiming,
  ) {
    for (const [type, states] of Object.entries(statesByType) as [PrivacyRequestType, PrivacyRequestState[]][]) {
      for (const state of states) this.showcase.push([type, state]);
    }
  }

  /** Requests this customer filed, if any (usually none). */
  planFor(customer: PrivacyCustomer, random: Random): PrivacyRequestPlan[] {
    if (!random.chance(this.requestProbability)) return [];
    const request = this.planOne(customer, random);
    return request ? [request] : [];
  }

  private chooseTypeAndState(customer: PrivacyCustomer, random: Random): [PrivacyRequestType, PrivacyRequestState] {
    const index = this.showcase.findIndex(([type]) => type !== "contest" || customer.contestable.length > 0);
    if (index >= 0) return this.showcase.splice(index, 1)[0]!;
    let type = random.weighted(typeWeights);
    if (type === "contest" && customer.contestable.length === 0) type = "access";
    const states = statesByType[type];
    const isStillOpen = random.chance(0.3);
    if (!isStillOpen) return [type, random.chance(0.88) ? "completed" : "refused"];
    return [type, random.pick(states.filter((state) => (openStates as readonly string[]).includes(state)))];
  }

  private planOne(customer: PrivacyCustomer, random: Random): PrivacyRequestPlan | null {
    const { now } = this;
    const [type, state] = this.chooseTypeAndState(customer, random);
    const regime = customer.regime;
    const deadlineDays = typicalDeadlineDays(customer.regionCode);
    const { regime: rules } = regimeForRegion(customer.regionCode);
    const isOpen = (openStates as readonly string[]).includes(state);
    const earliest = Math.max(customer.createdAt + hourMs, this.windowStart);

    const contested = type === "contest" ? random.pick(customer.contestable) : null;
    let receivedAt: number;
    let situation: "normal" | "near_deadline" | "overdue" | "extended" = "normal";
    if (contested) {
      // A customer contests within weeks of the decision; open contests are about recent decisions.
      const latest = isOpen ? now - hourMs : now - 10 * dayMs;
      const earliestContest = isOpen ? Math.max(contested.decidedAt + dayMs, now - 25 * dayMs) : contested.decidedAt + dayMs;
      receivedAt = Math.min(latest, earliestContest + random.next() * 20 * dayMs);
    } else if (isOpen) {
      situation =
        state === "received"
          ? "normal"
          : random.weighted({
              normal: 0.45,
              near_deadline: 0.25,
              overdue: 0.2,
              extended: rules.extension === null || !["in_progress", "scope_clarification"].includes(state) ? 0 : 0.1,
            });
      const ageDays =
        state === "received"
          ? random.between(0.05, 3)
          : situation === "near_deadline"
            ? deadlineDays - random.between(0.5, 4)
            : situation === "overdue"
              ? deadlineDays + random.between(1, 20)
              : situation === "extended"
                ? deadlineDays + random.between(5, 40)
                : random.between(1, deadlineDays - 6);
      receivedAt = now - ageDays * dayMs;
    } else {
      receivedAt = earliest + random.next() * Math.max(0, now - 12 * dayMs - earliest);
    }
    receivedAt = Math.round(Math.max(receivedAt, earliest));
    if (receivedAt >= now) return null;

    const identityFailed = state === "refused" && random.chance(0.4);
    const identityState: IdentityVerificationState =
      state === "received" ? "unverified" : state === "identity_pending" ? "pending" : identityFailed ? "failed" : "verified";
    const identityCheckedAt = identityState === "verified" || identityState === "failed"
      ? Math.min(now - hourMs, receivedAt + random.integer(1, 72) * hourMs)
      : null;
    // UK GDPR Art. 12A: the clock runs from receipt, and from the arrival of the identity information
    // asked for once it was checked (it arrived a little before the DPO checked it), as the app does.
    const identityInformationReceivedAt = identityCheckedAt !== null ? Math.max(receivedAt, identityCheckedAt - 2 * hourMs) : null;
    const clockStartedAt =
      rules.clockStarts === "latest_of_receipt_identity_fee" && identityState === "verified" ? identityInformationReceivedAt! : receivedAt;
    const { dueAt, extendedDueAt } = deadlinesOf(customer.regionCode, clockStartedAt ?? receivedAt, situation === "extended", now);

    const id = random.uuid();
    let completedAt: number | null = null;
    if (state === "completed" || state === "refused") {
      const isLate = random.chance(0.05);
      const took = isLate ? deadlineDays + random.between(1, 10) : random.between(1, deadlineDays - 2);
      completedAt = Math.min(now - hourMs, Math.round((clockStartedAt ?? receivedAt) + took * dayMs));
    }

    let review: ReviewPlan | null = null;
    if (contested && (state === "in_progress" || state === "awaiting_approval" || state === "completed")) {
      review = planReview(contested, "contest", this.reviewTiming, this.staff, random, {
        privacyRequestId: id,
        openedAt: receivedAt + random.integer(1, 120) * 60_000,
        dueAt,
        progress: state === "completed" ? "closed" : state === "awaiting_approval" ? "awaiting_approval" : "open",
        closeBy: completedAt ?? now,
      });
      // Closing the review completes the contest in the same transaction.
      if (review.closedAt !== null) completedAt = review.closedAt;
    }

    const requestState: PrivacyRequestState = contested && state === "awaiting_approval" ? "in_progress" : state;
    const notes = contested
      ? // The note the app writes when the review that answers the contest closes.
        review?.closedAt != null && review.verdict
        ? [{ id: random.uuid(), body: `Human review closed: ${contestOutcomes[review.verdict]}. Send the customer the review-outcome notice (linked on this request and on the decision page).`, createdAt: review.closedAt }]
        : []
      : (noteTemplates[state] ?? []).slice(0, random.integer(1, 2)).map((body, index) => ({
          id: random.uuid(),
          body,
          createdAt: Math.min(now - 60_000, (identityCheckedAt ?? receivedAt) + (index + 1) * random.integer(1, 48) * hourMs),
        }));
    // UK GDPR: a request waiting for the scope to be clarified has its clock paused, as the app records it.
    const pause =
      state === "scope_clarification" && rules.pausesForClarification && clockStartedAt !== null
        ? {
            id: random.uuid(),
            reason: "Asked the customer which purchases and which period the request concerns.",
            startedAt: Math.min(now - hourMs, clockStartedAt + random.integer(1, 10) * dayMs),
          }
        : null;
    const lastTouched = Math.max(receivedAt, identityCheckedAt ?? 0, completedAt ?? 0, pause?.startedAt ?? 0, ...notes.map((note) => note.createdAt));

    this.sequence++;
    return {
      id,
      reference: `PR-${new Date(receivedAt).getUTCFullYear()}-${String(this.sequence).padStart(6, "0")}`,
      type,
      customerId: customer.id,
      decisionId: contested?.id ?? null,
      regionCode: customer.regionCode,
      regime,
      channel: random.weighted(channelWeights),
      receivedAt,
      clockStartedAt,
      identityInformationReceivedAt,
      dueAt,
      extendedDueAt,
      extensionReason: extendedDueAt !== null ? random.pick(extensionReasons) : null,
      identityState,
      identityEvidence:
        identityCheckedAt !== null
          ? {
              method: customer.market.identityCheckMethod,
              checkedBy: "dpo@attest.test",
              checkedAt: new Date(identityCheckedAt).toISOString(),
              result: identityState === "verified" ? "match" : "no_match",
            }
          : null,
      state: requestState,
      assigneeId: state === "received" && random.chance(0.5) ? null : this.staff.idOf("dpo@attest.test"),
      refusalReason:
        state === "refused"
          ? identityFailed
            ? "Identity could not be verified after two attempts; the customer was told how to try again."
            : random.pick(refusalReasons[type])
          : null,
      completedAt,
      updatedAt: lastTouched,
      version: 1 + notes.length + (identityCheckedAt !== null ? 1 : 0) + (completedAt !== null ? 1 : 0) + (pause ? 1 : 0),
      notes,
      pause,
      review,
    };
  }
}
