import { createHash } from "node:crypto";
import { db } from "~/utils/db.server";
import { requireRecordPermission, type Actor, missingRecord, requirePermission } from "~/modules/access/actor.server";
import { findRegion } from "~/modules/access/regions.server";
import { canonicalJson } from "~/modules/audit/canonical-json";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { buildAdverseActionNotice, buildReviewOutcomeNotice, type NoticeDocument } from "./notice-document";
import { isProcessingRestricted } from "~/modules/privacy/restriction";
import { noticePolicy } from "./notice-policy.server";
import { findReasonCode, reasonCodeCatalogue } from "./reason-codes.server";
import type { NoticeKind } from "./schema";

// Generating a customer notice (issue 4.7): the adverse-action / explanation notice of a declined
// decision, or the outcome of the human review a customer asked for. Each generation is recorded in
// DecisionNotice (language, reason codes, content hash, who, when — no personal data) and appends one
// audit event in the same transaction. Generating is an export of the decision: `export Decision`.

export class NoticeRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoticeRefusedError";
  }
}

const catalogue = { find: findReasonCode, neutralFraudText: reasonCodeCatalogue.neutralFraudText };

function asFeatures(value: unknown): Record<string, unknown> {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** SHA-256 of the notice's canonical JSON: the same content always gives the same hash. */
export function noticeHash(notice: NoticeDocument) {
  return createHash("sha256").update(canonicalJson(notice)).digest("hex");
}

/** Why a notice of `kind` cannot be generated for this decision yet, or null when it can. */
export function noticeUnavailableReason(
  kind: NoticeKind,
  decision: { outcome: string },
  closedContest: { verdict: string | null } | null,
): string | null {
  if (kind === "adverse_action") {
    return decision.outcome === "declined" ? null : `An adverse-action notice is for declined decisions; this one is ${decision.outcome.replace(/_/g, " ")}.`;
  }
  return closedContest?.verdict ? null : "There is no closed review of a customer's contest of this decision yet; its outcome notice follows the review.";
}

export async function generateDecisionNotice(actor: Actor, decisionId: string, kind: NoticeKind) {
  // A role that generates no notices gets the same 403 for every id, existing or not.
  requirePermission(actor, "notify", "Decision");
  const decision = await db.decision.findUnique({
    where: { id: decisionId },
    select: {
      id: true,
      externalId: true,
      regionCode: true,
      outcome: true,
      amount: true,
      currency: true,
      decidedAt: true,
      features: true,
      customer: { select: { reference: true, isRestricted: true } },
      reasons: { select: { position: true, code: true }, orderBy: { position: "asc" } },
    },
  });
  if (!decision) throw missingRecord(actor, "read", "Decision");
  const subject = { id: decision.id, regionCode: decision.regionCode, outcome: decision.outcome };
  requireRecordPermission(actor, "read", "Decision", subject);
  requireRecordPermission(actor, "notify", "Decision", subject);

  const closedContest = await db.review.findFirst({
    // The review that answered a contest: its own, or the one already open that the contest joined.
    where: { decisionId, OR: [{ trigger: "contest" }, { privacyRequestId: { not: null } }], status: "closed", verdict: { not: null } },
    orderBy: { closedAt: "desc" },
    select: { id: true, verdict: true, closedAt: true },
  });
  const unavailable = noticeUnavailableReason(kind, decision, closedContest);
  if (unavailable) throw new NoticeRefusedError(unavailable);

  const region = findRegion(decision.regionCode);
  const policy = noticePolicy.regions[decision.regionCode as keyof typeof noticePolicy.regions];
  if (!region || !policy) throw new Error(`no notice policy for region ${decision.regionCode}`);
  const labels = noticePolicy.labels[policy.language];
  const issuedAt = new Date();
  const common = {
    decision: { ...decision, amount: decision.amount.toString(), features: asFeatures(decision.features) },
    customerReference: decision.customer.reference,
    region: { code: region.code, locale: region.locale, timeZone: region.timeZone },
    policy,
    labels,
    issuedAt,
  };
  const notice =
    kind === "adverse_action"
      ? buildAdverseActionNotice({ ...common, reasons: decision.reasons, catalogue })
      : buildReviewOutcomeNotice({ ...common, review: { verdict: closedContest!.verdict as "upheld" | "overturned", closedAt: closedContest!.closedAt ?? issuedAt } });
  const contentSha256 = noticeHash(notice);

  // GDPR Art. 18(2): a notice to a customer who restricted processing is still generated. It is owed to
  // them (Art. 22(3), Reg B adverse action), uses only the stored decision record, discloses nothing to
  // anyone else, and serves the defence of legal claims; the event records that it was such a notice.
  const isSubjectRestricted = isProcessingRestricted(decision.customer);
  const record = await db.$transaction(async (tx) => {
    const created = await tx.decisionNotice.create({
      data: { decisionId, kind, locale: region.locale, reasonCodes: notice.reasonCodes, contentSha256, generatedById: actor.user.id, generatedAt: issuedAt },
      select: { id: true },
    });
    await appendAuditEvent(tx, actor.audit, {
      action: kind === "adverse_action" ? "decision.notice_generated" : "decision.review_outcome_notice_generated",
      subjectType: "Decision",
      subjectId: decisionId,
      regionCode: decision.regionCode,
      changes: {
        after: {
          noticeId: created.id,
          kind,
          locale: region.locale,
          reasonCodes: notice.reasonCodes,
          contentSha256,
          ...(closedContest && kind === "review_outcome" ? { reviewId: closedContest.id } : {}),
          ...(isSubjectRestricted ? { subjectProcessingRestricted: true } : {}),
        },
      },
    });
    return created;
  });
  return { notice, noticeId: record.id, contentSha256 };
}
