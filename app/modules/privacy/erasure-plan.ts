import { TZDate } from "@date-fns/tz";
import { add, startOfDay } from "date-fns";
import type { RetentionCategory, RetentionPeriod, RetentionPolicy } from "./retention-policy.server";

// The erasure plan (DESIGN.md §9): from a subject's actual records and policies/retention.yaml, what is
// erased now, what must be kept — with its legal basis and the date it will be erased — and what is
// restricted meanwhile. Pure: the same records, policy and clock always give the same plan, so the
// plan the second person approved can be recomputed and compared at execution.

export const ERASURE_PLAN_FORMAT = "attest-erasure-plan/1";

/** Records an erasure deletes row by row (kept ones become RetainedRecords until their date). */
export type ErasableRecordType = "decision" | "repayment" | "fraud_outcome" | "review" | "privacy_request";
/** What is erased at once whatever the policy: the identity and everything that copies it. */
export type PersonalDataItemType = "personal_data" | "requester_contact" | "access_export" | "ledger_key";

export interface SubjectRecords {
  customerId: string;
  customerReference: string;
  regionCode: string;
  decisions: { id: string; kind: "credit" | "limit" | "fraud"; decidedAt: Date }[];
  repayments: { id: string; decisionId: string; observedAt: Date }[];
  fraudOutcomes: { id: string; decisionId: string; reportedAt: Date }[];
  reviews: { id: string; decisionId: string; openedAt: Date; closedAt: Date | null }[];
  /** The subject's other privacy requests (the erasure request itself is the proof and stays). */
  privacyRequests: { id: string; receivedAt: Date; completedAt: Date | null }[];
  hasPersonalData: boolean;
  requestsWithContact: string[];
  accessExports: string[];
  hasLedgerKey: boolean;
  /**
   * What the subject still owes: per credit agreement (decision) whose latest repayment observation is
   * not `repaid` and shows an amount outstanding.
   */
  outstandingDebts?: OutstandingDebt[];
}

export interface OutstandingDebt {
  decisionId: string;
  status: string;
  /** Decimal string, as stored ("1999.00"). */
  outstandingAmount: string;
  currency: string;
  observedAt: Date;
}

/** Identity kept for a debt: until it is settled or written off, then the category's period. */
export interface DebtHold {
  debts: { decisionId: string; status: string; outstandingAmount: string; currency: string; observedAt: string }[];
  /** Total outstanding per currency, e.g. { SEK: "2148.00" }. */
  outstanding: Record<string, string>;
  /** The period kept after the debt is settled or written off ("3y"), from policies/retention.yaml. */
  thenKeep: string;
}

export interface PlanRecord {
  type: ErasableRecordType | PersonalDataItemType;
  id: string;
  /** The date its retention counts from (ISO), when it has one. */
  date: string | null;
}

export interface KeptGroup {
  /** Null while kept for an outstanding debt: the date is set once the debt is settled or written off. */
  retainUntil: string | null;
  basis: string;
  records: PlanRecord[];
  untilDebtSettled?: DebtHold;
}

export interface PlanCategory {
  category: RetentionCategory;
  label: string;
  holds: string;
  eraseNow: PlanRecord[];
  kept: KeptGroup[];
}

export interface ErasurePlan {
  format: typeof ERASURE_PLAN_FORMAT;
  computedAt: string;
  customerId: string;
  customerReference: string;
  regionCode: string;
  retentionPolicySha256: string;
  categories: PlanCategory[];
  /** What is restricted while kept records wait for their date (GDPR Art. 18). */
  restriction: { isCustomerRestricted: boolean; keptRecords: number; purpose: string };
  /** Every record with its disposition, sorted: equal fingerprints mean the same erasure. */
  fingerprint: string;
}

const categoryOf: Record<ErasableRecordType, RetentionCategory> = {
  decision: "credit_decisions",
  repayment: "repayment_records",
  fraud_outcome: "fraud_aml_records",
  review: "reviews_and_contests",
  privacy_request: "privacy_request_records",
};

function addPeriod(from: Date, period: RetentionPeriod) {
  return add(new TZDate(from.getTime(), "UTC"), period);
}

/** A kept record is erased on the first UTC midnight after its period ends (one sweep a day suffices). */
function endOfRetention(from: Date, period: RetentionPeriod) {
  const end = addPeriod(from, period);
  return new Date(add(startOfDay(end), { days: 1 }).getTime());
}

interface Disposition {
  record: PlanRecord;
  category: RetentionCategory;
  /** null: nothing obliges us to keep it. */
  retainUntil: Date | null;
  basis: string;
}

export function computeErasurePlan(
  subject: SubjectRecords,
  policy: RetentionPolicy,
  options: { now: Date; policySha256: string },
): ErasurePlan {
  const { now } = options;
  const region = subject.regionCode;
  const ruleOf = (category: RetentionCategory) => {
    const rule = policy.categories[category]?.retention[region];
    if (!rule) throw new Error(`policies/retention.yaml has no ${category} rule for region ${region}`);
    return rule;
  };
  const activityDates = [
    ...subject.decisions.map((decision) => decision.decidedAt),
    ...subject.repayments.map((repayment) => repayment.observedAt),
    ...subject.fraudOutcomes.map((outcome) => outcome.reportedAt),
  ];
  // The business relationship ends with the customer's last activity with us (EU AMLD Art. 40(1)(b)).
  const relationshipEnd = activityDates.length > 0 ? new Date(Math.max(...activityDates.map((date) => date.getTime()))) : now;

  const keepUntil = (category: RetentionCategory, recordDate: Date) => {
    const rule = ruleOf(category);
    const from = policy.categories[category]!.countsFrom === "relationship_end" ? relationshipEnd : recordDate;
    const isKept = !(rule.period.years === 0 && rule.period.months === 0 && rule.period.days === 0);
    return { until: isKept ? endOfRetention(from, rule.period) : null, basis: rule.basis };
  };
  const dispose = (type: ErasableRecordType, id: string, date: Date, category: RetentionCategory): Disposition => {
    const { until, basis } = keepUntil(category, date);
    return { record: { type, id, date: date.toISOString() }, category, retainUntil: until, basis };
  };

  const dependents = new Map<string, Disposition[]>();
  const others: Disposition[] = [];
  const addDependent = (decisionId: string, disposition: Disposition) => {
    dependents.set(decisionId, [...(dependents.get(decisionId) ?? []), disposition]);
    others.push(disposition);
  };
  for (const repayment of subject.repayments) addDependent(repayment.decisionId, dispose("repayment", repayment.id, repayment.observedAt, "repayment_records"));
  for (const outcome of subject.fraudOutcomes) addDependent(outcome.decisionId, dispose("fraud_outcome", outcome.id, outcome.reportedAt, "fraud_aml_records"));
  for (const review of subject.reviews) addDependent(review.decisionId, dispose("review", review.id, review.closedAt ?? review.openedAt, "reviews_and_contests"));
  for (const request of subject.privacyRequests) others.push(dispose("privacy_request", request.id, request.completedAt ?? request.receivedAt, "privacy_request_records"));

  const labelOf = (category: RetentionCategory) => policy.categories[category]!.label;
  const decisions = subject.decisions.map((decision): Disposition => {
    const category: RetentionCategory = decision.kind === "fraud" ? "fraud_aml_records" : categoryOf.decision;
    const own = dispose("decision", decision.id, decision.decidedAt, category);
    // The decision row is the automated system's log (EU AI Act Art. 19, 26(6)): a floor on its period.
    const log = keepUntil("ai_system_logs", decision.decidedAt);
    let binding = own;
    if (log.until && log.until > now && (!binding.retainUntil || log.until > binding.retainUntil)) {
      binding = { ...own, category: "ai_system_logs", retainUntil: log.until, basis: log.basis };
    }
    // Its repayments, fraud reports and reviews point at it: it stays while any of them must stay.
    for (const dependent of dependents.get(decision.id) ?? []) {
      if (dependent.retainUntil && dependent.retainUntil > now && (!binding.retainUntil || dependent.retainUntil > binding.retainUntil)) {
        binding = { ...own, retainUntil: dependent.retainUntil, basis: `Kept while its ${labelOf(dependent.category).toLowerCase()} are kept: ${dependent.basis}` };
      }
    }
    return binding;
  });

  const all = [...decisions, ...others];
  const categories: PlanCategory[] = [];
  const personal = policy.categories.personal_data!;
  const personalItems: PlanRecord[] = [
    ...(subject.hasPersonalData ? [{ type: "personal_data" as const, id: subject.customerId, date: null }] : []),
    ...subject.requestsWithContact.map((id) => ({ type: "requester_contact" as const, id, date: null })),
    ...subject.accessExports.map((id) => ({ type: "access_export" as const, id, date: null })),
    ...(subject.hasLedgerKey ? [{ type: "ledger_key" as const, id: subject.customerId, date: null }] : []),
  ];
  // GDPR Art. 17(3)(b) and (e): a debtor's identity and contact details stay while the debt needs them
  // (performing the agreement, collecting, defending the claim); everything else is erased now.
  const debts = (subject.outstandingDebts ?? []).filter((debt) => Number(debt.outstandingAmount) > 0);
  const identity = personalItems.filter((item) => item.type === "personal_data");
  if (debts.length > 0 && identity.length > 0) {
    const debtCategory = policy.categories.debt_identity!;
    const rule = ruleOf("debt_identity");
    const hold = debtHoldOf(debts, rule.keep);
    const owed = Object.entries(hold.outstanding).map(([currency, amount]) => `${currency} ${amount}`).join(" + ");
    categories.push({ category: "personal_data", label: personal.label, holds: personal.holds, eraseNow: personalItems.filter((item) => item.type !== "personal_data"), kept: [] });
    categories.push({
      category: "debt_identity",
      label: debtCategory.label,
      holds: debtCategory.holds,
      eraseNow: [],
      kept: [
        {
          retainUntil: null,
          basis: `Outstanding ${owed} on ${debts.length} credit agreement${debts.length === 1 ? "" : "s"}; kept until settled or written off, then ${rule.keep}: ${rule.basis}`,
          records: identity,
          untilDebtSettled: hold,
        },
      ],
    });
  } else {
    categories.push({ category: "personal_data", label: personal.label, holds: personal.holds, eraseNow: personalItems, kept: [] });
  }

  for (const category of ["credit_decisions", "fraud_aml_records", "ai_system_logs", "repayment_records", "reviews_and_contests", "privacy_request_records"] as const) {
    const inCategory = all.filter((item) => item.category === category);
    const groups = new Map<string, KeptGroup>();
    for (const item of inCategory.filter((entry) => entry.retainUntil && entry.retainUntil > now)) {
      const key = `${item.retainUntil!.toISOString()}|${item.basis}`;
      const group = groups.get(key) ?? { retainUntil: item.retainUntil!.toISOString(), basis: item.basis, records: [] };
      group.records.push(item.record);
      groups.set(key, group);
    }
    categories.push({
      category,
      label: policy.categories[category]!.label,
      holds: policy.categories[category]!.holds,
      eraseNow: inCategory.filter((entry) => !entry.retainUntil || entry.retainUntil <= now).map((entry) => entry.record),
      kept: [...groups.values()].sort((a, b) => a.retainUntil!.localeCompare(b.retainUntil!) || a.basis.localeCompare(b.basis)),
    });
  }

  return {
    format: ERASURE_PLAN_FORMAT,
    computedAt: now.toISOString(),
    customerId: subject.customerId,
    customerReference: subject.customerReference,
    regionCode: region,
    retentionPolicySha256: options.policySha256,
    categories,
    restriction: {
      isCustomerRestricted: categories.some((category) => category.kept.length > 0),
      keptRecords: categories.reduce((sum, category) => sum + category.kept.reduce((count, group) => count + group.records.length, 0), 0),
      purpose: "Kept records are restricted to the purpose they are kept for (the legal basis shown) until the date shown, then erased by the retention job.",
    },
    fingerprint: planFingerprint(categories),
  };
}

function planFingerprint(categories: PlanCategory[]) {
  const lines: string[] = [];
  for (const category of categories) {
    for (const record of category.eraseNow) lines.push(`${record.type}:${record.id}:erase`);
    for (const group of category.kept) {
      const until = group.untilDebtSettled ? `debt:${Object.entries(group.untilDebtSettled.outstanding).map(([currency, amount]) => `${currency}${amount}`).join("+")}` : group.retainUntil;
      for (const record of group.records) lines.push(`${record.type}:${record.id}:keep:${until}`);
    }
  }
  return lines.sort().join("\n");
}

function debtHoldOf(debts: OutstandingDebt[], thenKeep: string): DebtHold {
  const totals = new Map<string, number>();
  // Cents as integers: amounts are stored with two decimals.
  for (const debt of debts) totals.set(debt.currency, (totals.get(debt.currency) ?? 0) + Math.round(Number(debt.outstandingAmount) * 100));
  return {
    debts: debts
      .map((debt) => ({ decisionId: debt.decisionId, status: debt.status, outstandingAmount: debt.outstandingAmount, currency: debt.currency, observedAt: debt.observedAt.toISOString() }))
      .sort((a, b) => a.decisionId.localeCompare(b.decisionId)),
    outstanding: Object.fromEntries([...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, cents]) => [currency, (cents / 100).toFixed(2)])),
    thenKeep,
  };
}

/** The day identity kept for a debt is erased: the first UTC midnight after settlement plus the period. */
export function endOfDebtRetention(settledAt: Date, period: RetentionPeriod) {
  return endOfRetention(settledAt, period);
}

/** Kept groups of a plan, one RetainedRecord each. */
export function keptGroupsOf(plan: ErasurePlan) {
  return plan.categories.flatMap((category) => category.kept.map((group) => ({ category: category.category, ...group })));
}

/** Records of a plan deleted at execution (personal-data items are handled on their own). */
export function recordsToEraseNow(plan: ErasurePlan) {
  return plan.categories
    .filter((category) => category.category !== "personal_data")
    .flatMap((category) => category.eraseNow) as (PlanRecord & { type: ErasableRecordType })[];
}

/**
 * What the subject still owes, from their credit decisions and repayment observations: per decision,
 * the latest observation, when it is not `repaid` and shows an amount outstanding. A write-off arrives
 * as an observation with an outstanding amount of 0 (docs/ingestion.md).
 */
export function outstandingDebtsOf(
  decisions: { id: string; currency: string }[],
  repayments: { id: string; decisionId: string; observedAt: Date; status: string; outstandingAmount: { toString(): string } }[],
): OutstandingDebt[] {
  const latest = new Map<string, (typeof repayments)[number]>();
  for (const repayment of repayments) {
    const seen = latest.get(repayment.decisionId);
    if (!seen || repayment.observedAt > seen.observedAt || (repayment.observedAt.getTime() === seen.observedAt.getTime() && repayment.id > seen.id)) latest.set(repayment.decisionId, repayment);
  }
  const currencyOf = new Map(decisions.map((decision) => [decision.id, decision.currency]));
  return [...latest.values()]
    .filter((repayment) => repayment.status !== "repaid" && Number(repayment.outstandingAmount.toString()) > 0)
    .map((repayment) => ({
      decisionId: repayment.decisionId,
      status: repayment.status,
      outstandingAmount: Number(repayment.outstandingAmount.toString()).toFixed(2),
      currency: currencyOf.get(repayment.decisionId) ?? "",
      observedAt: repayment.observedAt,
    }));
}

/** Whether an approved plan keeps the subject's identity for an outstanding debt. */
export function keepsIdentityForDebt(plan: ErasurePlan) {
  return plan.categories.some((category) => category.kept.some((group) => group.untilDebtSettled && group.records.some((record) => record.type === "personal_data")));
}

export function summarisePlan(plan: ErasurePlan) {
  return plan.categories.map((category) => ({
    category: category.category,
    label: category.label,
    erasedNow: category.eraseNow.length,
    kept: category.kept.map((group) => ({ count: group.records.length, retainUntil: group.retainUntil, basis: group.basis })),
  }));
}
