import { randomUUID } from "node:crypto";
import type { Tx } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import type { AuditAction } from "./actions";
import { eventLeafTemplate } from "./event-document";
import { sealForSubject } from "./subject-keys.server";

// The single audit entry point (DESIGN.md §6). Every state change, every read of unmasked personal
// data and every export calls appendAuditEvent with the transaction that makes the change, so there
// is no change without its event and no event without its change. Each event becomes a leaf of the
// ledger's RFC 6962 Merkle tree in that same transaction.

export type AuditActorType = "staff" | "api_token" | "system" | "anonymous";

export interface AuditContext {
  actorType: AuditActorType;
  actorId: string | null;
  actorLabel: string | null;
  actorRole: string | null;
  requestId: string | null;
  ipAddress: string | null;
}

export interface AuditEventInput {
  action: AuditAction;
  subjectType: string;
  subjectId?: string | null;
  regionCode?: string | null;
  justification?: string | null;
  /** Before/after of the changed fields; never personal data in clear (use `personalData`). */
  changes?: { before?: Record<string, unknown>; after?: Record<string, unknown> } | Record<string, unknown>;
  /** Personal data the event must carry, sealed with the data subject's own key (crypto-shredding). */
  personalData?: { customerId: string; fields: Record<string, unknown> };
}

export const systemAuditContext: AuditContext = {
  actorType: "system",
  actorId: null,
  actorLabel: "attest",
  actorRole: null,
  requestId: null,
  ipAddress: null,
};

/**
 * Appends one event inside `tx`: one statement that stages it, taking no lock. At the transaction's
 * COMMIT the database numbers it from the ledger head row — whose row lock serialises appends across
 * every app instance only for the commit itself — hashes it and extends the tree (ADR 004). Numbers are
 * gapless, the tree grows in sequence order, and a rolled-back transaction leaves no event and no gap.
 * The sequence number and time exist only once the transaction has committed: read them by `id`.
 */
export async function appendAuditEvent(tx: Tx, context: AuditContext, event: AuditEventInput) {
  const changes = event.personalData
    ? { ...(event.changes ?? {}), personal: await sealForSubject(tx, event.personalData.customerId, event.personalData.fields) }
    : (event.changes ?? null);
  const staged = stagedAuditEvent(context, event, changes);
  await tx.$executeRaw`SELECT attest_stage_audit_event(${JSON.stringify(staged)}::jsonb)`;
  return { id: staged.id };
}

/**
 * The row attest_stage_audit_event stages, keyed by column: the event's fields and its leaf's canonical
 * JSON around the sequence number and time, which the database splices in at COMMIT under the head lock
 * (migration …_ledger_sequence_at_commit). The verifier recomputes every leaf independently. One JSON
 * parameter: binding many costs the app more than the insert costs the database.
 */
export function stagedAuditEvent(context: AuditContext, event: AuditEventInput, changes: unknown) {
  const fields = {
    id: randomUUID(),
    actorType: context.actorType,
    actorId: context.actorId,
    actorLabel: context.actorLabel,
    actorRole: context.actorRole,
    action: event.action,
    subjectType: event.subjectType,
    subjectId: event.subjectId ?? null,
    regionCode: event.regionCode ?? null,
    justification: event.justification ?? null,
    changes,
    requestId: context.requestId,
    ipAddress: context.ipAddress,
  };
  const leaf = eventLeafTemplate(fields);
  return {
    id: fields.id,
    leaf_prefix: leaf.prefix,
    leaf_middle: leaf.middle,
    leaf_suffix: leaf.suffix,
    actor_type: fields.actorType,
    actor_id: fields.actorId,
    actor_label: fields.actorLabel,
    actor_role: fields.actorRole,
    action: fields.action,
    subject_type: fields.subjectType,
    subject_id: fields.subjectId,
    region_code: fields.regionCode,
    justification: fields.justification,
    changes,
    request_id: fields.requestId,
    ip_address: fields.ipAddress,
    is_synchronous_commit: env.AUDIT_SYNCHRONOUS_COMMIT === "on",
  };
}
