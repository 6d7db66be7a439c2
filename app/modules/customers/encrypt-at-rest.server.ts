import { db, type Tx } from "~/utils/db.server";
import { blindIndex, decryptField, encryptField, isEncryptedField, unwrapKey, wrapKey } from "./field-crypto";
import { kekFor } from "./key-encryption-keys.server";
import { encryptedPersonalFields } from "./personal-data.server";
import { createSubjectKeys, dataKeyOf, dataKeysOf, keyringOf } from "./subject-keys.server";
import { encryptRequestText } from "./subject-text.server";
import { decryptReviewTexts, encryptReviewText } from "~/modules/decisions/review-text.server";

// `npm run data:encrypt` (ADR 009): encrypts in place what a database from before encryption at rest
// still holds in plain text — the columns the migration turned into bytea holding the text's UTF-8 —
// and wraps the raw ledger keys of that time under the key-encryption key. Resumable: every batch is
// its own transaction and only values still in plain text are picked up, so a second run continues
// where an interrupted one stopped and a run over an encrypted database changes nothing. Verifiable:
// `countPlaintext` counts what is left (zero when done) and `verifyEncrypted` decrypts every value.

/** A value still in plain text: not starting with the ciphertext header 0xA7 0x01. */
const isPlain = (column: string) => `(${column} IS NOT NULL AND substring(${column} from 1 for 2) <> '\\xa701'::bytea)`;

const personalColumns = ["full_name", "email", "phone", "date_of_birth", "street", "postal_code", "city"];
const requestColumns = ["details", "requester_name", "requester_email", "refusal_reason", "extension_reason"];
const reviewColumns = ["justification", "approval_rejected_reason"];

export const plaintextChecks = {
  "customer_personal_data": `SELECT count(*)::int AS n FROM customer_personal_data WHERE ${personalColumns.map(isPlain).join(" OR ")}`,
  "privacy_request": `SELECT count(*)::int AS n FROM privacy_request WHERE ${requestColumns.map(isPlain).join(" OR ")}`,
  "privacy_request_note": `SELECT count(*)::int AS n FROM privacy_request_note WHERE ${isPlain("body")}`,
  "privacy_request_pause": `SELECT count(*)::int AS n FROM privacy_request_pause WHERE ${isPlain("reason")}`,
  // A kept review of an erased customer holds the erasure's scrubbed text in clear, by design (ADR 020).
  "review": `SELECT count(*)::int AS n FROM review r JOIN decision d ON d.id = r.decision_id JOIN customer c ON c.id = d.customer_id
              WHERE c.erased_at IS NULL AND (${reviewColumns.map((column) => isPlain(`r.${column}`)).join(" OR ")})`,
  "privacy_artefact (access exports)": `SELECT count(*)::int AS n FROM privacy_artefact WHERE kind = 'access_export' AND ${isPlain("content")}`,
  "subject_data_key (raw keys)": `SELECT count(*)::int AS n FROM subject_data_key WHERE kek_id IS NULL AND (data_key IS NOT NULL OR ledger_key IS NOT NULL)`,
  "customer_personal_data (no blind index)": `SELECT count(*)::int AS n FROM customer_personal_data WHERE email_index IS NULL OR phone_index IS NULL`,
} as const;

export type PlaintextCounts = Record<keyof typeof plaintextChecks, number>;

/** What is still in plain text (or unindexed), per table: all zero once the migration is done. */
export async function countPlaintext(): Promise<PlaintextCounts> {
  const counts = {} as PlaintextCounts;
  for (const [label, sql] of Object.entries(plaintextChecks)) {
    const [row] = await db.$queryRawUnsafe<{ n: number }[]>(sql);
    counts[label as keyof PlaintextCounts] = row?.n ?? 0;
  }
  return counts;
}

export interface EncryptProgress {
  (step: string, done: number, total: number): void;
}

export interface EncryptResult {
  rawKeysWrapped: number;
  customerKeysCreated: number;
  personalDataRows: number;
  privacyRequests: number;
  notes: number;
  pauses: number;
  accessExports: number;
  reviews: number;
}

const text = (value: Uint8Array | null) => (value === null ? null : Buffer.from(value).toString("utf8"));

/** Runs every step; each step is a loop of small transactions over what is still plain. */
export async function encryptExistingPersonalData(options: { batchSize?: number; progress?: EncryptProgress; signal?: AbortSignal } = {}): Promise<EncryptResult> {
  const batch = options.batchSize ?? 500;
  const progress = options.progress ?? (() => {});
  const stopIfAborted = () => {
    if (options.signal?.aborted) throw new Error("stopped; run it again to continue where it stopped");
  };
  const result: EncryptResult = { rawKeysWrapped: 0, customerKeysCreated: 0, personalDataRows: 0, privacyRequests: 0, notes: 0, pauses: 0, accessExports: 0, reviews: 0 };

  // 1. Raw ledger keys from before wrapping: wrapped under the active KEK, in place.
  const rawTotal = await count(`SELECT count(*)::int AS n FROM subject_data_key WHERE kek_id IS NULL AND (data_key IS NOT NULL OR ledger_key IS NOT NULL)`);
  for (;;) {
    stopIfAborted();
    const done = await db.$transaction(async (tx) => {
      const keyring = await keyringOf(tx);
      const rows = await tx.$queryRaw<{ subject_id: string; data_key: Uint8Array | null; ledger_key: Uint8Array | null }[]>`
        SELECT subject_id::text, data_key, ledger_key FROM subject_data_key
         WHERE kek_id IS NULL AND (data_key IS NOT NULL OR ledger_key IS NOT NULL) ORDER BY subject_id LIMIT ${batch} FOR UPDATE`;
      for (const row of rows) {
        const kek = keyring.current;
        await tx.subjectDataKey.update({
          where: { subjectId: row.subject_id },
          data: {
            kekId: kek.kid,
            dataKey: row.data_key ? wrapKey(kek.key, row.subject_id, "data", Buffer.from(row.data_key)) : null,
            ledgerKey: row.ledger_key ? wrapKey(kek.key, row.subject_id, "ledger", Buffer.from(row.ledger_key)) : null,
          },
        });
      }
      return rows.length;
    });
    result.rawKeysWrapped += done;
    progress("wrap raw keys", result.rawKeysWrapped, rawTotal);
    if (done < batch) break;
  }

  // 2. Customers without keys (created before keys came with the customer).
  for (;;) {
    stopIfAborted();
    const ids = await db.$queryRaw<{ id: string }[]>`
      SELECT c.id::text FROM customer c WHERE c.erased_at IS NULL AND NOT EXISTS (SELECT 1 FROM subject_data_key k WHERE k.subject_id = c.id) ORDER BY c.id LIMIT ${batch}`;
    if (ids.length === 0) break;
    await db.$transaction((tx) => createSubjectKeys(tx, ids.map((row) => ({ id: row.id, kind: "customer" as const }))));
    result.customerKeysCreated += ids.length;
    progress("create customer keys", result.customerKeysCreated, result.customerKeysCreated);
  }

  // 3. Identity and contact details, with their blind indexes.
  const personalTotal = await count(plaintextChecks["customer_personal_data (no blind index)"].replace("email_index IS NULL OR phone_index IS NULL", `email_index IS NULL OR phone_index IS NULL OR ${personalColumns.map(isPlain).join(" OR ")}`));
  for (;;) {
    stopIfAborted();
    const done = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<Record<string, Uint8Array | string>[]>(
        `SELECT customer_id::text AS customer_id, ${personalColumns.join(", ")} FROM customer_personal_data
          WHERE email_index IS NULL OR phone_index IS NULL OR ${personalColumns.map(isPlain).join(" OR ")}
          ORDER BY customer_id LIMIT $1 FOR UPDATE`,
        batch,
      );
      const keys = await dataKeysOf(tx, rows.map((row) => row.customer_id as string), { createMissing: true });
      const { currentIndexKey } = await keyringOf(tx);
      for (const row of rows) {
        const customerId = row.customer_id as string;
        const key = keys.get(customerId);
        if (!key) throw new Error(`customer ${customerId} has personal data but a destroyed data key: erase the row (npm run retention:sweep) and run again`);
        const values: Record<string, string> = {};
        const data: Record<string, Uint8Array> = {};
        for (const [index, field] of encryptedPersonalFields.entries()) {
          const stored = row[personalColumns[index]!] as Uint8Array;
          values[field] = isEncryptedField(stored) ? decryptField(key, customerId, stored) : text(stored)!;
          if (!isEncryptedField(stored)) data[field] = encryptField(key, customerId, values[field]!);
        }
        await tx.customerPersonalData.update({
          where: { customerId },
          data: { ...data, emailIndex: blindIndex(currentIndexKey, "email", values.email), phoneIndex: blindIndex(currentIndexKey, "phone", values.phone) },
        });
      }
      return rows.length;
    });
    result.personalDataRows += done;
    progress("encrypt customer personal data", result.personalDataRows, personalTotal);
    if (done < batch) break;
  }

  // 4. Free text on privacy requests, their notes and pauses, under the key of whom it is about.
  const requestTotal = await count(plaintextChecks.privacy_request);
  for (;;) {
    stopIfAborted();
    const done = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<Record<string, Uint8Array | string | null>[]>(
        `SELECT id::text AS id, customer_id::text AS customer_id, ${requestColumns.join(", ")} FROM privacy_request
          WHERE ${requestColumns.map(isPlain).join(" OR ")} ORDER BY id LIMIT $1 FOR UPDATE`,
        batch,
      );
      const { currentIndexKey } = await keyringOf(tx);
      for (const row of rows) {
        const request = { id: row.id as string, customerId: (row.customer_id as string | null) ?? null };
        const data: Record<string, unknown> = {};
        const plainOf = (column: string) => {
          const stored = row[column] as Uint8Array | null;
          return stored && !isEncryptedField(stored) ? text(stored) : null;
        };
        if (plainOf("details") !== null) data.details = await encryptRequestText(tx, request, plainOf("details"));
        if (plainOf("requester_name") !== null) data.requesterName = await encryptRequestText(tx, request, plainOf("requester_name"));
        if (plainOf("requester_email") !== null) {
          data.requesterEmail = await encryptRequestText(tx, request, plainOf("requester_email"));
          data.requesterEmailIndex = blindIndex(currentIndexKey, "email", plainOf("requester_email"));
        }
        if (plainOf("refusal_reason") !== null) data.refusalReason = await encryptRequestText(tx, request, plainOf("refusal_reason"));
        if (plainOf("extension_reason") !== null) data.extensionReason = await encryptRequestText(tx, request, plainOf("extension_reason"));
        await tx.privacyRequest.update({ where: { id: request.id }, data });
      }
      return rows.length;
    });
    result.privacyRequests += done;
    progress("encrypt privacy request text", result.privacyRequests, requestTotal);
    if (done < batch) break;
  }
  result.notes = await encryptChildText("privacy_request_note", "body", batch, progress, stopIfAborted);
  result.pauses = await encryptChildText("privacy_request_pause", "reason", batch, progress, stopIfAborted);

  // 5. Stored access exports (one zip each), under the customer's data key.
  for (;;) {
    stopIfAborted();
    const done = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ id: string; customer_id: string | null; content: Uint8Array }[]>(
        `SELECT a.id::text AS id, r.customer_id::text AS customer_id, a.content FROM privacy_artefact a JOIN privacy_request r ON r.id = a.request_id
          WHERE a.kind = 'access_export' AND ${isPlain("a.content")} ORDER BY a.id LIMIT $1 FOR UPDATE OF a`,
        Math.max(1, Math.floor(batch / 50)),
      );
      for (const row of rows) {
        if (!row.customer_id) throw new Error(`access export ${row.id} belongs to a request matched to nobody`);
        await tx.privacyArtefact.update({ where: { id: row.id }, data: { content: encryptField(await dataKeyOf(tx, row.customer_id), row.customer_id, Buffer.from(row.content)) } });
      }
      return rows.length;
    });
    result.accessExports += done;
    if (done === 0) break;
    progress("encrypt access exports", result.accessExports, result.accessExports);
  }

  // 6. Reviews' justifications and send-back reasons, under the decision's customer's key (ADR 020).
  const reviewTotal = await count(plaintextChecks.review);
  for (;;) {
    stopIfAborted();
    const done = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<{ id: string; customer_id: string; privacy_request_id: string | null; justification: Uint8Array | null; approval_rejected_reason: Uint8Array | null }[]>(
        `SELECT r.id::text AS id, d.customer_id::text AS customer_id, r.privacy_request_id::text AS privacy_request_id, r.justification, r.approval_rejected_reason
           FROM review r JOIN decision d ON d.id = r.decision_id JOIN customer c ON c.id = d.customer_id
          WHERE c.erased_at IS NULL AND (${reviewColumns.map((column) => isPlain(`r.${column}`)).join(" OR ")})
          ORDER BY r.id LIMIT $1 FOR UPDATE OF r`,
        batch,
      );
      for (const row of rows) {
        const owner = { customerId: row.customer_id, privacyRequestId: row.privacy_request_id };
        const sealed = async (stored: Uint8Array | null) => (stored && !isEncryptedField(stored) ? await encryptReviewText(tx, owner, text(stored)) : stored);
        await tx.review.update({
          where: { id: row.id },
          data: { justification: (await sealed(row.justification)) as Uint8Array<ArrayBuffer> | null, approvalRejectedReason: (await sealed(row.approval_rejected_reason)) as Uint8Array<ArrayBuffer> | null },
        });
      }
      return rows.length;
    });
    result.reviews += done;
    progress("encrypt review text", result.reviews, reviewTotal);
    if (done < batch) break;
  }
  return result;
}

async function encryptChildText(table: "privacy_request_note" | "privacy_request_pause", column: "body" | "reason", batch: number, progress: EncryptProgress, stopIfAborted: () => void) {
  const total = await count(plaintextChecks[table]);
  let processed = 0;
  for (;;) {
    stopIfAborted();
    const done = await db.$transaction(async (tx: Tx) => {
      const rows = await tx.$queryRawUnsafe<{ id: string; request_id: string; customer_id: string | null; value: Uint8Array }[]>(
        `SELECT t.id::text AS id, t.request_id::text AS request_id, r.customer_id::text AS customer_id, t.${column} AS value
           FROM ${table} t JOIN privacy_request r ON r.id = t.request_id
          WHERE ${isPlain(`t.${column}`)} ORDER BY t.id LIMIT $1 FOR UPDATE OF t`,
        batch,
      );
      for (const row of rows) {
        const sealed = await encryptRequestText(tx, { id: row.request_id, customerId: row.customer_id }, text(row.value)!);
        await tx.$executeRawUnsafe(`UPDATE ${table} SET ${column} = $1 WHERE id = $2::uuid`, sealed, row.id);
      }
      return rows.length;
    });
    processed += done;
    progress(`encrypt ${table.replace(/_/g, " ")}s`, processed, total);
    if (done < batch) break;
  }
  return processed;
}

async function count(sql: string) {
  const [row] = await db.$queryRawUnsafe<{ n: number }[]>(sql);
  return row?.n ?? 0;
}

/**
 * Decrypts every stored value once (wrapped keys, personal data, request text): proves the migration
 * left ciphertext that opens under the keys the app holds, not only bytes with the right header.
 */
export async function verifyEncrypted() {
  const keyring = await keyringOf(db);
  let keys = 0;
  let values = 0;
  let lastId = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await db.subjectDataKey.findMany({ where: { subjectId: { gt: lastId }, kekId: { not: null } }, orderBy: { subjectId: "asc" }, take: 1000 });
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.dataKey) unwrapKey(kekFor(keyring, row.kekId!).key, row.subjectId, "data", row.dataKey);
      if (row.ledgerKey) unwrapKey(kekFor(keyring, row.kekId!).key, row.subjectId, "ledger", row.ledgerKey);
      keys++;
    }
    lastId = rows[rows.length - 1]!.subjectId;
  }
  lastId = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await db.customerPersonalData.findMany({ where: { customerId: { gt: lastId } }, orderBy: { customerId: "asc" }, take: 1000 });
    if (rows.length === 0) break;
    const dataKeys = await dataKeysOf(db, rows.map((row) => row.customerId));
    for (const row of rows) {
      const key = dataKeys.get(row.customerId);
      if (!key) throw new Error(`customer ${row.customerId} has personal data but no live data key`);
      for (const field of encryptedPersonalFields) {
        decryptField(key, row.customerId, row[field]);
        values++;
      }
    }
    lastId = rows[rows.length - 1]!.customerId;
  }
  // Every encrypted review text opens under the key of whom it is about.
  let reviewTexts = 0;
  lastId = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const rows = await db.review.findMany({
      where: { id: { gt: lastId }, OR: [{ justification: { not: null } }, { approvalRejectedReason: { not: null } }] },
      orderBy: { id: "asc" },
      take: 1000,
      select: { id: true, privacyRequestId: true, justification: true, approvalRejectedReason: true, decision: { select: { customerId: true } } },
    });
    if (rows.length === 0) break;
    const items = rows.flatMap((row) =>
      [row.justification, row.approvalRejectedReason]
        .filter((value) => value && isEncryptedField(value))
        .map((value) => ({ owner: { customerId: row.decision.customerId, privacyRequestId: row.privacyRequestId }, value, id: row.id })),
    );
    const texts = await decryptReviewTexts(db, items);
    texts.forEach((value, index) => {
      if (value === null) throw new Error(`review ${items[index]!.id} holds text whose data key is gone: it should have been scrubbed and kept in clear by the erasure`);
    });
    reviewTexts += items.length;
    lastId = rows[rows.length - 1]!.id;
  }
  return { keysUnwrapped: keys, personalValuesDecrypted: values, reviewTextsDecrypted: reviewTexts };
}
