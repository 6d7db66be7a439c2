import { hash } from "node:crypto";
import { canonicalBytes, canonicalJson } from "./canonical-json";
import { hashLeaf } from "./merkle";

// The ledger leaf (docs/ledger.md "Events and leaves"), specified so that anyone can recompute a leaf
// from an exported event with SHA-256 and any RFC 8785 implementation.
//
// Format v2 (every event appended since checkpoint format v2): the event's *content* — everything the
// application decides — is canonical JSON hashed on its own; the leaf is the canonical JSON of a small
// envelope holding that content hash, the two values only the database knows at append time (sequence
// number and time, taken under the ledger head's lock) and the content's authentication tag:
//
//   leaf = SHA-256(0x00 ‖ {"content":hex(SHA-256(content)),"occurredAt":…,"seq":…,"tag":{"kid":…,"mac":…},"v":2})
//   mac  = HMAC-SHA-256(application key kid, SHA-256(content))
//
// The tag is inside the leaf so that signed checkpoints (and witnesses) commit to it: nobody can strip
// or swap a tag later without breaking the tree. Hashing the content once and tagging its hash keeps
// the verifier's hashing to about one pass over the events' bytes.
//
// Format v1 (events appended before): the leaf is the canonical JSON of the whole event with "v":1.

export const LEAF_FORMAT_VERSION = 2;
export const LEGACY_LEAF_FORMAT_VERSION = 1;

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
  /** When the action happened in the story recorded (v2 only); occurredAt is the database clock at append. */
  businessTime?: Date | string | null;
  /** The content's authentication tag (v2): key id and lowercase hex HMAC. Absent on v1 events. */
  tagKeyId?: string | null;
  tag?: string | null;
}

export type EventContentFields = Omit<AuditEventFields, "seq" | "occurredAt" | "tagKeyId" | "tag">;

const isoTime = (value: Date | string) => (typeof value === "string" ? value : value.toISOString());

/** Is this event written in leaf format v2 (it carries a tag)? */
export function isTaggedEvent(event: Pick<AuditEventFields, "tag" | "tagKeyId">) {
  return event.tag !== null && event.tag !== undefined;
}

/** The v2 content document: every member the application sets, in clear (personal data only sealed). */
export function eventContent(event: EventContentFields) {
  return {
    action: event.action,
    actor: { type: event.actorType, id: event.actorId, label: event.actorLabel, role: event.actorRole },
    businessTime: event.businessTime ? isoTime(event.businessTime) : null,
    changes: event.changes ?? null,
    id: event.id,
    ipAddress: event.ipAddress,
    justification: event.justification,
    regionCode: event.regionCode,
    requestId: event.requestId,
    subject: { type: event.subjectType, id: event.subjectId },
  };
}

export function eventContentBytes(event: EventContentFields) {
  return canonicalBytes(eventContent(event));
}

/** SHA-256 of the content's canonical JSON: what the tag authenticates and the leaf commits to. */
export function eventContentSha256(event: EventContentFields): Buffer {
  return hash("sha256", eventContentBytes(event), "buffer");
}

/** The v2 leaf document (the envelope). */
export function eventEnvelope(event: AuditEventFields, contentSha256: Buffer = eventContentSha256(event)) {
  return {
    content: contentSha256.toString("hex"),
    occurredAt: isoTime(event.occurredAt),
    seq: Number(event.seq),
    tag: { kid: event.tagKeyId ?? null, mac: event.tag ?? null },
    v: LEAF_FORMAT_VERSION,
  };
}

/** The v1 leaf document of an event appended before leaf format v2. */
export function legacyEventDocument(event: AuditEventFields) {
  return {
    v: LEGACY_LEAF_FORMAT_VERSION,
    seq: Number(event.seq),
    id: event.id,
    occurredAt: isoTime(event.occurredAt),
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

/**
 * What an export carries so the leaf can be recomputed: the leaf document itself and, for v2, the
 * content document whose SHA-256 the leaf names.
 */
export function eventLeafDocuments(event: AuditEventFields) {
  if (!isTaggedEvent(event)) return { leaf: legacyEventDocument(event), content: null };
  return { leaf: eventEnvelope(event), content: eventContent(event) };
}

/** The leaf input without its 0x00 prefix: canonical JSON of the leaf document. */
export function eventLeafBytes(event: AuditEventFields) {
  return canonicalBytes(eventLeafDocuments(event).leaf);
}

export function eventLeafHash(event: AuditEventFields) {
  return hashLeaf(eventLeafBytes(event));
}

/**
 * The v2 leaf's canonical JSON around the two values only the database knows at append time — the
 * time and the sequence number, both taken under the ledger head's lock. prefix + time + middle + seq
 * + suffix is exactly the canonical JSON of eventEnvelope(event): its members are fixed and sorted
 * (RFC 8785), "occurredAt" before "seq" before "tag".
 */
export function eventLeafTemplate(contentSha256: Buffer, tag: { kid: string; mac: string }) {
  return {
    prefix: `{"content":"${contentSha256.toString("hex")}","occurredAt":"`,
    middle: `","seq":`,
    suffix: `,"tag":${canonicalJson({ kid: tag.kid, mac: tag.mac })},"v":${LEAF_FORMAT_VERSION}}`,
  };
}
