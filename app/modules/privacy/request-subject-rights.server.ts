import { type Tx } from "~/utils/db.server";
import { requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { readPersonalDataForSystem, writePersonalData } from "~/modules/customers/personal-data.server";
import { encryptRequestText } from "~/modules/customers/subject-text.server";
import { type PrivacyRequestAction } from "./schema";
import { PrivacyRequestRefusedError, handlersOf, type RequestRow, requireOpen, requireNotPendingApproval, requireVerified, requireType, requireCustomer, updateVersioned } from "./request-workflow.server";

// Rectification, restriction and objection (GDPR Art. 16, 18, 21) carried out from their requests.

const personalDataColumns = { fullName: true, email: true, phone: true, dateOfBirth: true, street: true, postalCode: true, city: true, country: true } as const;

export async function rectify(tx: Tx, actor: Actor, row: RequestRow, input: Extract<PrivacyRequestAction, { intent: "rectify" }>) {
  requireType(row, "rectification", "change personal data");
  const customer = requireCustomer(row);
  requireRecordPermission(actor, "rectify", "Customer", customer);
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireVerified(row, "change personal data");
  if (customer.erasedAt) throw new PrivacyRequestRefusedError("this customer was erased; no personal data is held");
  const stored = await readPersonalDataForSystem(tx, customer.id, "rectification");
  if (!stored) throw new PrivacyRequestRefusedError("no personal data is held for this customer");
  const current: Record<string, string> = { ...stored, updatedAt: stored.updatedAt.toISOString() };
  const before: Record<string, string> = {};
  const after: Record<string, string> = {};
  for (const field of Object.keys(personalDataColumns) as (keyof typeof personalDataColumns)[]) {
    const value = input[field];
    if (value !== undefined && value !== current[field]) {
      before[field] = current[field]!;
      after[field] = value;
    }
  }
  const changed = Object.keys(after);
  if (changed.length === 0) throw new PrivacyRequestRefusedError("enter at least one new value that differs from what is held", "fullName", 422);
  await writePersonalData(tx, customer.id, after);
  await tx.privacyRequestNote.create({ data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, `Rectified: ${changed.join(", ")}.`) } });
  await updateVersioned(tx, row, row.version, {});
  // The old values exist from now on only in this event, sealed under the subject's key (crypto-shredding).
  await appendAuditEvent(tx, actor.audit, {
    action: "customer.personal_data_rectified",
    subjectType: "Customer",
    subjectId: customer.id,
    regionCode: customer.regionCode,
    changes: { fields: changed, requestId: row.id, reference: row.reference },
    personalData: { customerId: customer.id, fields: { before, after } },
  });
  return `Rectified ${changed.join(", ")}. The previous values are kept only in the audit ledger, encrypted under the customer's key.`;
}

export async function restrict(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireType(row, "restriction", "restrict processing");
  const customer = requireCustomer(row);
  requireRecordPermission(actor, "restrict", "Customer", customer);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireVerified(row, "restrict processing");
  if (customer.isRestricted) throw new PrivacyRequestRefusedError("processing of this customer's data is already restricted");
  const now = new Date();
  await tx.customer.update({ where: { id: customer.id }, data: { isRestricted: true, restrictedAt: now } });
  await updateVersioned(tx, row, row.version, {});
  await appendAuditEvent(tx, actor.audit, {
    action: "customer.processing_restricted",
    subjectType: "Customer",
    subjectId: customer.id,
    regionCode: customer.regionCode,
    justification: input.reason,
    freeTextSubject: { customerId: customer.id },
    changes: { before: { isRestricted: false }, after: { isRestricted: true, restrictedAt: now.toISOString() }, requestId: row.id, reference: row.reference },
  });
  return "Processing restricted: the customer's personal data is withheld from processing views and exports.";
}

export async function liftRestriction(tx: Tx, actor: Actor, row: RequestRow, input: { reason: string }) {
  requireType(row, "restriction", "lift a restriction");
  const customer = requireCustomer(row);
  requireRecordPermission(actor, "restrict", "Customer", customer);
  if (!customer.isRestricted) throw new PrivacyRequestRefusedError("processing of this customer's data is not restricted");
  await tx.customer.update({ where: { id: customer.id }, data: { isRestricted: false, restrictedAt: null } });
  await updateVersioned(tx, row, row.version, {});
  // GDPR Art. 18(3): the subject is told before a restriction is lifted; the reason is recorded.
  await appendAuditEvent(tx, actor.audit, {
    action: "customer.restriction_lifted",
    subjectType: "Customer",
    subjectId: customer.id,
    regionCode: customer.regionCode,
    justification: input.reason,
    freeTextSubject: { customerId: customer.id },
    changes: { before: { isRestricted: true, restrictedAt: customer.restrictedAt?.toISOString() ?? null }, after: { isRestricted: false }, requestId: row.id, reference: row.reference },
  });
  return "Restriction lifted.";
}

export async function recordObjection(tx: Tx, actor: Actor, row: RequestRow, input: { grounds: string; routeToId: string }) {
  requireType(row, "objection", "record an objection");
  const customer = requireCustomer(row);
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  requireOpen(row);
  requireNotPendingApproval(row);
  requireVerified(row, "record the objection");
  const handler = (await handlersOf(tx, row.regionCode)).find((candidate) => candidate.id === input.routeToId);
  if (!handler) throw new PrivacyRequestRefusedError(`choose an active DPO or compliance officer who covers ${row.regionCode}`, "routeToId", 422);
  const now = new Date();
  const objectedAt = customer.objectedAt ?? now;
  await tx.customer.update({ where: { id: customer.id }, data: { objectedAt } });
  await tx.privacyRequestNote.create({ data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, `Objection recorded and routed to ${handler.displayName}. Grounds: ${input.grounds}`) } });
  await updateVersioned(tx, row, row.version, { assigneeId: handler.id });
  await appendAuditEvent(tx, actor.audit, {
    action: "customer.objection_recorded",
    subjectType: "Customer",
    subjectId: customer.id,
    regionCode: customer.regionCode,
    // The grounds may describe the person's situation: sealed under their key, not in clear.
    personalData: { customerId: customer.id, fields: { grounds: input.grounds } },
    changes: { before: { objectedAt: customer.objectedAt?.toISOString() ?? null, assigneeId: row.assigneeId }, after: { objectedAt: objectedAt.toISOString(), assigneeId: handler.id }, requestId: row.id, reference: row.reference },
  });
  return `Objection recorded on the customer and routed to ${handler.displayName}.`;
}
