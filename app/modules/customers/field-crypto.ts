import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

// Personal data at rest (ADR 009): every personal value is its own AES-256-GCM ciphertext under the
// data subject's data key, with the subject's id as associated data, so a value copied to another
// subject's row does not decrypt. Pure: keys come in as bytes, so the format is tested without a
// database or a key-encryption key.
//
//   stored value = 0xA7 ‖ 0x01 ‖ iv (12) ‖ ciphertext ‖ tag (16)
//
// 0xA7 can never start UTF-8 text, so a value written before encryption at rest (the plain text's
// bytes, left by the column-type migration) is told apart from ciphertext without guessing.

export const FIELD_MAGIC = 0xa7;
export const FIELD_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 2;

export class FieldDecryptionError extends Error {}

/** Bytes as Prisma's Bytes columns take them. */
export type StoredBytes = Buffer<ArrayBuffer>;

/** Random bytes drawn in blocks: a seed or a migration encrypting millions of values pays one call per block. */
class RandomPool {
  private pool = Buffer.alloc(0);
  private offset = 0;

  take(length: number) {
    if (this.offset + length > this.pool.length) {
      this.pool = randomBytes(64 * 1024);
      this.offset = 0;
    }
    const bytes = this.pool.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }
}

const random = new RandomPool();

/** A fresh 256-bit data key. */
export function newDataKey(): StoredBytes {
  return Buffer.from(random.take(32)) as StoredBytes;
}

export function encryptField(key: Buffer, subjectId: string, plaintext: string | Buffer): StoredBytes {
  const iv = random.take(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(subjectId, "utf8"));
  const body = typeof plaintext === "string" ? cipher.update(plaintext, "utf8") : cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([Buffer.from([FIELD_MAGIC, FIELD_VERSION]), iv, body, final, cipher.getAuthTag()]) as StoredBytes;
}

/** Whether stored bytes are ciphertext in this format (as opposed to a value still in plain text). */
export function isEncryptedField(stored: Uint8Array | null | undefined): boolean {
  return Boolean(stored && stored.length >= HEADER_BYTES + IV_BYTES + TAG_BYTES && stored[0] === FIELD_MAGIC && stored[1] === FIELD_VERSION);
}

function decipherOf(key: Buffer, subjectId: string, stored: Uint8Array) {
  if (!isEncryptedField(stored)) throw new FieldDecryptionError("the value is not encrypted (run npm run data:encrypt)");
  const bytes = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES));
  decipher.setAAD(Buffer.from(subjectId, "utf8"));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  return { decipher, body: bytes.subarray(HEADER_BYTES + IV_BYTES, bytes.length - TAG_BYTES) };
}

const refused = (subjectId: string) => new FieldDecryptionError(`a value of subject ${subjectId} does not decrypt under its data key (wrong key, wrong subject or altered)`);

export function decryptFieldBytes(key: Buffer, subjectId: string, stored: Uint8Array): Buffer {
  const { decipher, body } = decipherOf(key, subjectId, stored);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw refused(subjectId);
  }
}

/**
 * One value as text. GCM's final() adds no bytes, only checks the tag, so the text is decoded from
 * update()'s bytes once final() has accepted them (a Buffer out is cheaper than the cipher's own decoder).
 */
export function decryptField(key: Buffer, subjectId: string, stored: Uint8Array): string {
  const { decipher, body } = decipherOf(key, subjectId, stored);
  try {
    const bytes = decipher.update(body);
    decipher.final();
    return bytes.toString("utf8");
  } catch {
    throw refused(subjectId);
  }
}

// ── Keyed blind indexes ─────────────────────────────────────────────────────────────────────────
// Look-ups by e-mail or phone (privacy intake, duplicate detection, erasure of unmatched requests)
// compare HMAC-SHA-256 of the normalised value, truncated to 16 bytes, under a key derived from the
// key-encryption key: the database never holds a searchable plain value, and when the key-encryption
// key rotates the indexes are recomputed, so an old backup's indexes cannot be tested against guesses.

export type BlindIndexKind = "email" | "phone";

const BLIND_INDEX_BYTES = 16;

export function normaliseForIndex(kind: BlindIndexKind, value: string): string | null {
  if (kind === "email") {
    const email = value.normalize("NFKC").trim().toLowerCase();
    return email.includes("@") ? email : null;
  }
  // Phone numbers as digits with their country code: "+1 212-555 0110" and "+12125550110" agree.
  const digits = value.normalize("NFKC").replace(/\D/g, "");
  return digits.length >= 6 ? digits : null;
}

export function blindIndex(indexKey: Buffer, kind: BlindIndexKind, value: string | null | undefined): StoredBytes | null {
  if (!value) return null;
  const normalised = normaliseForIndex(kind, value);
  if (!normalised) return null;
  return createHmac("sha256", indexKey).update(`${kind}\u0000${normalised}`, "utf8").digest().subarray(0, BLIND_INDEX_BYTES) as StoredBytes;
}

/** The blind-index key belonging to one key-encryption key (HMAC-based derivation, RFC 5869 style). */
export function deriveBlindIndexKey(keyEncryptionKey: Buffer): Buffer {
  return createHmac("sha256", keyEncryptionKey).update("attest blind index key v1", "utf8").digest();
}

// ── Wrapping data keys under a key-encryption key ───────────────────────────────────────────────

const WRAP_CONTEXT = "attest-subject-key/v1";

/** AES-256-GCM of a 32-byte key; the associated data binds it to its subject and purpose. */
export function wrapKey(keyEncryptionKey: Buffer, subjectId: string, purpose: string, key: Buffer): StoredBytes {
  const iv = random.take(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keyEncryptionKey, iv);
  cipher.setAAD(Buffer.from(`${WRAP_CONTEXT}|${purpose}|${subjectId}`, "utf8"));
  return Buffer.concat([iv, cipher.update(key), cipher.final(), cipher.getAuthTag()]) as StoredBytes;
}

export function unwrapKey(keyEncryptionKey: Buffer, subjectId: string, purpose: string, wrapped: Uint8Array): Buffer {
  const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  if (bytes.length !== IV_BYTES + 32 + TAG_BYTES) throw new FieldDecryptionError(`the ${purpose} key of subject ${subjectId} is not a wrapped key`);
  const decipher = createDecipheriv("aes-256-gcm", keyEncryptionKey, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(`${WRAP_CONTEXT}|${purpose}|${subjectId}`, "utf8"));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new FieldDecryptionError(`the ${purpose} key of subject ${subjectId} does not unwrap under the key-encryption key it names`);
  }
}
