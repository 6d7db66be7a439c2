import path from "node:path";
import { db } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { appendAuditEvent, systemAuditContext, type AuditContext } from "~/modules/audit/ledger.server";
import { blindIndex, decryptField, isEncryptedField, unwrapKey, wrapKey } from "./field-crypto";
import {
  destroyKeyEncryptionKeyFile,
  forgetKeyring,
  generateKeyEncryptionKeyFile,
  isKeyringManaged,
  kekFor,
  KeyEncryptionKeyError,
  loadKeyMaterial,
  resolveKeyring,
  type Keyring,
  type SqlRunner,
} from "./key-encryption-keys.server";
import { forgetDataKeysUnder } from "./data-key-cache";
import { dataKeysOf, sqlRunnerOf, vacuumKeyTables } from "./subject-keys.server";
import { decryptRequestTexts } from "./subject-text.server";

// Rotation of the key-encryption key (ADR 009, ADR 015, docs/operations.md "Rotating the key-encryption
// key"). Erasure destroys a subject's keys in the live table, but old row versions, WAL archives and
// backups still hold them wrapped under the KEK of their day. Rotating re-wraps every live key under a
// new KEK, recomputes the blind indexes (derived from the KEK) and then destroys the old KEK: from then
// on, every older copy of an erased subject's keys — and so of their data — is unreadable by anyone,
// while everyone else's keys live on re-wrapped, so older backups of them stay readable (their
// ciphertext decrypts with the same data keys). Run monthly (ATTEST_KEK_ROTATION_DAYS): that bounds how
// long a backup taken before an erasure can still be read for the erased subject.
//
// Resumable: every batch commits on its own, a re-run continues with what still names a retired KEK,
// and the old KEK is destroyed only when no row names it any more.

export interface RotationProgress {
  step: "rewrap" | "reindex_customers" | "reindex_requests" | "vacuum" | "destroy";
  done: number;
}

export interface RotationResult {
  activeKid: string;
  startedNewKek: boolean;
  rewrapped: number;
  reindexedCustomers: number;
  reindexedRequests: number;
  destroyedKids: string[];
  vacuumed: string[];
}

const LOCK = 7_240_418; // pg advisory lock key: "one KEK rotation starts at a time"

async function keyringNow() {
  forgetKeyring();
  return resolveKeyring(sqlRunnerOf(db), { refresh: true });
}

/** Whether the active KEK is older than the rotation period (managed key directories only). */
export async function isRotationDue(now = new Date()) {
  if (!isKeyringManaged()) return false;
  const keyring = await keyringNow();
  const [row] = await db.$queryRaw<{ activated_at: Date }[]>`SELECT activated_at FROM key_encryption_key WHERE kid = ${keyring.current.kid}`;
  if (!row) return false;
  return now.getTime() - new Date(row.activated_at).getTime() >= env.ATTEST_KEK_ROTATION_DAYS * 86_400_000;
}

/**
 * Rotates: (1) a new KEK — generated in ATTEST_KEK_DIR when Attest manages the keys, else the one the
 * operator put first in ATTEST_KEK — becomes active and the others retired; (2) every subject key row
 * under a retired KEK is re-wrapped; (3) blind indexes are recomputed under the new KEK; (4) the key
 * table and the personal-data tables are vacuumed; (5) each retired KEK no row names any more is
 * destroyed (its file overwritten and removed; in the database marked destroyed). One audit event.
 */
export async function rotateKeyEncryptionKey(
  options: { now?: Date; batchSize?: number; startNewKek?: boolean; progress?: (progress: RotationProgress) => void; context?: AuditContext } = {},
): Promise<RotationResult> {
  const now = options.now ?? new Date();
  const batchSize = options.batchSize ?? 500;
  const progress = options.progress ?? (() => {});
  const isManaged = isKeyringManaged();
  // Beginning a rotation (a new KEK, the others retired) happens once under a transaction-scoped lock, so
  // two instances never start two; every later step is idempotent and safe to run twice at once.
  const { keyring, startedNewKek } = await db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${LOCK}) AS locked`;
    if (!locked?.locked) throw new KeyEncryptionKeyError("another rotation of the key-encryption key is starting");
    const sql = sqlRunnerOf(tx);
    const isRotating = (await retiredKids(sql)).length > 0;
    let isStarted = false;
    if ((options.startNewKek ?? true) && !isRotating) {
      if (!isManaged) {
        forgetKeyring();
        const current = await resolveKeyring(sql, { refresh: true });
        if ((await retiredKids(sql)).length === 0) {
          throw new KeyEncryptionKeyError(
            `ATTEST_KEK holds no newer key than the active ${current.current.kid}: put the new key first ("new-kid:base64,${current.current.kid}:base64"), restart, then rotate (docs/operations.md)`,
          );
        }
      } else {
        // Stamped with the real time: the newest file is the one meant to be active.
        generateKeyEncryptionKeyFile(path.resolve(env.ATTEST_KEK_DIR));
        loadKeyMaterial({ reload: true });
        isStarted = true;
      }
    }
    forgetKeyring();
    return { keyring: await resolveKeyring(sql, { refresh: true }), startedNewKek: isStarted };
  });
  const rewrapped = await rewrapSubjectKeys(keyring, batchSize, (done) => progress({ step: "rewrap", done }));
  const reindexedCustomers = await reindexCustomers(keyring, batchSize, (done) => progress({ step: "reindex_customers", done }));
  const reindexedRequests = await reindexRequests(keyring, batchSize, (done) => progress({ step: "reindex_requests", done }));
  progress({ step: "vacuum", done: 0 });
  const { vacuumed } = await vacuumKeyTables(db, ["subject_data_key", "customer_personal_data", "privacy_request"]);
  progress({ step: "destroy", done: 0 });
  const destroyedKids = await destroyRetiredKeks(keyring, now, options.context ?? systemAuditContext, { rewrapped, reindexedCustomers, reindexedRequests, startedNewKek });
  return { activeKid: keyring.current.kid, startedNewKek, rewrapped, reindexedCustomers, reindexedRequests, destroyedKids, vacuumed };
}

async function retiredKids(sql: SqlRunner = sqlRunnerOf(db)) {
  const rows = await sql(`SELECT kid FROM key_encryption_key WHERE retired_at IS NOT NULL AND destroyed_at IS NULL`, []);
  return rows.map((row) => String(row.kid));
}

/** Re-wraps, batch by batch, every key row still under another KEK than the active one. */
async function rewrapSubjectKeys(keyring: Keyring, batchSize: number, report: (done: number) => void) {
  const kek = keyring.current;
  let done = 0;
  for (;;) {
    const count = await db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ subject_id: string; kek_id: string; data_key: Uint8Array | null; ledger_key: Uint8Array | null }[]>`
        SELECT subject_id::text, kek_id, data_key, ledger_key FROM subject_data_key
         WHERE kek_id IS NOT NULL AND kek_id <> ${kek.kid}
         ORDER BY subject_id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED`;
      for (const row of rows) {
        const old = kekFor(keyring, row.kek_id).key;
        const rewrap = (purpose: "data" | "ledger", stored: Uint8Array | null) =>
          stored ? wrapKey(kek.key, row.subject_id, purpose, unwrapKey(old, row.subject_id, purpose, stored)) : null;
        await tx.$executeRaw`
          UPDATE subject_data_key SET kek_id = ${kek.kid}, data_key = ${rewrap("data", row.data_key)}, ledger_key = ${rewrap("ledger", row.ledger_key)}
           WHERE subject_id = ${row.subject_id}::uuid AND kek_id = ${row.kek_id}`;
      }
      return rows.length;
    });
    done += count;
    report(done);
    if (count < batchSize) return done;
  }
}

/** Recomputes customers' e-mail and phone blind indexes under the active KEK (keyset pages). */
async function reindexCustomers(keyring: Keyring, batchSize: number, report: (done: number) => void) {
  let after = "00000000-0000-0000-0000-000000000000";
  let done = 0;
  for (;;) {
    const rows = await db.$queryRaw<{ customer_id: string; email: Uint8Array | null; phone: Uint8Array | null }[]>`
      SELECT customer_id::text, email, phone FROM customer_personal_data WHERE customer_id > ${after}::uuid ORDER BY customer_id LIMIT ${batchSize}`;
    if (rows.length === 0) return done;
    const keys = await dataKeysOf(db, rows.map((row) => row.customer_id));
    await db.$transaction(async (tx) => {
      for (const row of rows) {
        const key = keys.get(row.customer_id);
        const open = (stored: Uint8Array | null) => (stored === null ? null : isEncryptedField(stored) ? (key ? decryptField(key, row.customer_id, stored) : null) : Buffer.from(stored).toString("utf8"));
        await tx.$executeRaw`
          UPDATE customer_personal_data SET email_index = ${blindIndex(keyring.currentIndexKey, "email", open(row.email))},
                 phone_index = ${blindIndex(keyring.currentIndexKey, "phone", open(row.phone))}
           WHERE customer_id = ${row.customer_id}::uuid`;
      }
    });
    done += rows.length;
    report(done);
    after = rows[rows.length - 1]!.customer_id;
  }
}

/** Recomputes the requester e-mail index of privacy requests that hold one. */
async function reindexRequests(keyring: Keyring, batchSize: number, report: (done: number) => void) {
  let after = "00000000-0000-0000-0000-000000000000";
  let done = 0;
  for (;;) {
    const rows = await db.privacyRequest.findMany({
      where: { id: { gt: after }, requesterEmail: { not: null } },
      orderBy: { id: "asc" },
      take: batchSize,
      select: { id: true, customerId: true, requesterEmail: true },
    });
    if (rows.length === 0) return done;
    const emails = await decryptRequestTexts(db, rows.map((row) => ({ request: row, value: row.requesterEmail })));
    await db.$transaction(async (tx) => {
      for (const [index, row] of rows.entries()) {
        await tx.privacyRequest.update({ where: { id: row.id }, data: { requesterEmailIndex: blindIndex(keyring.currentIndexKey, "email", emails[index]) } });
      }
    });
    done += rows.length;
    report(done);
    after = rows[rows.length - 1]!.id;
  }
}

/** Destroys every retired KEK no key row names any more; records the rotation in the ledger. */
async function destroyRetiredKeks(keyring: Keyring, now: Date, context: AuditContext, counts: Record<string, number | boolean>) {
  const retired = await retiredKids();
  const destroyed: string[] = [];
  for (const kid of retired) {
    const [left] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM subject_data_key WHERE kek_id = ${kid}`;
    if ((left?.n ?? 0) > 0) {
      logger.warn(`key-encryption key ${kid} still wraps ${left!.n} subject keys: not destroyed (run the rotation again)`);
      continue;
    }
    await db.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE key_encryption_key SET destroyed_at = ${now} WHERE kid = ${kid} AND destroyed_at IS NULL`;
      await appendAuditEvent(tx, context, {
        action: "key_encryption_key.destroyed",
        subjectType: "KeyEncryptionKey",
        subjectId: kid,
        justification: "Every live subject key was re-wrapped under the active key-encryption key; copies of erased subjects' keys under this one are now unreadable",
        changes: { activeKid: keyring.current.kid, ...counts },
      });
    });
    // The file goes after the commit: a failed commit leaves the key usable, never a row without its key.
    const file = keyring.byKid.get(kid)?.file;
    if (file) destroyKeyEncryptionKeyFile(file);
    destroyed.push(kid);
    forgetDataKeysUnder(kid);
  }
  loadKeyMaterial({ reload: true });
  forgetKeyring();
  if (destroyed.length > 0 && !isKeyringManaged()) {
    logger.warn(`key-encryption key(s) ${destroyed.join(", ")} destroyed in Attest: delete them from ATTEST_KEK and from the secret manager now`);
  }
  return destroyed;
}

/** Checks hourly whether the active KEK is due for rotation and rotates it (managed key directories). */
export function startKeyRotationWorker(intervalMs = 3_600_000) {
  let isRunning = false;
  const tick = async () => {
    if (isRunning) return;
    isRunning = true;
    try {
      if (await isRotationDue()) {
        const result = await rotateKeyEncryptionKey();
        logger.info(`key-encryption key rotated to ${result.activeKid}: ${result.rewrapped} subject keys re-wrapped, destroyed ${result.destroyedKids.join(", ") || "none"}`);
      }
    } catch (error) {
      logger.error({ err: error }, "key-encryption key rotation failed");
    } finally {
      isRunning = false;
    }
  };
  const interval = setInterval(() => void tick(), intervalMs);
  interval.unref();
  void tick();
  return () => clearInterval(interval);
}
