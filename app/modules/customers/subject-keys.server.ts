import type { Db, Tx } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import { cachedUnwrap, forgetDataKeys } from "./data-key-cache";
import { newDataKey, unwrapKey, wrapKey } from "./field-crypto";
import { kekFor, KeyEncryptionKeyError, resolveKeyring, forgetKeyring, type Keyring, type SqlRunner } from "./key-encryption-keys.server";

// The data subject's own keys (ADR 009), one row per subject in subject_data_key:
//   data key    encrypts their personal data at rest (customer_personal_data, a request's free text,
//               an access export); kept while a retained record needs it (an outstanding debt)
//   ledger key  seals the personal data audit events must carry; destroyed by every erasure
// Both are wrapped by the active key-encryption key. A customer's data key is created with the customer
// (ingestion creates no ledger key: the first event sealing their data does, ledgerKeyOf);
// an unmatched privacy request's requester has a data key of their own until the request is matched.
// Destroying a key leaves the row as a tombstone, so no key is ever created again for that subject.

export type DbClient = Tx | Db;
export type SubjectKind = "customer" | "requester";

export class SubjectKeyDestroyedError extends Error {
  constructor(
    readonly subjectId: string,
    readonly purpose: "data" | "ledger" = "ledger",
  ) {
    super(`the ${purpose} key of subject ${subjectId} was destroyed (erasure); what it encrypted cannot be read`);
  }
}

export function sqlRunnerOf(client: DbClient): SqlRunner {
  return (text, values) => (client as Tx).$queryRawUnsafe<Record<string, unknown>[]>(text, ...values);
}

export function keyringOf(client: DbClient) {
  return resolveKeyring(sqlRunnerOf(client));
}

export interface KeyRow {
  subjectId: string;
  kekId: string | null;
  dataKey: Uint8Array | null;
  ledgerKey: Uint8Array | null;
  dataKeyDestroyedAt: Date | null;
  ledgerKeyDestroyedAt: Date | null;
}

const keyRowSelect = { subjectId: true, kekId: true, dataKey: true, ledgerKey: true, dataKeyDestroyedAt: true, ledgerKeyDestroyedAt: true } as const;

/**
 * The raw key of one purpose from a row: unwrapped, or raw as a key written before wrapping (kek_id
 * null). Data keys come from the process's short-lived cache when it holds the key for exactly these
 * wrapped bytes (data-key-cache.ts, ADR 020); `row` must have been read in the caller's statement.
 */
export function openKey(keyring: Keyring, row: KeyRow, purpose: "data" | "ledger"): Buffer | null {
  const stored = purpose === "data" ? row.dataKey : row.ledgerKey;
  if (!stored) return null;
  if (row.kekId === null) return Buffer.from(stored);
  const kek = kekFor(keyring, row.kekId);
  if (purpose === "ledger") return unwrapKey(kek.key, row.subjectId, purpose, stored);
  return cachedUnwrap(row.subjectId, row.kekId, stored, () => unwrapKey(kek.key, row.subjectId, purpose, stored));
}

/**
 * Creates the keys of new subjects in one statement (ingestion creates thousands at once). Subjects
 * that already have a row keep it. Returns each subject's data key as now stored.
 */
export async function createSubjectKeys(client: DbClient, subjects: { id: string; kind: SubjectKind }[], options: { withLedgerKey?: boolean } = {}) {
  const keys = new Map<string, Buffer>();
  if (subjects.length === 0) return keys;
  const keyring = await keyringOf(client);
  const kek = keyring.current;
  const withLedgerKey = options.withLedgerKey ?? true;
  const ids: string[] = [];
  const kinds: string[] = [];
  const dataKeys: Buffer[] = [];
  const ledgerKeys: (Buffer | null)[] = [];
  for (const subject of subjects) {
    const dataKey = newDataKey();
    keys.set(subject.id, dataKey);
    ids.push(subject.id);
    kinds.push(subject.kind);
    dataKeys.push(wrapKey(kek.key, subject.id, "data", dataKey));
    ledgerKeys.push(withLedgerKey && subject.kind === "customer" ? wrapKey(kek.key, subject.id, "ledger", newDataKey()) : null);
  }
  const inserted = await withKeyringRetry(client, () =>
    (client as Tx).$executeRaw`
      INSERT INTO subject_data_key (subject_id, subject_kind, kek_id, data_key, ledger_key)
      SELECT id, kind::"SubjectKind", ${kek.kid}, decode(data_key, 'hex'), decode(ledger_key, 'hex')
        FROM unnest(${ids}::uuid[], ${kinds}::text[], ${dataKeys.map((key) => key.toString("hex"))}::text[],
                    ${ledgerKeys.map((key) => key?.toString("hex") ?? null)}::text[]) AS u(id, kind, data_key, ledger_key)
      ON CONFLICT (subject_id) DO NOTHING`,
  );
  // A subject that already had a row: its stored key wins (two intakes racing, a legacy ledger key).
  // Only when some row was not inserted is it worth asking which (ingestion creates thousands at once).
  if (inserted < ids.length) {
    const hexKeys = dataKeys.map((key) => key.toString("hex"));
    const kept = await (client as Tx).$queryRaw<{ subject_id: string }[]>`
      SELECT u.id::text AS subject_id FROM unnest(${ids}::uuid[], ${hexKeys}::text[]) AS u(id, data_key)
        JOIN subject_data_key k ON k.subject_id = u.id
       WHERE k.data_key IS DISTINCT FROM decode(u.data_key, 'hex')`;
    const existing = kept.map((row) => row.subject_id);
    const stored = await dataKeysOf(client, existing, { createMissing: true });
    for (const id of existing) {
      const key = stored.get(id);
      if (key) keys.set(id, key);
      else keys.delete(id);
    }
  }
  return keys;
}

/**
 * Data keys of subjects, unwrapped. A subject whose data key was destroyed (erased) maps to null; a
 * subject with no data key yet gets one when `createMissing` (customers created before encryption at
 * rest, requesters), and is left out otherwise.
 */
export async function dataKeysOf(client: DbClient, subjectIds: string[], options: { createMissing?: boolean; kind?: SubjectKind } = {}) {
  const keys = new Map<string, Buffer | null>();
  const unique = [...new Set(subjectIds)];
  if (unique.length === 0) return keys;
  const keyring = await keyringOf(client);
  const rows = await (client as Tx).subjectDataKey.findMany({ where: { subjectId: { in: unique } }, select: keyRowSelect });
  const missing = new Set(unique);
  for (const row of rows) {
    if (row.dataKeyDestroyedAt) {
      keys.set(row.subjectId, null);
      missing.delete(row.subjectId);
      continue;
    }
    const key = openKey(keyring, row, "data");
    if (key) {
      keys.set(row.subjectId, key);
      missing.delete(row.subjectId);
    }
  }
  if (options.createMissing) {
    for (const subjectId of missing) keys.set(subjectId, await addDataKey(client, subjectId, options.kind ?? "customer"));
  }
  return keys;
}

/** The data key of one subject (created when missing); throws when it was destroyed. */
export async function dataKeyOf(client: DbClient, subjectId: string, kind: SubjectKind = "customer") {
  const key = (await dataKeysOf(client, [subjectId], { createMissing: true, kind })).get(subjectId);
  if (!key) throw new SubjectKeyDestroyedError(subjectId, "data");
  return key;
}

/**
 * Gives a subject a data key: a new row, or a row holding only a legacy raw ledger key, whose ledger key
 * is wrapped in the same statement (one row, one KEK). Concurrent callers end with the same key.
 */
async function addDataKey(client: DbClient, subjectId: string, kind: SubjectKind): Promise<Buffer | null> {
  const keyring = await keyringOf(client);
  const kek = keyring.current;
  const dataKey = newDataKey();
  await withKeyringRetry(client, () =>
    (client as Tx).$executeRaw`
      INSERT INTO subject_data_key (subject_id, subject_kind, kek_id, data_key)
      VALUES (${subjectId}::uuid, ${kind}::"SubjectKind", ${kek.kid}, ${wrapKey(kek.key, subjectId, "data", dataKey)})
      ON CONFLICT (subject_id) DO NOTHING`,
  );
  const row = await (client as Tx).subjectDataKey.findUniqueOrThrow({ where: { subjectId }, select: keyRowSelect });
  if (row.dataKeyDestroyedAt) return null;
  const stored = openKey(keyring, row, "data");
  if (stored) return stored;
  // The row held only a ledger key (from before encryption at rest): wrap it and add the data key.
  const ledgerKey = openKey(keyring, row, "ledger");
  const updated = await withKeyringRetry(client, () =>
    (client as Tx).subjectDataKey.updateMany({
      where: { subjectId, dataKey: null, dataKeyDestroyedAt: null, kekId: row.kekId },
      data: {
        kekId: kek.kid,
        dataKey: wrapKey(kek.key, subjectId, "data", dataKey),
        ...(ledgerKey ? { ledgerKey: wrapKey(kek.key, subjectId, "ledger", ledgerKey) } : {}),
      },
    }),
  );
  if (updated.count === 1) return dataKey;
  return (await dataKeysOf(client, [subjectId])).get(subjectId) ?? null;
}

/**
 * The customer's ledger key. Created when missing if `create` (a customer from before keys were created
 * with the customer); null when missing and not creating; throws when it was destroyed.
 */
export async function ledgerKeyOf(client: DbClient, customerId: string, create: boolean): Promise<Buffer | null> {
  const keyring = await keyringOf(client);
  let row = await (client as Tx).subjectDataKey.findUnique({ where: { subjectId: customerId }, select: keyRowSelect });
  if (row?.ledgerKeyDestroyedAt) throw new SubjectKeyDestroyedError(customerId, "ledger");
  const key = row ? openKey(keyring, row, "ledger") : null;
  if (key || !create) return key;
  if (!row) {
    await createSubjectKeys(client, [{ id: customerId, kind: "customer" }]);
  } else {
    const kek = keyring.current;
    const dataKey = openKey(keyring, row, "data");
    await withKeyringRetry(client, () =>
      (client as Tx).subjectDataKey.updateMany({
        where: { subjectId: customerId, ledgerKey: null, ledgerKeyDestroyedAt: null, kekId: row!.kekId },
        data: {
          kekId: kek.kid,
          ledgerKey: wrapKey(kek.key, customerId, "ledger", newDataKey()),
          ...(dataKey ? { dataKey: wrapKey(kek.key, customerId, "data", dataKey) } : {}),
        },
      }),
    );
  }
  row = await (client as Tx).subjectDataKey.findUniqueOrThrow({ where: { subjectId: customerId }, select: keyRowSelect });
  if (row.ledgerKeyDestroyedAt) throw new SubjectKeyDestroyedError(customerId, "ledger");
  const created = openKey(await keyringOf(client), row, "ledger");
  if (!created) throw new Error(`the ledger key of ${customerId} could not be created`);
  return created;
}

/** What a subject's key row says, for an erasure plan: which keys exist or were destroyed. */
export async function subjectKeyState(client: DbClient, subjectId: string) {
  const row = await (client as Tx).subjectDataKey.findUnique({ where: { subjectId }, select: { dataKey: true, ledgerKey: true, dataKeyDestroyedAt: true, ledgerKeyDestroyedAt: true } });
  return {
    hasRow: row !== null,
    isDataKeyDestroyed: Boolean(row?.dataKeyDestroyedAt),
    isLedgerKeyDestroyed: Boolean(row?.ledgerKeyDestroyedAt),
  };
}

/**
 * Destroys a subject's keys for good (erasure, the end of a retention period, a matched requester).
 * Idempotent. A subject with no row gets a tombstone, so no key can be created for them afterwards.
 * The old row version still holds the wrapped key until VACUUM (vacuumKeyTables, right after commit)
 * and in WAL and backups until the key-encryption key that wrapped it is destroyed by a rotation.
 */
export async function destroySubjectKeys(client: DbClient, subjectId: string, which: { data: boolean; ledger: boolean }, now = new Date()) {
  const result = { dataKeyDestroyed: false, ledgerKeyDestroyed: false };
  // This instance lets go of the unwrapped key at once; every instance is already kept from using it by
  // the destroyed row it reads with the data (data-key-cache.ts).
  if (which.data) forgetDataKeys([subjectId]);
  await (client as Tx).$executeRaw`
    INSERT INTO subject_data_key (subject_id, data_key_destroyed_at, ledger_key_destroyed_at)
    VALUES (${subjectId}::uuid, ${which.data ? now : null}, ${which.ledger ? now : null})
    ON CONFLICT (subject_id) DO NOTHING`;
  if (which.data) {
    const updated = await (client as Tx).subjectDataKey.updateMany({ where: { subjectId, dataKeyDestroyedAt: null }, data: { dataKey: null, dataKeyDestroyedAt: now } });
    result.dataKeyDestroyed = updated.count > 0;
  }
  if (which.ledger) {
    const updated = await (client as Tx).subjectDataKey.updateMany({ where: { subjectId, ledgerKeyDestroyedAt: null }, data: { ledgerKey: null, ledgerKeyDestroyedAt: now } });
    result.ledgerKeyDestroyed = updated.count > 0;
  }
  return result;
}

/** Whether a database error is the trigger refusing a key wrapped under a retired key-encryption key. */
function isRetiredKekRefusal(error: unknown) {
  const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? "")}` : String(error);
  return text.includes("is not the active one");
}

/**
 * Runs a key write once more after reading the keyring again when the database refused it because
 * another instance rotated the key-encryption key meanwhile. Inside a transaction the refusal has
 * aborted it, so there the caller's retry (a reload) is what helps: the next attempt uses the new key.
 */
async function withKeyringRetry<T>(client: DbClient, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!isRetiredKekRefusal(error)) throw error;
    forgetKeyring();
    logger.warn("a key was refused for a retired key-encryption key; the keyring is read again");
    if ("$transaction" in client) return write();
    throw new KeyEncryptionKeyError("the key-encryption key was rotated while this change was being written; try again");
  }
}

/**
 * VACUUM of the tables holding keys and personal data, right after the transaction that destroyed
 * keys or deleted personal data has committed (VACUUM cannot run inside a transaction), so the old row
 * versions leave the table's pages at once rather than at the next autovacuum. Needs the table's owner
 * (PostgreSQL 15) or MAINTAIN (16+): when refused, says so and leaves it to autovacuum.
 */
export async function vacuumKeyTables(client: Db, tables: readonly ("subject_data_key" | "customer_personal_data" | "privacy_request")[] = ["subject_data_key"]) {
  const vacuumed: string[] = [];
  const refused: string[] = [];
  for (const table of tables) {
    const [permission] = await client.$queryRaw<{ allowed: boolean }[]>`
      SELECT pg_has_role(current_user, c.relowner, 'USAGE') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS allowed
        FROM pg_class c WHERE c.oid = ${table}::regclass`;
    if (!permission?.allowed) {
      refused.push(table);
      continue;
    }
    await client.$executeRawUnsafe(`VACUUM "${table}"`);
    vacuumed.push(table);
  }
  if (refused.length > 0) {
    logger.error(`VACUUM of ${refused.join(", ")} was not allowed for the app's database role: make it the tables' owner (docs/operations.md, "Keys for personal data")`);
  }
  return { vacuumed, refused };
}
