import { randomUUID } from "node:crypto";
import type { Tx } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import type { AuditAction } from "./actions";
import { eventLeafHash } from "./event-document";
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
 * Appends one event inside `tx`. The sequence number comes from the ledger head row, whose row lock
 * serialises appends across every app instance until the transaction ends: numbers are gapless, the
 * tree grows in sequence order, and a rolled-back transaction takes its number, event and nodes with it.
 */
export async function appendAuditEvent(tx: Tx, context: AuditContext, event: AuditEventInput) {
  if (env.AUDIT_SYNCHRONOUS_COMMIT === "off") await tx.$executeRaw`SET LOCAL synchronous_commit = off`;
  const changes = event.personalData
    ? { ...(event.changes ?? {}), personal: await sealForSubject(tx, event.personalData.customerId, event.personalData.fields) }
    : (event.changes ?? null);
  // The time is the database's, read under the head lock, so event times never run backwards.
  const [head] = await tx.$queryRaw<{ size: bigint; now: Date }[]>`
    UPDATE audit_ledger_head SET size = size + 1 WHERE id = 1
    RETURNING size, date_trunc('milliseconds', clock_timestamp()) AS now`;
  if (!head) throw new Error("audit_ledger_head is missing: run `npm run db:migrate`");
  const row = {
    seq: head.size,
    id: randomUUID(),
    occurredAt: head.now,
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
  const leafHash = eventLeafHash(row);
  await tx.$executeRaw`
    WITH appended AS (
      INSERT INTO audit_event (seq, id, occurred_at, actor_type, actor_id, actor_label, actor_role, action,
        subject_type, subject_id, region_code, justification, changes, request_id, ip_address, leaf_hash)
      VALUES (${row.seq}, ${row.id}::uuid, ${row.occurredAt}, ${row.actorType}, ${row.actorId}, ${row.actorLabel},
        ${row.actorRole}, ${row.action}, ${row.subjectType}, ${row.subjectId}, ${row.regionCode}, ${row.justification},
        ${changes === null ? null : JSON.stringify(changes)}::jsonb, ${row.requestId}, ${row.ipAddress}, ${leafHash})
      RETURNING seq, leaf_hash
    )
    SELECT attest_extend_ledger_tree(seq, leaf_hash) FROM appended`;
  return { seq: row.seq, id: row.id, leafHash };
}
