import type { Tx } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import { blindIndex, decryptField, encryptField, isEncryptedField, type StoredBytes } from "./field-crypto";
import { dataKeyOf, dataKeysOf, keyringOf, type DbClient, type SubjectKind } from "./subject-keys.server";

// Personal free text (ADR 009): what a requester wrote and gave at intake (their words, name and e-mail)
// and what staff write about them on a privacy request (notes, refusal, extension and pause reasons) is
// encrypted under the data key of the person it is about — the matched customer, or until then the
// requester of that request, who has a data key of their own (matching moves the text to the customer's
// key and destroys the requester's). Callers decide who may read it; nothing here checks abilities.

export interface TextSubject {
  id: string;
  kind: SubjectKind;
}

/**
 * Whose key encrypts new free text on a privacy request: its customer once matched, else the requester.
 * A customer whose data key an erasure destroyed can still write (a contest of a kept decision): their
 * words then go under the request's own requester key.
 */
export async function textSubjectForWrite(client: DbClient, request: { id: string; customerId: string | null }): Promise<TextSubject> {
  if (!request.customerId) return { id: request.id, kind: "requester" };
  const [key] = await (client as Tx).$queryRaw<{ destroyed: boolean }[]>`
    SELECT data_key_destroyed_at IS NOT NULL AS destroyed FROM subject_data_key WHERE subject_id = ${request.customerId}::uuid`;
  return key?.destroyed ? { id: request.id, kind: "requester" } : { id: request.customerId, kind: "customer" };
}

/**
 * Whose key encrypts each request's stored free text: the request's own requester key while it has a
 * live one (unmatched, or written after its customer's erasure), otherwise its customer's.
 */
export async function textSubjectsOf(client: DbClient, requests: readonly { id: string; customerId: string | null }[]) {
  const subjects = new Map<string, string>();
  const matched = requests.filter((request) => request.customerId);
  const ownKeys = matched.length
    ? await (client as Tx).subjectDataKey.findMany({
        where: { subjectId: { in: matched.map((request) => request.id) }, subjectKind: "requester", dataKeyDestroyedAt: null },
        select: { subjectId: true },
      })
    : [];
  const withOwnKey = new Set(ownKeys.map((row) => row.subjectId));
  for (const request of requests) subjects.set(request.id, request.customerId && !withOwnKey.has(request.id) ? request.customerId : request.id);
  return subjects;
}

/** Encrypts free text for a subject (their data key is created if they have none yet). */
export async function encryptText(client: DbClient, subject: TextSubject, text: string): Promise<StoredBytes>;
export async function encryptText(client: DbClient, subject: TextSubject, text: string | null | undefined): Promise<StoredBytes | null>;
export async function encryptText(client: DbClient, subject: TextSubject, text: string | null | undefined) {
  if (text === null || text === undefined) return null;
  return encryptField(await dataKeyOf(client, subject.id, subject.kind), subject.id, text);
}

let hasWarnedPlaintext = false;

/**
 * Decrypts stored free text of many subjects at once (one key look-up). A value whose subject's data key
 * was destroyed reads as null; plain text left by the column migration is returned as it is.
 */
export async function decryptTexts<T extends { subjectId: string; value: Uint8Array | null }>(client: DbClient, items: readonly T[]): Promise<(string | null)[]> {
  const encrypted = items.filter((item) => item.value && isEncryptedField(item.value));
  const keys = await dataKeysOf(client, encrypted.map((item) => item.subjectId));
  return items.map((item) => {
    if (!item.value) return null;
    if (!isEncryptedField(item.value)) {
      if (!hasWarnedPlaintext) {
        hasWarnedPlaintext = true;
        logger.warn("plain-text free text found on a privacy request: run npm run data:encrypt to encrypt it at rest");
      }
      return Buffer.from(item.value).toString("utf8");
    }
    const key = keys.get(item.subjectId);
    return key ? decryptField(key, item.subjectId, item.value) : null;
  });
}

export async function decryptText(client: DbClient, subjectId: string, value: Uint8Array | null) {
  return (await decryptTexts(client, [{ subjectId, value }]))[0] ?? null;
}

/** The blind index of a requester's e-mail under the current key-encryption key. */
export async function requesterEmailIndex(client: DbClient, email: string | null | undefined) {
  return blindIndex((await keyringOf(client)).currentIndexKey, "email", email);
}

/** Re-encrypts stored text from one subject's key to another's (matching a request to its customer). */
export async function moveText(tx: Tx, from: string, to: TextSubject, value: Uint8Array | null) {
  const text = await decryptText(tx, from, value);
  return encryptText(tx, to, text);
}

/** Encrypts free text written on a privacy request under the key of whom it is about (textSubjectForWrite). */
export async function encryptRequestText(client: DbClient, request: { id: string; customerId: string | null }, text: string): Promise<StoredBytes>;
export async function encryptRequestText(client: DbClient, request: { id: string; customerId: string | null }, text: string | null | undefined): Promise<StoredBytes | null>;
export async function encryptRequestText(client: DbClient, request: { id: string; customerId: string | null }, text: string | null | undefined) {
  if (text === null || text === undefined) return null;
  return encryptText(client, await textSubjectForWrite(client, request), text);
}

/** Decrypts stored free text of privacy requests: each value with the request it belongs to. */
export async function decryptRequestTexts(client: DbClient, items: readonly { request: { id: string; customerId: string | null }; value: Uint8Array | null }[]) {
  const subjects = await textSubjectsOf(client, [...new Map(items.map((item) => [item.request.id, item.request])).values()]);
  return decryptTexts(client, items.map((item) => ({ subjectId: subjects.get(item.request.id)!, value: item.value })));
}
