import { db, type Tx } from "~/utils/db.server";
import type { Prisma } from "~/generated/prisma/client";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { deadlineOf, localDay } from "./deadlines";
import { regimeForRegion } from "./regimes.server";


// What every step on one privacy request shares (ADR 015 split of privacy-requests.server.ts): the row
// as loaded for a change, the refusals that guard a step, the versioned update and the step's event.

/** A refused step, with the form field it concerns when there is one. */
export class PrivacyRequestRefusedError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly status = 409,
  ) {
    super(message);
  }
}

export const closedStates = ["completed", "refused"] as const;

export function isClosed(state: string) {
  return (closedStates as readonly string[]).includes(state);
}


const handlerRoles = ["dpo", "compliance_officer"] as const;

/** Staff who may be given a request of this region: active DPOs and compliance officers covering it. */
export function handlersOf(client: Tx | typeof db, regionCode: string) {
  return client.staffUser.findMany({
    where: { isActive: true, role: { in: [...handlerRoles] }, regions: { some: { regionCode } } },
    orderBy: [{ role: "desc" }, { displayName: "asc" }],
    select: { id: true, displayName: true, role: true },
  });
}


export function isPaused(row: { state: string; regionCode: string }) {
  return row.state === "scope_clarification" && regimeForRegion(row.regionCode).regime.pausesForClarification;
}

export function clockOf(row: { state: string; regionCode: string; dueAt: Date; extendedDueAt: Date | null }, now = new Date()) {
  const deadline = deadlineOf({ ...row, isPaused: isPaused(row) }, now);
  return { ...deadline, dueDay: localDay(deadline.effectiveDueAt, regimeForRegion(row.regionCode).timeZone) };
}


export type RequestRow = NonNullable<Awaited<ReturnType<typeof loadForChange>>>;

export async function loadForChange(tx: Tx, requestId: string) {
  return tx.privacyRequest.findUnique({
    where: { id: requestId },
    include: {
      customer: { select: { id: true, reference: true, regionCode: true, isRestricted: true, restrictedAt: true, objectedAt: true, erasedAt: true } },
      duplicateOf: { select: { reference: true } },
      pauses: { where: { endedAt: null }, select: { id: true, startedAt: true, endedAt: true } },
    },
  });
}

export function requireOpen(row: RequestRow) {
  if (isClosed(row.state)) throw new PrivacyRequestRefusedError(`this request is already ${row.state}`);
}

export function requireNotPendingApproval(row: RequestRow) {
  if (row.pendingAction === "refusal") throw new PrivacyRequestRefusedError("a refusal is waiting for a second DPO's approval; approve or reject it first");
  if (row.pendingAction) throw new PrivacyRequestRefusedError("an erasure is waiting for approval; it is decided on the erasure plan");
}

export function requireVerified(row: RequestRow, what: string) {
  if (row.identityState !== "verified") throw new PrivacyRequestRefusedError(`verify the requester's identity before you ${what}`);
}

/** Acting on a duplicate whose requester is not verified is blocked: it may be someone else asking. */
export function requireNotUnverifiedDuplicate(row: RequestRow, what: string) {
  if (row.duplicateOfId && row.identityState !== "verified") {
    throw new PrivacyRequestRefusedError(
      `this request duplicates ${row.duplicateOf?.reference ?? "an open request"} and the requester's identity is not verified; verify it before you ${what}`,
    );
  }
}

export function requireNotPaused(row: RequestRow) {
  if (row.pauses.length > 0) throw new PrivacyRequestRefusedError("the clock is paused for scope clarification; resume it first");
}

export function requireType(row: RequestRow, type: string, what: string) {
  if (row.type !== type) throw new PrivacyRequestRefusedError(`only ${type} requests ${what}; this is a ${row.type} request`);
}

export function requireCustomer(row: RequestRow) {
  if (!row.customer) throw new PrivacyRequestRefusedError("match the request to a customer first");
  return row.customer;
}

/** Writes the change only if nobody else changed the request since the form was shown. */
export async function updateVersioned(tx: Tx, row: RequestRow, expectedVersion: number, data: Prisma.PrivacyRequestUncheckedUpdateManyInput) {
  const updated = await tx.privacyRequest.updateMany({
    where: { id: row.id, version: expectedVersion },
    data: { ...data, version: { increment: 1 } },
  });
  if (updated.count === 0) {
    throw new PrivacyRequestRefusedError("someone else changed this request since you opened it; reload the page and try again");
  }
}

/**
 * A request's event. Its free text (notes, reasons) may describe the subject, so it is sealed under the
 * matched customer's key; while the request is not matched it belongs to an unidentified requester and
 * stays only on the request (which erasure cleans), never in the ledger (AuditEventInput.freeTextSubject).
 */
export function event(row: RequestRow, action: Parameters<typeof appendAuditEvent>[2]["action"], rest: Omit<Parameters<typeof appendAuditEvent>[2], "action" | "subjectType" | "subjectId" | "regionCode" | "freeTextSubject"> = {}) {
  return { action, subjectType: "PrivacyRequest", subjectId: row.id, regionCode: row.regionCode, freeTextSubject: { customerId: row.customerId }, ...rest };
}
