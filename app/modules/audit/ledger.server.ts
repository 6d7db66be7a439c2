import { randomUUID } from "node:crypto";
import type { Tx } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import type { AuditAction } from "./actions";
import { eventContentSha256, eventLeafTemplate } from "./event-document";
import { computeEventTag } from "./event-tag";
import { currentEventTagKey } from "./event-tag-keys.server";
import { sealForSubject, SubjectKeyDestroyedError } from "./subject-keys.server";

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
  /**
   * Whom the event's free text (`justification`, `sealedText`) may describe. Set it whenever staff or a
   * requester wrote that text about a customer (review reasons, privacy request notes and reasons): the
   * ledger is append-only, so such text never goes in clear. With a customer id the text is sealed
   * under that customer's key with `personalData` (erasure destroys the key), the justification column
   * holds null and `changes.sealedFields` names what was sealed. With `customerId: null` (the requester
   * is not identified yet), or when that customer's key was already destroyed, the text is not written to
   * the ledger at all (`changes.withheldFields`): it stays only in the tables, which erasure cleans.
   * Leave it unset only for text about no customer (API tokens, staff accounts, key rotation).
   */
  freeTextSubject?: { customerId: string | null };
  /** Further free text about the subject the event records (e.g. a withdrawn reason); needs `freeTextSubject`. */
  sealedText?: Record<string, string | null | undefined>;
  /**
   * When the action happened in the story the ledger records, where that differs from now: e.g. the
   * demo seed replaying a history through this entry point. The event's `occurredAt` is always the
   * database clock at append (it orders the ledger); `businessTime` is part of the signed leaf.
   */
  businessTime?: Date | null;
}

type Changes = Record<string, unknown> | null;

/**
 * Splits the event's free text out of its clear columns (see `freeTextSubject`): what stays in clear,
 * and the fields to seal (when a customer is known). Pure, so the rule is tested without a database.
 */
export function separateFreeText(event: AuditEventInput): {
  justification: string | null;
  changes: Changes;
  sealed: { customerId: string; fields: Record<string, unknown> } | null;
} {
  const changes = (event.changes ?? null) as Changes;
  if (!event.freeTextSubject) {
    if (event.sealedText && Object.keys(event.sealedText).length > 0) throw new Error("sealedText needs freeTextSubject: say which customer the text is about");
    return { justification: event.justification ?? null, changes, sealed: event.personalData ?? null };
  }
  const freeText: Record<string, string> = {};
  if (event.justification?.trim()) freeText.justification = event.justification;
  for (const [field, text] of Object.entries(event.sealedText ?? {})) if (text?.trim()) freeText[field] = text;
  const fields = Object.keys(freeText);
  if (fields.length === 0) return { justification: null, changes, sealed: event.personalData ?? null };
  const { customerId } = event.freeTextSubject;
  if (event.personalData && event.personalData.customerId !== customerId) {
    throw new Error("an event's personal data and its free text must concern the same customer");
  }
  if (customerId === null) return { justification: null, changes: { ...(changes ?? {}), withheldFields: fields }, sealed: event.personalData ?? null };
  const personal = event.personalData?.fields ?? {};
  const clash = fields.find((field) => field in personal);
  if (clash) throw new Error(`the free text field ${clash} clashes with a personal data field of the same name`);
  return { justification: null, changes: { ...(changes ?? {}), sealedFields: fields }, sealed: { customerId, fields: { ...personal, ...freeText } } };
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
  const separated = separateFreeText(event);
  let changes: Changes = separated.changes;
  if (separated.sealed) {
    try {
      changes = { ...(changes ?? {}), personal: await sealForSubject(tx, separated.sealed.customerId, separated.sealed.fields) };
    } catch (error) {
      // The customer was erased: free text about them is no longer written anywhere it cannot be cleaned.
      if (!(error instanceof SubjectKeyDestroyedError) || event.personalData) throw error;
      const { sealedFields, ...rest } = changes ?? {};
      changes = { ...rest, withheldFields: sealedFields };
    }
  }
  const staged = stagedAuditEvent(context, { ...event, justification: separated.justification }, changes);
  await tx.$executeRaw`SELECT attest_stage_audit_event(${JSON.stringify(staged)}::jsonb)`;
  return { id: staged.id };
}

const FIRST_ISO_MS = Date.parse("0001-01-01T00:00:00.000Z");
const LAST_ISO_MS = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * The row attest_stage_audit_event stages, keyed by column: the event's fields, its authentication tag
 * (HMAC of the content under the application's tag key, computed here: the database never holds that
 * key) and its leaf's canonical JSON around the sequence number and time, which the database splices
 * in at COMMIT under the head lock (migration …_ledger_sequence_at_commit, leaf format v2 in
 * event-document.ts). The verifier recomputes every leaf and tag independently. One JSON parameter:
 * binding many costs the app more than the insert costs the database.
 */
export function stagedAuditEvent(context: AuditContext, event: AuditEventInput, changes: unknown) {
  const businessMs = event.businessTime?.getTime();
  // The leaf writes times as ISO-8601 with a four-digit year (and PostgreSQL stores them to the ms).
  if (businessMs !== undefined && !(businessMs >= FIRST_ISO_MS && businessMs <= LAST_ISO_MS)) {
    throw new TypeError("businessTime must be a valid date between the years 0001 and 9999");
  }
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
    businessTime: event.businessTime ?? null,
  };
  const contentSha256 = eventContentSha256(fields);
  const tagKey = currentEventTagKey();
  const tag = computeEventTag(tagKey, contentSha256);
  const leaf = eventLeafTemplate(contentSha256, { kid: tagKey.id, mac: tag });
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
    business_time: fields.businessTime?.toISOString() ?? null,
    tag_key_id: tagKey.id,
    tag,
    is_synchronous_commit: env.AUDIT_SYNCHRONOUS_COMMIT === "on",
  };
}
