import type { Prisma } from "~/generated/prisma/client";
import type { Tx } from "~/utils/db.server";
import { logger } from "~/utils/logger.server";
import { subjectOf } from "~/modules/access/ability.server";
import type { Actor } from "~/modules/access/actor.server";
import { personalDataFields } from "~/modules/access/policy.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { isProcessingRestricted } from "~/modules/privacy/restriction";
import { blindIndex, decryptField, encryptField, isEncryptedField, type BlindIndexKind, type StoredBytes } from "./field-crypto";
import { peekDecrypted, rememberDecrypted } from "./data-key-cache";
import { dataKeyOf, keyringOf, openKey, type DbClient, type KeyRow } from "./subject-keys.server";

// The one way in and out of a customer's personal data (ADR 009). Values are encrypted under the
// customer's data key in the app and decrypted in the app; the database sees ciphertext and keyed blind
// indexes only. A staff member's read is checked field by field against their ability and recorded in
// the ledger in the same transaction; a role without the fields gets neither ciphertext nor plain text,
// only which fields it may not see. The app's own reads (erasure, access export, retention) name their
// purpose instead and are covered by the event of the step they belong to.

export const encryptedPersonalFields = ["fullName", "email", "phone", "dateOfBirth", "street", "postalCode", "city"] as const;
export type EncryptedPersonalField = (typeof encryptedPersonalFields)[number];

const columnOf: Record<EncryptedPersonalField, string> = {
  fullName: "full_name",
  email: "email",
  phone: "phone",
  dateOfBirth: "date_of_birth",
  street: "street",
  postalCode: "postal_code",
  city: "city",
};

export type PersonalDataValues = Record<EncryptedPersonalField, string>;

export interface PersonalData extends PersonalDataValues {
  country: string;
  updatedAt: Date;
}

/** A staff member's read (ability checked, audited) or the app's own read for a named purpose. */
export type PersonalDataAccess = { actor: Actor; purpose: string } | { system: string };

export type PersonalDataView =
  /** Fields the reader may see, decrypted; the others are in `maskedFields` and were never read. */
  | { status: "shown"; data: Partial<PersonalDataValues>; maskedFields: EncryptedPersonalField[]; country: string; updatedAt: Date }
  /** GDPR Art. 18: processing restricted; only roles that handle the restriction (the DPO) see it. */
  | { status: "withheld"; reason: "restricted" }
  /** No personal data held: erased, or never given to Attest. */
  | { status: "absent" };

let hasWarnedPlaintext = false;

/**
 * A stored value: ciphertext is decrypted (or taken from the cache of values decrypted for exactly this
 * ciphertext), with the subject's data key unwrapped only when a value needs it; plain text left by the
 * column migration is read as it is.
 */
function openValue(keyOf: () => Buffer | null, subjectId: string, field: EncryptedPersonalField, stored: Uint8Array | null, now: number): string | null {
  if (stored === null) return null;
  if (isEncryptedField(stored)) {
    const cached = peekDecrypted(subjectId, field, stored, now);
    if (cached !== undefined) return cached;
    const key = keyOf();
    if (!key) return null;
    return rememberDecrypted(subjectId, field, stored, decryptField(key, subjectId, stored), now);
  }
  if (!hasWarnedPlaintext) {
    hasWarnedPlaintext = true;
    logger.warn("plain-text personal data found in customer_personal_data: run npm run data:encrypt to encrypt it at rest");
  }
  return Buffer.from(stored).toString("utf8");
}

function readableFields(actor: Actor, customer: { id: string; regionCode: string }) {
  const instance = subjectOf("Customer", customer) as never;
  return encryptedPersonalFields.filter((field) => !(personalDataFields as readonly string[]).includes(field) || actor.ability.can("read", instance, field));
}

/**
 * Personal data of customers, as the reader may see it. `fields` limits what is decrypted (a list
 * shows names only). For a staff member every customer whose data was shown is recorded in one event
 * in `tx`: `customer.personal_data_read` for one customer, `customer.personal_data_listed` for several.
 */
export async function readPersonalData(
  tx: Tx,
  customerIds: readonly string[],
  access: PersonalDataAccess,
  options: { fields?: readonly EncryptedPersonalField[] } = {},
): Promise<Map<string, PersonalDataView>> {
  const views = new Map<string, PersonalDataView>();
  const ids = [...new Set(customerIds)];
  if (ids.length === 0) return views;
  const wanted = options.fields ?? encryptedPersonalFields;
  // The columns that can be shown to this reader at all: a role granted none of the fields asked for
  // gets no ciphertext out of the database either. Conditions (region, restriction) are checked per row.
  const candidates = "actor" in access ? wanted.filter((field) => !(personalDataFields as readonly string[]).includes(field) || access.actor.ability.can("read", "Customer", field)) : [...wanted];
  // One statement: the customers, the columns asked for and each one's data-key row, in one snapshot —
  // so a key an erasure destroyed is seen destroyed together with the data it encrypted (ADR 020).
  const rows = await selectRows(tx, ids, candidates);
  const plans: { row: StoredRow; fields: EncryptedPersonalField[] }[] = [];
  for (const row of rows) {
    const customer = { id: row.id, reference: row.reference, regionCode: row.regionCode, createdAt: row.createdAt, isRestricted: row.isRestricted, restrictedAt: row.restrictedAt, objectedAt: row.objectedAt, erasedAt: row.erasedAt };
    let fields: EncryptedPersonalField[] = candidates;
    if ("actor" in access) {
      const { ability } = access.actor;
      if (isProcessingRestricted(customer) && !ability.can("restrict", subjectOf("Customer", customer) as never)) {
        views.set(customer.id, { status: "withheld", reason: "restricted" });
        continue;
      }
      const readable = readableFields(access.actor, customer);
      fields = candidates.filter((field) => readable.includes(field));
    }
    if (!row.has_data) views.set(customer.id, { status: "absent" });
    else plans.push({ row, fields });
  }
  // Values decrypted recently for exactly this ciphertext come from the cache (ADR 020) — only for a
  // customer whose data key this statement read as live; a key is unwrapped (or taken from its cache)
  // from the wrapped bytes this statement returned, the first time one of the row's values needs it.
  const now = Date.now();
  const keyring = plans.some(({ row }) => row.has_data_key && row.kek_id !== null) ? await keyringOf(tx) : null;
  const shown: { id: string; regionCode: string }[] = [];
  const fieldsOf = new Map<string, EncryptedPersonalField[]>();
  for (const { row, fields } of plans) {
    const data: Partial<PersonalDataValues> = {};
    let key: Buffer | null | undefined;
    const keyOf = () => (key === undefined ? (key = row.has_data_key ? openKey(keyring!, keyRowOf(row), "data") : null) : key);
    for (const field of fields) {
      const stored = row[columnOf[field]] as Uint8Array | null;
      const value = !row.has_data_key && stored && isEncryptedField(stored) ? null : openValue(keyOf, row.id, field, stored, now);
      if (value !== null) data[field] = value;
    }
    if (fields.length > 0 && Object.keys(data).length === 0) {
      // The data key was destroyed but the row survived: nothing can be read from it.
      views.set(row.id, { status: "absent" });
      continue;
    }
    const maskedFields = encryptedPersonalFields.filter((field) => wanted.includes(field) && !fields.includes(field));
    views.set(row.id, { status: "shown", data, maskedFields, country: row.country!, updatedAt: row.updated_at! });
    fieldsOf.set(row.id, fields);
    if (fields.length > 0) shown.push({ id: row.id, regionCode: row.regionCode });
  }
  if ("actor" in access && shown.length > 0) {
    const fieldsShown = [...new Set(shown.flatMap((customer) => fieldsOf.get(customer.id)!))];
    if (shown.length === 1) {
      await appendAuditEvent(tx, access.actor.audit, {
        action: "customer.personal_data_read",
        subjectType: "Customer",
        subjectId: shown[0]!.id,
        regionCode: shown[0]!.regionCode,
        changes: { purpose: access.purpose, fields: fieldsShown },
      });
    } else {
      const regions = [...new Set(shown.map((customer) => customer.regionCode))];
      await appendAuditEvent(tx, access.actor.audit, {
        action: "customer.personal_data_listed",
        subjectType: "Customer",
        regionCode: regions.length === 1 ? regions[0] : null,
        changes: { purpose: access.purpose, fields: fieldsShown, customerIds: shown.map((customer) => customer.id) },
      });
    }
  }
  return views;
}

interface StoredRow {
  id: string;
  reference: string;
  regionCode: string;
  createdAt: Date;
  isRestricted: boolean;
  restrictedAt: Date | null;
  objectedAt: Date | null;
  erasedAt: Date | null;
  has_data: boolean;
  country: string | null;
  updated_at: Date | null;
  /** Whether the customer's data key is live, read in the same statement as the data. */
  has_data_key: boolean;
  kek_id: string | null;
  /** The wrapped data key, when live. */
  data_key: Uint8Array | null;
  [column: string]: unknown;
}

const keyRowOf = (row: StoredRow): KeyRow => ({ subjectId: row.id, kekId: row.kek_id, dataKey: row.data_key, ledgerKey: null, dataKeyDestroyedAt: null, ledgerKeyDestroyedAt: null });

async function selectRows(tx: Tx, customerIds: string[], fields: readonly EncryptedPersonalField[]) {
  // Only the columns asked for leave the database: a list of names never fetches addresses; and the key
  // row only when a column is read at all. The wrapped key comes with its row even when the value may be
  // cached: 60 bytes a customer cost less than a second statement for the keys of the cache misses.
  const columns = fields.map((field) => `p."${columnOf[field]}"`);
  const keyColumns =
    fields.length > 0
      ? `(k.data_key IS NOT NULL AND k.data_key_destroyed_at IS NULL) IS TRUE AS has_data_key, k.kek_id, CASE WHEN k.data_key_destroyed_at IS NULL THEN k.data_key END AS data_key`
      : `false AS has_data_key, NULL::text AS kek_id, NULL::bytea AS data_key`;
  return tx.$queryRawUnsafe<StoredRow[]>(
    `SELECT c.id::text AS id, c.reference, c.region_code AS "regionCode", c.created_at AS "createdAt", c.is_restricted AS "isRestricted",
            c.restricted_at AS "restrictedAt", c.objected_at AS "objectedAt", c.erased_at AS "erasedAt",
            p.customer_id IS NOT NULL AS has_data, p.country, p.updated_at, ${keyColumns}${columns.length ? `, ${columns.join(", ")}` : ""}
       FROM customer c
       LEFT JOIN customer_personal_data p ON p.customer_id = c.id
       ${fields.length > 0 ? "LEFT JOIN subject_data_key k ON k.subject_id = c.id" : ""}
      WHERE c.id = ANY($1::uuid[])`,
    customerIds,
  );
}

/** All personal data of one customer for the app's own purpose (no ability, no event), or null. */
export async function readPersonalDataForSystem(tx: Tx, customerId: string, purpose: string): Promise<PersonalData | null> {
  const view = (await readPersonalData(tx, [customerId], { system: purpose })).get(customerId);
  if (!view || view.status !== "shown") return null;
  return { ...(view.data as PersonalDataValues), country: view.country, updatedAt: view.updatedAt };
}

export type PersonalDataInput = Partial<PersonalDataValues> & { country?: string };

/**
 * Writes a customer's personal data: the given fields are encrypted under their data key (created with
 * the customer, or now for one created before), e-mail and phone re-indexed. Creating the row needs
 * every field; an update changes only those given. Recording the change is the caller's event.
 */
export async function writePersonalData(tx: DbClient, customerId: string, input: PersonalDataInput) {
  const key = await dataKeyOf(tx, customerId, "customer");
  const { currentIndexKey } = await keyringOf(tx);
  const encrypted: Partial<Record<EncryptedPersonalField, StoredBytes>> = {};
  for (const field of encryptedPersonalFields) {
    const value = input[field];
    if (value !== undefined) encrypted[field] = encryptField(key, customerId, value);
  }
  const indexes = {
    ...(input.email !== undefined ? { emailIndex: blindIndex(currentIndexKey, "email", input.email) } : {}),
    ...(input.phone !== undefined ? { phoneIndex: blindIndex(currentIndexKey, "phone", input.phone) } : {}),
  };
  const client = tx as Tx;
  const existing = await client.customerPersonalData.findUnique({ where: { customerId }, select: { customerId: true } });
  if (existing) {
    await client.customerPersonalData.update({
      where: { customerId },
      data: { ...encrypted, ...indexes, ...(input.country ? { country: input.country } : {}) } as Prisma.CustomerPersonalDataUpdateInput,
    });
    return;
  }
  const missing = encryptedPersonalFields.filter((field) => encrypted[field] === undefined);
  if (missing.length > 0 || !input.country) throw new Error(`personal data of a new customer needs every field (missing: ${[...missing, ...(input.country ? [] : ["country"])].join(", ")})`);
  await client.customerPersonalData.create({
    data: { customerId, ...(encrypted as Record<EncryptedPersonalField, StoredBytes>), country: input.country, ...indexes },
  });
}

/** Deletes a customer's personal data row (erasure); returns whether there was one. */
export async function deletePersonalData(tx: Tx, customerId: string) {
  return (await tx.customerPersonalData.deleteMany({ where: { customerId } })).count > 0;
}

/** Blind-index values of a look-up under every key-encryption key held (they differ during a rotation). */
export async function blindIndexCandidates(client: DbClient, kind: BlindIndexKind, value: string) {
  const { indexKeys } = await keyringOf(client);
  return indexKeys.map((key) => blindIndex(key, kind, value)).filter((index): index is StoredBytes => index !== null);
}

/**
 * Customers whose e-mail or phone equals the given one (normalised), by blind index; optionally only
 * in one region. At most `take` ids (two tell the caller the match is ambiguous).
 */
export async function findCustomersByBlindIndex(
  client: DbClient,
  lookup: { email?: string | null; phone?: string | null },
  options: { regionCode?: string; take?: number } = {},
) {
  const conditions: Prisma.CustomerPersonalDataWhereInput[] = [];
  if (lookup.email) conditions.push({ emailIndex: { in: await blindIndexCandidates(client, "email", lookup.email) } });
  if (lookup.phone) conditions.push({ phoneIndex: { in: await blindIndexCandidates(client, "phone", lookup.phone) } });
  if (conditions.length === 0) return [];
  const rows = await (client as Tx).customerPersonalData.findMany({
    where: { OR: conditions, ...(options.regionCode ? { customer: { regionCode: options.regionCode } } : {}) },
    select: { customerId: true },
    orderBy: { customerId: "asc" },
    take: options.take,
  });
  return rows.map((row) => row.customerId);
}
