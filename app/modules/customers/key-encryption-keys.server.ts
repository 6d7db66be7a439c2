import path from "node:path";
import { env, isDemoMode } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { deriveBlindIndexKey } from "./field-crypto";
import { generateKeyEncryptionKeyFile, KeyEncryptionKeyError, keysFromDirectory, parseKeyBytes, KID_PATTERN, type KeyEncryptionKey } from "./kek-files";

export { destroyKeyEncryptionKeyFile, generateKeyEncryptionKeyFile, KeyEncryptionKeyError, type KeyEncryptionKey } from "./kek-files";

// Key-encryption keys (ADR 009). Every subject's data and ledger keys are stored wrapped by a
// key-encryption key (KEK) that never enters the database: from ATTEST_KEK (a secret manager, rotated by
// the operator) or from key files in ATTEST_KEK_DIR (generated for the demo, rotated by Attest itself on
// a schedule). The database records only which KEK is active and which were retired or destroyed
// (key_encryption_key), so every app instance wraps under the same one, and a trigger refuses a key
// wrapped under a retired KEK. Destroying a retired KEK after every live key was re-wrapped makes the
// copies of erased subjects' keys in old backups, WAL and dead row versions useless for good.
//
// Nothing here imports the database client: the seed and the migration command pass their own
// connection (SqlRunner), so they work inside their own transaction on the single-session PGlite too.

export interface Keyring {
  /** The KEK new keys are wrapped under. */
  current: KeyEncryptionKey;
  /** Every KEK this instance holds, by kid (the current one and retired ones not destroyed yet). */
  byKid: Map<string, KeyEncryptionKey>;
  /** Blind-index keys of every held KEK, the current one first: look-ups match any during a rotation. */
  indexKeys: Buffer[];
  /** The blind-index key of the current KEK: new index values are computed with it. */
  currentIndexKey: Buffer;
  /** Whether Attest manages the KEKs itself (files in ATTEST_KEK_DIR) and may rotate and destroy them. */
  isManaged: boolean;
}

/** One SQL statement on the caller's connection or transaction: rows as objects. */
export type SqlRunner = (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>;

/** How long an instance trusts its view of the active KEK before reading it again. */
export const KEYRING_REFRESH_MS = 10_000;

/** ATTEST_KEK: "kid:base64key[,kid:base64key…]", the active key first. */
function keysFromEnvironment(value: string): KeyEncryptionKey[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const separator = entry.indexOf(":");
      const kid = entry.slice(0, separator);
      if (separator < 0 || !KID_PATTERN.test(kid)) throw new KeyEncryptionKeyError(`ATTEST_KEK entry ${index + 1}: expected "kid:base64key" with a kid of letters, digits, . _ -`);
      // Order stands for age: the first entry is the newest.
      return { kid, key: parseKeyBytes(entry.slice(separator + 1), `ATTEST_KEK entry ${index + 1} (${kid})`), createdAt: new Date(Date.now() - index * 1000), file: null };
    });
}

function keyDirectory() {
  return path.resolve(env.ATTEST_KEK_DIR);
}

let material: KeyEncryptionKey[] | null = null;

/** The KEKs this instance holds, newest first; in demo mode one is generated when there is none. */
export function loadKeyMaterial(options: { reload?: boolean } = {}): KeyEncryptionKey[] {
  if (material && !options.reload) return material;
  if (env.ATTEST_KEK) {
    material = keysFromEnvironment(env.ATTEST_KEK);
  } else {
    material = keysFromDirectory(keyDirectory());
    if (material.length === 0 && isDemoMode) {
      const generated = generateKeyEncryptionKeyFile(keyDirectory());
      logger.warn(
        `no key-encryption key was configured: generated ${generated.file} (demo mode). Production must provide ATTEST_KEK or key files in ATTEST_KEK_DIR, kept apart from database backups.`,
      );
      material = [generated];
    }
  }
  if (material.length === 0) {
    throw new KeyEncryptionKeyError(
      `no key-encryption key: set ATTEST_KEK ("kid:base64key") or put a key file in ${keyDirectory()} (see docs/operations.md, "Keys for personal data")`,
    );
  }
  return material;
}

export function isKeyringManaged() {
  return !env.ATTEST_KEK;
}

function buildKeyring(current: KeyEncryptionKey, held: KeyEncryptionKey[], retiredKids: Set<string>): Keyring {
  const byKid = new Map(held.filter((kek) => kek.kid === current.kid || retiredKids.has(kek.kid)).map((kek) => [kek.kid, kek]));
  byKid.set(current.kid, current);
  const others = [...byKid.values()].filter((kek) => kek.kid !== current.kid);
  const currentIndexKey = deriveBlindIndexKey(current.key);
  return { current, byKid, currentIndexKey, indexKeys: [currentIndexKey, ...others.map((kek) => deriveBlindIndexKey(kek.key))], isManaged: isKeyringManaged() };
}

let cached: { keyring: Keyring; at: number } | null = null;

/** Forgets the cached view (after a rotation, or when a write was refused for a retired KEK). */
export function forgetKeyring() {
  cached = null;
}

/**
 * The keyring as it stands: the KEKs held here, and which one is active according to the database.
 * The newest KEK held (ATTEST_KEK's first entry, or the newest key file) is meant to be active; one the
 * database does not know yet is registered as active and every other one retired — a rotation begins,
 * and `rotateKeyEncryptionKey` re-wraps the subject keys under it.
 */
export async function resolveKeyring(sql: SqlRunner, options: { now?: Date; refresh?: boolean } = {}): Promise<Keyring> {
  const now = options.now ?? new Date();
  if (cached && !options.refresh && Date.now() - cached.at < KEYRING_REFRESH_MS) return cached.keyring;
  const held = loadKeyMaterial({ reload: options.refresh });
  const intended = held[0]!;
  let rows = await readKekRows(sql);
  const known = rows.find((row) => row.kid === intended.kid);
  if (!known) {
    await sql(`INSERT INTO key_encryption_key (kid, created_at, activated_at) VALUES ($1, $2, $3) ON CONFLICT (kid) DO NOTHING`, [intended.kid, intended.createdAt, now]);
    const retired = await sql(`UPDATE key_encryption_key SET retired_at = $2 WHERE kid <> $1 AND retired_at IS NULL RETURNING kid`, [intended.kid, now]);
    if (retired.length > 0) {
      logger.warn(`key-encryption key ${intended.kid} is now active and ${retired.map((row) => String(row.kid)).join(", ")} retired: the next rotation run re-wraps the subject keys under it`);
    } else {
      logger.info(`key-encryption key ${intended.kid} registered as the active one`);
    }
    rows = await readKekRows(sql);
  }
  const active = rows.filter((row) => row.retiredAt === null && row.destroyedAt === null);
  const mine = rows.find((row) => row.kid === intended.kid)!;
  if (mine.retiredAt !== null || mine.destroyedAt !== null) {
    // Another instance rotated: a managed key directory shared by all instances now holds a newer file.
    if (!options.refresh) return resolveKeyring(sql, { ...options, refresh: true });
    const newer = active[0]?.kid;
    throw new KeyEncryptionKeyError(
      `the key-encryption key ${intended.kid} was ${mine.destroyedAt ? "destroyed" : "retired"}${newer ? `; the active one is ${newer}` : ""}. This instance must hold the active key (ATTEST_KEK first entry or ATTEST_KEK_DIR).`,
    );
  }
  const retired = new Set(rows.filter((row) => row.retiredAt !== null && row.destroyedAt === null).map((row) => row.kid));
  const keyring = buildKeyring(intended, held, retired);
  cached = { keyring, at: Date.now() };
  return keyring;
}

interface KekRow {
  kid: string;
  activatedAt: Date;
  retiredAt: Date | null;
  destroyedAt: Date | null;
}

async function readKekRows(sql: SqlRunner): Promise<KekRow[]> {
  const rows = await sql(`SELECT kid, activated_at, retired_at, destroyed_at FROM key_encryption_key ORDER BY activated_at DESC`, []);
  return rows.map((row) => ({
    kid: String(row.kid),
    activatedAt: new Date(row.activated_at as string),
    retiredAt: row.retired_at ? new Date(row.retired_at as string) : null,
    destroyedAt: row.destroyed_at ? new Date(row.destroyed_at as string) : null,
  }));
}

/** The KEK a stored key names; a KEK that was destroyed (or is not held here) is an error saying which. */
export function kekFor(keyring: Keyring, kid: string): KeyEncryptionKey {
  const kek = keyring.byKid.get(kid);
  if (!kek) throw new KeyEncryptionKeyError(`the key-encryption key ${kid} is not held by this instance (destroyed by a rotation, or missing from ATTEST_KEK / ATTEST_KEK_DIR)`);
  return kek;
}
