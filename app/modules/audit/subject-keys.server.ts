import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Tx } from "~/utils/db.server";
import { destroySubjectKeys, ledgerKeyOf, SubjectKeyDestroyedError } from "~/modules/customers/subject-keys.server";

// Crypto-shredding (DESIGN.md §6): personal data that must appear in an audit event is encrypted with
// the data subject's own AES-256-GCM ledger key, kept in subject_data_key (wrapped by the key-encryption
// key, ADR 009) — outside the ledger. Destroying the key makes every such field unreadable while the
// ledger's hashes, which cover only ciphertext, stay valid.

export { SubjectKeyDestroyedError };

export interface SealedPersonalData {
  alg: "A256GCM";
  /** The data subject (customer id) whose key sealed this. */
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export async function sealForSubject(tx: Tx, customerId: string, data: Record<string, unknown>): Promise<SealedPersonalData> {
  const key = (await ledgerKeyOf(tx, customerId, true))!;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  // The subject id is bound as associated data: a sealed value cannot be moved to another subject.
  cipher.setAAD(Buffer.from(customerId));
  const ct = Buffer.concat([cipher.update(JSON.stringify(data), "utf8"), cipher.final()]);
  return { alg: "A256GCM", kid: customerId, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), ct: ct.toString("base64") };
}

export async function openSealed(tx: Tx, sealed: SealedPersonalData): Promise<Record<string, unknown>> {
  const key = await ledgerKeyOf(tx, sealed.kid, false);
  if (!key) throw new SubjectKeyDestroyedError(sealed.kid);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
  decipher.setAAD(Buffer.from(sealed.kid));
  decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
  const plain = Buffer.concat([decipher.update(Buffer.from(sealed.ct, "base64")), decipher.final()]);
  return JSON.parse(plain.toString("utf8")) as Record<string, unknown>;
}

export function isSealedPersonalData(value: unknown): value is SealedPersonalData {
  return Boolean(value && typeof value === "object" && (value as SealedPersonalData).alg === "A256GCM" && typeof (value as SealedPersonalData).ct === "string");
}

/** Destroys the subject's ledger key for good. Idempotent; returns whether a key was destroyed now. */
export async function destroySubjectKey(tx: Tx, customerId: string) {
  return (await destroySubjectKeys(tx, customerId, { data: false, ledger: true })).ledgerKeyDestroyed;
}
