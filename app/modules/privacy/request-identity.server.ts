import { type Tx } from "~/utils/db.server";
import { requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { decryptTexts, encryptText } from "~/modules/customers/subject-text.server";
import { type PrivacyRequestAction } from "./schema";
import { clockStartOf, localDay, startOfLocalDay } from "./deadlines";
import { dueDatesInRegion, regimeForRegion } from "./regimes.server";
import { findOriginal, matchCustomer } from "./request-intake.server";
import { PrivacyRequestRefusedError, type RequestRow, requireOpen, requireCustomer, updateVersioned, event } from "./request-workflow.server";

// Matching a request to its customer and verifying the requester's identity. UK GDPR Art. 12A: the
// clock runs from the latest of receipt, the identity information asked for and any fee — the days they
// arrived, recorded apart from the day the DPO checked them.

export async function matchToCustomer(tx: Tx, actor: Actor, row: RequestRow, input: { customerReference: string }) {
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  if (row.customerId) throw new PrivacyRequestRefusedError("this request is already matched to a customer", "customerReference");
  const { customerId } = await matchCustomer(tx, { regionCode: row.regionCode, customerReference: input.customerReference });
  const original = await findOriginal(tx, customerId!, row.type, row.id);
  await updateVersioned(tx, row, row.version, { customerId, duplicateOfId: original?.id ?? null });
  await moveTextToCustomer(tx, row, customerId!);
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.matched", {
    changes: { after: { customerId, matchedBy: "customer_reference", duplicateOf: original?.reference ?? null } },
  }));
  return original ? `Matched. This request duplicates the open request ${original.reference}.` : "Matched to the customer.";
}

/**
 * Matching moves the request's free text from the requester's own key to the customer's, so the
 * customer's erasure reaches it, and deletes the requester's key (ADR 009).
 */
async function moveTextToCustomer(tx: Tx, row: RequestRow, customerId: string) {
  const [notes, pauses] = await Promise.all([
    tx.privacyRequestNote.findMany({ where: { requestId: row.id }, select: { id: true, body: true } }),
    tx.privacyRequestPause.findMany({ where: { requestId: row.id }, select: { id: true, reason: true } }),
  ]);
  const fields = [row.details, row.requesterName, row.requesterEmail, row.refusalReason, row.extensionReason];
  const stored = [...fields, ...notes.map((note) => note.body), ...pauses.map((pause) => pause.reason)];
  const opened = await decryptTexts(tx, stored.map((value) => ({ subjectId: row.id, value })));
  const customer = { id: customerId, kind: "customer" as const };
  const sealed = await Promise.all(opened.map((text) => encryptText(tx, customer, text)));
  const [details, requesterName, requesterEmail, refusalReason, extensionReason] = sealed;
  await tx.privacyRequest.update({ where: { id: row.id }, data: { details, requesterName, requesterEmail, refusalReason, extensionReason } });
  for (const [index, note] of notes.entries()) await tx.privacyRequestNote.update({ where: { id: note.id }, data: { body: sealed[fields.length + index]! } });
  for (const [index, pause] of pauses.entries()) await tx.privacyRequestPause.update({ where: { id: pause.id }, data: { reason: sealed[fields.length + notes.length + index]! } });
  await tx.subjectDataKey.deleteMany({ where: { subjectId: row.id, subjectKind: "requester" } });
}

export async function requestIdentity(tx: Tx, actor: Actor, row: RequestRow) {
  requireRecordPermission(actor, "verifyIdentity", "PrivacyRequest", row);
  requireOpen(row);
  if (row.identityState === "verified") throw new PrivacyRequestRefusedError("the requester's identity is already verified");
  await updateVersioned(tx, row, row.version, { identityState: "pending", state: row.state === "received" ? "identity_pending" : row.state });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.identity_requested", {
    changes: { before: { identityState: row.identityState, state: row.state }, after: { identityState: "pending" } },
  }));
  return "Identity check started: the requester has been asked to confirm who they are.";
}

export async function verifyIdentity(tx: Tx, actor: Actor, row: RequestRow, input: Extract<PrivacyRequestAction, { intent: "verifyIdentity" }>) {
  requireRecordPermission(actor, "verifyIdentity", "PrivacyRequest", row);
  requireOpen(row);
  requireCustomer(row);
  if (row.identityState === "verified") throw new PrivacyRequestRefusedError("the requester's identity is already verified");
  const now = new Date();
  // A structured record of what was checked: never a copy of a document (data minimisation, Art. 5(1)(c)).
  const evidence = {
    method: input.method,
    checks: [...new Set(input.checks)],
    result: input.result,
    checkedById: actor.user.id,
    checkedBy: actor.user.displayName,
    checkedAt: now.toISOString(),
    documentsKept: false,
  };
  const isVerified = input.result === "verified";
  const { regime, timeZone } = regimeForRegion(row.regionCode);
  const arrivals = identityArrivals(row, input, timeZone, now);
  // UK GDPR Art. 12A(2): the clock runs from the latest of receipt, the identity information asked for
  // and any fee — the days they arrived, not the day the DPO checked them.
  const isLatestOf = regime.clockStarts === "latest_of_receipt_identity_fee";
  // Undated, the information counts as arriving with the request: the clock stays at receipt (the
  // earlier, stricter date).
  const clockStartedAt = isLatestOf && isVerified && !row.extendedDueAt
    ? clockStartOf({ receivedAt: row.receivedAt, identityInformationReceivedAt: arrivals.informationReceivedAt, feeReceivedAt: arrivals.feeReceivedAt })
    : row.clockStartedAt;
  const startsClock = clockStartedAt !== null && clockStartedAt.getTime() !== row.clockStartedAt?.getTime();
  const dueAt = startsClock ? dueDatesInRegion(row.regionCode, { clockStartedAt: clockStartedAt!, pauses: (await pausesOf(tx, row.id)).filter((pause) => pause.startedAt >= clockStartedAt!), now }).dueAt : row.dueAt;
  const nextState = isVerified && (row.state === "received" || row.state === "identity_pending") ? "in_progress" : row.state;
  await updateVersioned(tx, row, row.version, {
    identityState: input.result,
    identityEvidence: evidence,
    identityVerifiedById: actor.user.id,
    identityVerifiedAt: now,
    identityInformationReceivedAt: arrivals.informationReceivedAt,
    feeReceivedAt: arrivals.feeReceivedAt,
    state: nextState,
    ...(startsClock ? { clockStartedAt, dueAt } : {}),
  });
  await appendAuditEvent(tx, actor.audit, event(row, isVerified ? "privacy_request.identity_verified" : "privacy_request.identity_failed", {
    changes: {
      before: { identityState: row.identityState, state: row.state, clockStartedAt: row.clockStartedAt?.toISOString() ?? null, dueAt: row.dueAt.toISOString() },
      after: {
        identityState: input.result,
        state: nextState,
        identityInformationReceivedAt: arrivals.informationReceivedAt?.toISOString() ?? null,
        feeReceivedAt: arrivals.feeReceivedAt?.toISOString() ?? null,
        clockStartedAt: clockStartedAt?.toISOString() ?? null,
        dueAt: dueAt.toISOString(),
        evidence,
      },
    },
  }));
  if (!isVerified) return "Identity could not be verified. The request can be refused or the requester asked again.";
  return startsClock
    ? `Identity verified. The statutory clock runs from ${localDay(clockStartedAt!, timeZone)} (${regime.citation}); due ${localDay(dueAt, timeZone)}.`
    : "Identity verified.";
}

/** The days the identity information and any fee arrived, as instants: not before receipt, not in the future. */
function identityArrivals(row: RequestRow, input: { informationReceivedOn?: string; feeReceivedOn?: string }, timeZone: string, now: Date) {
  const today = localDay(now, timeZone);
  const receivedDay = localDay(row.receivedAt, timeZone);
  const instantOf = (day: string | undefined, field: "informationReceivedOn" | "feeReceivedOn", what: string) => {
    if (!day) return null;
    if (day > today) throw new PrivacyRequestRefusedError(`the day the ${what} arrived cannot be after today (${today} in ${timeZone})`, field, 422);
    // What arrived with (or before) the request counts as arriving with it.
    if (day <= receivedDay) return row.receivedAt;
    return day === today ? now : startOfLocalDay(day, timeZone);
  };
  return {
    informationReceivedAt: instantOf(input.informationReceivedOn, "informationReceivedOn", "identity information"),
    feeReceivedAt: instantOf(input.feeReceivedOn, "feeReceivedOn", "fee"),
  };
}

async function pausesOf(tx: Tx, requestId: string) {
  return tx.privacyRequestPause.findMany({ where: { requestId }, select: { startedAt: true, endedAt: true } });
}
