import { db, type Tx } from "~/utils/db.server";
import { canReadPersonalData, subjectOf, WITHHELD_FREE_TEXT } from "~/modules/access/ability.server";
import { forbidden, missingRecord, notFound, requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { decryptRequestTexts, encryptRequestText } from "~/modules/customers/subject-text.server";
import { type PrivacyRequestAction } from "./schema";
import { describeDuration, localDay, pausedDays } from "./deadlines";
import { regimeForRegion } from "./regimes.server";
import { PrivacyRequestRefusedError, isClosed, handlersOf, type RequestRow, loadForChange, requireOpen, requireVerified, requireNotPaused, updateVersioned, event, clockOf } from "./request-workflow.server";
import { matchToCustomer, requestIdentity, verifyIdentity } from "./request-identity.server";
import { addNote, assign } from "./request-notes.server";
import { extend, pause, resume } from "./request-deadlines.server";
import { approveRefusal, proposeRefusal, rejectRefusal } from "./request-refusal.server";
import { liftRestriction, recordObjection, rectify, restrict } from "./request-subject-rights.server";

export { PrivacyRequestRefusedError } from "./request-workflow.server";
export { createPrivacyRequest, newPrivacyRequestReference, receivePrivacyRequestFromApi, requireIntakePermission } from "./request-intake.server";
export { exportPrivacyRequests, listPrivacyRequests, type PrivacyRequestListItem } from "./request-list.server";

// Data-protection requests (DESIGN.md §9): one request's page, its completion and the dispatcher of the
// workflow's steps, which live beside it along the workflow — intake (request-intake), identity
// (request-identity), deadlines (request-deadlines), notes (request-notes), refusal (request-refusal),
// subject rights (request-subject-rights) and the list (request-list). Every change is one transaction
// ending in its audit event. The subject's personal data is never shown here; it stays behind the
// customer page's masking.

// ── One request ────────────────────────────────────────────────────────────────────────────────

export async function getPrivacyRequest(actor: Actor, requestId: string) {
  const staffName = { select: { displayName: true } } as const;
  const request = await db.privacyRequest.findUnique({
    where: { id: requestId },
    include: {
      customer: { select: { id: true, reference: true, regionCode: true, isRestricted: true, restrictedAt: true, objectedAt: true, erasedAt: true } },
      decision: { select: { id: true, externalId: true, regionCode: true, outcome: true } },
      // The human review that answers a contest (GDPR Art. 22(3)): its own contest review, or the review
      // already open for the decision that the contest joined.
      reviews: { orderBy: { openedAt: "desc" }, take: 1, select: { id: true, status: true, verdict: true, closedAt: true } },
      assignee: staffName,
      identityVerifiedBy: staffName,
      approvalRequestedBy: staffName,
      approver: staffName,
      completedBy: staffName,
      duplicateOf: { select: { id: true, reference: true, state: true } },
      duplicates: { select: { id: true, reference: true, state: true }, orderBy: { receivedAt: "asc" } },
      notes: { orderBy: { createdAt: "asc" }, include: { author: staffName } },
      pauses: { orderBy: { startedAt: "asc" }, include: { startedBy: staffName } },
      artefacts: {
        orderBy: { createdAt: "asc" },
        select: { id: true, kind: true, fileName: true, sha256: true, sizeBytes: true, createdAt: true },
      },
    },
  });
  if (!request) throw missingRecord(actor, "read", "PrivacyRequest");
  const {
    customer,
    decision,
    assignee,
    identityVerifiedBy,
    approvalRequestedBy,
    approver,
    completedBy,
    duplicateOf,
    duplicates,
    notes,
    pauses,
    artefacts,
    reviews,
    // The requester's contact details are personal data: never sent to the page (matching uses them).
    requesterName,
    requesterEmail,
    ...facts
  } = request;
  requireRecordPermission(actor, "read", "PrivacyRequest", facts);
  const { regime, timeZone, authority } = regimeForRegion(facts.regionCode);
  const can = (action: "update" | "verifyIdentity" | "extend" | "refuse" | "approve" | "complete" | "assign") =>
    actor.ability.can(action, subjectOf("PrivacyRequest", facts) as never);
  const canOnCustomer = (action: "rectify" | "restrict") =>
    customer ? actor.ability.can(action, subjectOf("Customer", customer) as never) : false;
  const isOpen = !isClosed(facts.state);
  // The requester's words, notes, reasons and pause questions are free text that may name the subject
  // or describe their situation (objection grounds are copied into a note): only a role that may read
  // the customer's personal data fields gets them; others see that something is withheld. An unmatched
  // request is judged by its region, as its customer would be.
  const isFreeTextWithheld = !canReadPersonalData(actor.ability, customer ?? { regionCode: facts.regionCode });
  // Free text is decrypted only for a reader of personal data; others never receive even its ciphertext.
  const stored = [facts.details, facts.refusalReason, facts.extensionReason, ...notes.map((note) => note.body), ...pauses.map((pause) => pause.reason)];
  const opened = isFreeTextWithheld
    ? stored.map((value) => (value ? WITHHELD_FREE_TEXT : null))
    : await decryptRequestTexts(db, stored.map((value) => ({ request: facts, value })));
  const [details, refusalReason, extensionReason] = opened;
  const noteBodies = opened.slice(3, 3 + notes.length);
  const pauseReasons = opened.slice(3 + notes.length);
  return {
    isFreeTextWithheld,
    request: {
      ...facts,
      details: details ?? null,
      refusalReason: refusalReason ?? null,
      extensionReason: extensionReason ?? null,
      ...clockOf(facts),
      originalDueDay: localDay(facts.dueAt, timeZone),
      receivedDay: localDay(facts.receivedAt, timeZone),
      assigneeName: assignee?.displayName ?? null,
      identityVerifiedByName: identityVerifiedBy?.displayName ?? null,
      approvalRequestedByName: approvalRequestedBy?.displayName ?? null,
      approverName: approver?.displayName ?? null,
      completedByName: completedBy?.displayName ?? null,
      hasRequesterContact: Boolean(requesterName || requesterEmail),
    },
    regime: {
      label: regime.label,
      citation: regime.citation,
      dueDateRule: regime.dueDateRule,
      period: describeDuration(regime.period),
      clockStarts: regime.clockStarts,
      extension: regime.extension
        ? { max: describeDuration(regime.extension.max), unit: "months" in regime.extension.max ? "months" : "days", maxAmount: "months" in regime.extension.max ? regime.extension.max.months : regime.extension.max.days }
        : null,
      pausesForClarification: regime.pausesForClarification,
      timeZone,
      authority,
    },
    customer: customer ? { ...customer, canOpen: actor.ability.can("read", "Customer") } : null,
    decision: decision
      ? {
          id: decision.id,
          externalId: decision.externalId,
          canOpen: actor.ability.can("read", subjectOf("Decision", decision) as never),
          canGenerateNotice: actor.ability.can("notify", subjectOf("Decision", decision) as never),
        }
      : null,
    contestReview: reviews[0] ?? null,
    duplicateOf,
    duplicates,
    notes: notes.map((note, index) => ({ id: note.id, body: noteBodies[index] ?? "", createdAt: note.createdAt, authorName: note.author.displayName })),
    pauses: pauses.map((pause, index) => ({
      id: pause.id,
      reason: pauseReasons[index] ?? "",
      startedAt: pause.startedAt,
      endedAt: pause.endedAt,
      startedByName: pause.startedBy.displayName,
      days: pausedDays([pause], timeZone, new Date()),
    })),
    artefacts,
    handlers: isOpen && (can("assign") || can("update")) ? await handlersOf(db, facts.regionCode) : [],
    viewerId: actor.user.id,
    permissions: {
      note: can("update"),
      update: isOpen && can("update"),
      verifyIdentity: isOpen && can("verifyIdentity"),
      extend: isOpen && can("extend"),
      refuse: isOpen && can("refuse"),
      approve: isOpen && can("approve"),
      complete: isOpen && can("complete"),
      assign: isOpen && can("assign"),
      rectify: isOpen && canOnCustomer("rectify"),
      restrict: canOnCustomer("restrict"),
    },
  };
}

export type PrivacyRequestView = Awaited<ReturnType<typeof getPrivacyRequest>>;

// ── The workflow ───────────────────────────────────────────────────────────────────────────────

/** What must hold before any request is completed, whoever completes it. */
function requireCompletable(row: RequestRow) {
  requireOpen(row);
  if (row.pendingAction === "refusal") throw new PrivacyRequestRefusedError("a refusal is waiting for approval; it cannot be completed as well");
  requireVerified(row, "complete the request");
  requireNotPaused(row);
}

/**
 * A contest (GDPR Art. 22(3)) is answered by the human review of its decision, so closing that review
 * completes it: the authority is the reviewer's `decide` (or the approver's `approve`) on that review,
 * not the DPO's `complete` on the request. The review must belong to this contest and be closed.
 */
async function requireContestReviewAuthority(tx: Tx, actor: Actor, row: RequestRow, reviewId: string) {
  if (row.type !== "contest") throw new PrivacyRequestRefusedError(`only a contest is answered by a review; this is a ${row.type} request`);
  const review = await tx.review.findUnique({ where: { id: reviewId }, select: { id: true, regionCode: true, trigger: true, status: true, privacyRequestId: true } });
  if (!review || review.privacyRequestId !== row.id) throw new PrivacyRequestRefusedError(`that review does not answer the contest ${row.reference}`);
  if (review.status !== "closed") throw new PrivacyRequestRefusedError(`the review of the contest ${row.reference} is not closed yet`);
  const subject = subjectOf("Review", { id: review.id, regionCode: review.regionCode, trigger: review.trigger, status: review.status }) as never;
  if (!actor.ability.can("decide", subject) && !actor.ability.can("approve", subject)) throw forbidden("decide", "Review");
}

/**
 * Refuses, with the reason, when the request could not be completed now; for a step that will
 * complete it later (a contest's overturn proposed for four-eyes approval), so nobody is told late.
 */
export async function requirePrivacyRequestCompletable(tx: Tx, requestId: string) {
  const row = await loadForChange(tx, requestId);
  if (!row) throw notFound("That privacy request");
  requireCompletable(row);
  return { reference: row.reference, state: row.state };
}

/**
 * Moves the request to `completed` (used by this module, by erasure and access export, and by the
 * review that answers a contest: `answeredByReviewId`). A caller whose own audit event already records
 * the completion (its before/after state) passes `isRecordedByCaller`, so one action stays one event.
 */
export async function completePrivacyRequest(
  tx: Tx,
  actor: Actor,
  requestId: string,
  { note, isRecordedByCaller = false, answeredByReviewId }: { note: string; isRecordedByCaller?: boolean; answeredByReviewId?: string },
) {
  const row = await loadForChange(tx, requestId);
  if (!row) throw notFound("That privacy request");
  if (answeredByReviewId) await requireContestReviewAuthority(tx, actor, row, answeredByReviewId);
  else requireRecordPermission(actor, "complete", "PrivacyRequest", row);
  requireCompletable(row);
  const now = new Date();
  await updateVersioned(tx, row, row.version, { state: "completed", completedById: actor.user.id, completedAt: now, pendingAction: null });
  if (note.trim()) await tx.privacyRequestNote.create({ data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, note.trim()) } });
  if (isRecordedByCaller) return;
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.completed", {
    justification: note.trim() || null,
    changes: { before: { state: row.state }, after: { state: "completed", completedAt: now.toISOString() } },
  }));
}

/** One step of the workflow on one request, as chosen on the request page. Returns a message for the page. */
export async function actOnPrivacyRequest(actor: Actor, requestId: string, input: PrivacyRequestAction): Promise<string> {
  return db.$transaction(async (tx) => {
    const row = await loadForChange(tx, requestId);
    if (!row) throw notFound("That privacy request");
    requireRecordPermission(actor, "read", "PrivacyRequest", row);
    if (row.version !== input.version) {
      throw new PrivacyRequestRefusedError("someone else changed this request since you opened it; reload the page and try again");
    }
    const steps: Record<PrivacyRequestAction["intent"], () => Promise<string>> = {
      matchCustomer: () => matchToCustomer(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "matchCustomer" }>),
      requestIdentity: () => requestIdentity(tx, actor, row),
      verifyIdentity: () => verifyIdentity(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "verifyIdentity" }>),
      assign: () => assign(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "assign" }>),
      note: () => addNote(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "note" }>),
      extend: () => extend(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "extend" }>),
      pause: () => pause(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "pause" }>),
      resume: () => resume(tx, actor, row),
      proposeRefusal: () => proposeRefusal(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "proposeRefusal" }>),
      approveRefusal: () => approveRefusal(tx, actor, row),
      rejectRefusal: () => rejectRefusal(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "rejectRefusal" }>),
      complete: () => completeDirectly(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "complete" }>),
      rectify: () => rectify(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "rectify" }>),
      restrict: () => restrict(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "restrict" }>),
      liftRestriction: () => liftRestriction(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "liftRestriction" }>),
      recordObjection: () => recordObjection(tx, actor, row, input as Extract<PrivacyRequestAction, { intent: "recordObjection" }>),
    };
    return steps[input.intent]();
  });
}

async function completeDirectly(tx: Tx, actor: Actor, row: RequestRow, input: { note: string }) {
  // Erasures complete through their executed plan; access and portability through the signed export.
  if (!["rectification", "restriction", "objection"].includes(row.type)) {
    throw new PrivacyRequestRefusedError(
      row.type === "erasure" ? "an erasure request completes when its approved plan is executed" : `a ${row.type} request completes when its signed export is delivered`,
    );
  }
  await completePrivacyRequest(tx, actor, row.id, { note: input.note });
  return "Request completed.";
}

