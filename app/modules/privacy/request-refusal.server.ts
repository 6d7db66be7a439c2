import { type Tx } from "~/utils/db.server";
import { forbidden, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { decryptRequestTexts, encryptRequestText } from "~/modules/customers/subject-text.server";
import { complaintRightNotice } from "./regimes.server";
import { PrivacyRequestRefusedError, type RequestRow, requireOpen, requireNotPendingApproval, requireNotUnverifiedDuplicate, updateVersioned, event } from "./request-workflow.server";

// Four-eyes refusal of a request: proposed with a reason, approved or rejected by a second DPO; the
// requester is told where to complain (GDPR Art. 12(4)).

export async function proposeRefusal(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireRecordPermission(actor, "refuse", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  // A duplicate whose requester failed identity checks may be refused; an unchecked one may not.
  if (row.identityState !== "failed") requireNotUnverifiedDuplicate(row, "refuse it");
  const reason = input.reason.trim();
  if (reason.length < 10) throw new PrivacyRequestRefusedError("give the reason for the refusal (at least 10 characters)", "reason", 422);
  const now = new Date();
  await updateVersioned(tx, row, row.version, {
    state: "awaiting_approval",
    pendingAction: "refusal",
    refusalReason: await encryptRequestText(tx, row, reason),
    approvalRequestedById: actor.user.id,
    approvalRequestedAt: now,
    approverId: null,
    approvedAt: null,
  });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.refusal_proposed", {
    justification: reason,
    changes: { before: { state: row.state }, after: { state: "awaiting_approval", pendingAction: "refusal" } },
  }));
  return "Refusal proposed. A second DPO must approve it before the requester is told.";
}

function stateBeforeApproval(row: RequestRow) {
  if (row.identityState === "verified") return row.pauses.length > 0 ? "scope_clarification" : "in_progress";
  return row.identityState === "pending" ? "identity_pending" : "received";
}

export async function approveRefusal(tx: Tx, actor: Actor, row: RequestRow) {
  requireRecordPermission(actor, "approve", "PrivacyRequest", row);
  if (row.pendingAction !== "refusal") throw new PrivacyRequestRefusedError("no refusal is waiting for approval on this request");
  // Four-eyes (DESIGN.md §5): the proposer never approves their own refusal.
  if (row.approvalRequestedById === actor.user.id) {
    throw forbidden("approve", "PrivacyRequest", "a second DPO must approve a refusal you proposed");
  }
  if (row.identityState !== "failed") requireNotUnverifiedDuplicate(row, "approve its refusal");
  const now = new Date();
  const notice = complaintRightNotice(row.regionCode);
  const [refusalReason] = await decryptRequestTexts(tx, [{ request: row, value: row.refusalReason }]);
  await updateVersioned(tx, row, row.version, {
    state: "refused",
    pendingAction: null,
    approverId: actor.user.id,
    approvedAt: now,
    complaintRightNotice: notice,
    completedById: actor.user.id,
    completedAt: now,
  });
  // Pauses end with the request.
  if (row.pauses[0]) await tx.privacyRequestPause.update({ where: { id: row.pauses[0].id }, data: { endedAt: now } });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.refusal_approved", {
    justification: refusalReason,
    changes: { before: { state: row.state }, after: { state: "refused", proposedBy: row.approvalRequestedById, complaintRightNotice: notice } },
  }));
  return "Refusal approved. Tell the requester the reason and their right to complain.";
}

export async function rejectRefusal(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireRecordPermission(actor, "approve", "PrivacyRequest", row);
  if (row.pendingAction !== "refusal") throw new PrivacyRequestRefusedError("no refusal is waiting for approval on this request");
  if (row.approvalRequestedById === actor.user.id) {
    throw forbidden("approve", "PrivacyRequest", "a second DPO decides a refusal you proposed; add a note to withdraw it");
  }
  const state = stateBeforeApproval(row);
  const [proposed] = await decryptRequestTexts(tx, [{ request: row, value: row.refusalReason }]);
  await updateVersioned(tx, row, row.version, { state, pendingAction: null, refusalReason: null, approvalRequestedById: null, approvalRequestedAt: null });
  // The withdrawn reason leaves the request's column: the note keeps it on the request (which erasure cleans).
  await tx.privacyRequestNote.create({
    data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, `Refusal not approved: ${input.reason}${proposed ? ` (proposed reason: ${proposed})` : ""}`) },
  });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.refusal_rejected", {
    justification: input.reason,
    sealedText: { withdrawnRefusalReason: proposed },
    changes: { before: { state: row.state, pendingAction: "refusal" }, after: { state } },
  }));
  return "Refusal rejected; the request is open again.";
}
