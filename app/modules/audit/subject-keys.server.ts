import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Tx } from "~/utils/db.server";

// Crypto-shredding (DESIGN.md §6): personal data that must appear in an audit event is encrypted with
// the data subject's own AES-256-GCM key, kept in subject_data_key — outside the ledger. Destroying
// the key makes every such field unreadable while the ledger's hashes, which cover only ciphertext,
// stay valid.

export interface SealedPersonalData {
  alg: "A256GCM";
  /** The data subject (customer id) whose key sealed this. */
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export class SubjectKeyDestroyedError extends Error {
  constructor(customerId: string) {
    super(`the data key of subject ${customerId} was destroyed (erasure); the sealed data cannot be read`);
  }
}

async function subjectKey(tx: Tx, customerId: string, isCreating: boolean) {
  const existing = await tx.subjectDataKey.findUnique({ where: { customerId } });
  if (existing) {
    if (!existing.keyMaterial) throw new SubjectKeyDestroyedError(customerId);
    return Buffer.from(existing.keyMaterial);
  }
  if (!isCreating) return null;
  const key = randomBytes(32);
  // Two transactions creating the first key of one subject at once: the loser reads the winner's.
  await tx.$executeRaw`INSERT INTO subject_data_key (customer_id, key_material) VALUES (${customerId}::uuid, ${key}) ON CONFLICT (customer_id) DO NOTHING`;
  const stored = await tx.subjectDataKey.findUniqueOrThrow({ where: { customerId } });
  if (!stored.keyMaterial) throw new SubjectKeyDestroyedError(customerId);
  return Buffer.from(stored.keyMaterial);
}

export async function sealForSubject(tx: Tx, customerId: string, data: Record<string, unknown>): Promise<SealedPersonalData> {
  const key = (await subjectKey(tx, customerId, true))!;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  // The subject id is bound as associated data: a sealed value cannot be moved to another subject.
  cipher.setAAD(Buffer.from(customerId));
  const ct = Buffer.concat([cipher.update(JSON.stringify(data), "utf8"), cipher.final()]);
  return { alg: "A256GCM", kid: customerId, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), ct: ct.toString("base64") };
}

export async function openSealed(tx: Tx, sealed: SealedPersonalData): Promise<Record<string, unknown>> {
  const key = await subjectKey(tx, sealed.kid, false);
  if (!key) throw new SubjectKeyDestroyedError(sealed.kid);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
  decipher.setAAD(Buffer.from(sealed.kid));
  decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
  const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ct, "base64")), decipher.final()]);
  return JSON.parse(plain.toString("utf8")) as Record<string, unknown>;
}

/** Destroys the subject's key for good (erasure). Idempotent; returns whether a key was destroyed now. */
export async function destroySubjectKey(tx: Tx, customerId: string) {
  const result = await tx.subjectDataKey.updateMany({
    where: { customerId, keyMaterial: { not: null } },
    data: { keyMaterial: null, destroyedAt: new Date() },
  });
  return result.count > 0;
}

export function isSealedPersonalData(value: unknown): value is SealedPersonalData {
  return Boolean(value && typeof value === "object" && (value as SealedPersonalData).alg === "A256GCM" && typeof (value as SealedPersonalData).ct === "string");
}
