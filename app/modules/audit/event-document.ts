import { canonicalBytes, canonicalJson } from "./canonical-json";
import { hashLeaf } from "./merkle";

// The ledger leaf: exactly these fields of an audit event, as RFC 8785 canonical JSON, hashed as an
// RFC 6962 leaf. docs/ledger.md specifies it so anyone can recompute a leaf from an exported event.
export const LEAF_FORMAT_VERSION = 1;

export interface AuditEventFields {
  seq: bigint | number;
  id: string;
  /** A Date, or already the ISO-8601 UTC text with milliseconds (as the verifier reads it). */
  occurredAt: Date | string;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  actorRole: string | null;
  action: string;
  subjectType: string;
  subjectId: string | null;
  regionCode: string | null;
  justification: string | null;
  changes: unknown;
  requestId: string | null;
  ipAddress: string | null;
}

export function eventDocument(event: AuditEventFields) {
  return {
    v: LEAF_FORMAT_VERSION,
    seq: Number(event.seq),
    id: event.id,
    occurredAt: typeof event.occurredAt === "string" ? event.occurredAt : event.occurredAt.toISOString(),
    actor: { type: event.actorType, id: event.actorId, label: event.actorLabel, role: event.actorRole },
    action: event.action,
    subject: { type: event.subjectType, id: event.subjectId },
    regionCode: event.regionCode,
    justification: event.justification,
    changes: event.changes ?? null,
    requestId: event.requestId,
    ipAddress: event.ipAddress,
  };
}

export function eventLeafBytes(event: AuditEventFields) {
  return canonicalBytes(eventDocument(event));
}

export function eventLeafHash(event: AuditEventFields) {
  return hashLeaf(eventLeafBytes(event));
}

/**
 * The leaf's canonical JSON around the two values only the database knows at append time — the time
 * and the sequence number, both taken under the ledger head's lock. prefix + time + middle + seq +
 * suffix is exactly canonicalJson(eventDocument(event)): the top-level members are fixed and sorted
 * (RFC 8785), "occurredAt" before "seq", and every other member is canonicalised here.
 */
export function eventLeafTemplate(event: Omit<AuditEventFields, "seq" | "occurredAt">) {
  const document = eventDocument({ ...event, seq: 0, occurredAt: "" });
  const member = (key: keyof typeof document) => `${JSON.stringify(key)}:${canonicalJson(document[key])}`;
  return {
    prefix: `{${["action", "actor", "changes", "id", "ipAddress", "justification"].map((key) => member(key as keyof typeof document)).join(",")},"occurredAt":"`,
    middle: `",${member("regionCode")},${member("requestId")},"seq":`,
    suffix: `,${member("subject")},${member("v")}}`,
  };
}
