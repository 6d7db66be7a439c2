import fs from "node:fs";
import path from "node:path";
import * as openpgp from "openpgp";
import { db, type Tx } from "~/utils/db.server";
import { env, isDemoMode } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { generateSigningKey } from "./openpgp";

// Checkpoint signing keys (DESIGN.md §6). Private keys come from the environment, a file or a key
// directory and never enter the database; their public halves and validity history are recorded in
// signing_key so anyone can verify any checkpoint with `gpg`. The active key is the one activated
// last and not retired; rotation is a four-eyes admin action (signing-key-rotation.server.ts).

export interface LoadedSigningKey {
  fingerprint: string;
  privateKey: openpgp.PrivateKey;
  armoredPublicKey: string;
  source: string;
}

async function readKey(armored: string, source: string): Promise<LoadedSigningKey> {
  let privateKey = await openpgp.readPrivateKey({ armoredKey: armored });
  if (!privateKey.isDecrypted()) {
    if (!env.ATTEST_SIGNING_KEY_PASSPHRASE) throw new Error(`${source}: the key is encrypted; set ATTEST_SIGNING_KEY_PASSPHRASE`);
    privateKey = await openpgp.decryptKey({ privateKey, passphrase: env.ATTEST_SIGNING_KEY_PASSPHRASE });
  }
  return {
    fingerprint: privateKey.getFingerprint().toUpperCase(),
    privateKey,
    armoredPublicKey: privateKey.toPublic().armor(),
    source,
  };
}

let loaded: Promise<Map<string, LoadedSigningKey>> | null = null;

async function loadKeys(): Promise<Map<string, LoadedSigningKey>> {
  const keys = new Map<string, LoadedSigningKey>();
  const add = async (armored: string, source: string) => {
    const key = await readKey(armored, source);
    keys.set(key.fingerprint, key);
  };
  if (env.ATTEST_SIGNING_KEY) await add(env.ATTEST_SIGNING_KEY, "ATTEST_SIGNING_KEY");
  if (env.ATTEST_SIGNING_KEY_FILE) await add(fs.readFileSync(env.ATTEST_SIGNING_KEY_FILE, "utf8"), env.ATTEST_SIGNING_KEY_FILE);
  const dir = path.resolve(env.ATTEST_SIGNING_KEYS_DIR);
  if (fs.existsSync(dir)) {
    for (const file of fs.readdirSync(dir).filter((name) => name.endsWith(".asc")).sort()) {
      await add(fs.readFileSync(path.join(dir, file), "utf8"), path.join(dir, file));
    }
  }
  if (keys.size === 0 && isDemoMode) {
    const file = await writeGeneratedKey();
    logger.warn(`no checkpoint signing key was configured: generated ${file} (demo mode). Production must provide ATTEST_SIGNING_KEY or ATTEST_SIGNING_KEY_FILE.`);
    await add(fs.readFileSync(file, "utf8"), file);
  }
  return keys;
}

/** Generates a new key into the key directory (demo mode, and staging a key for rotation). */
export async function writeGeneratedKey() {
  const dir = path.resolve(env.ATTEST_SIGNING_KEYS_DIR);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const armored = await generateSigningKey();
  const fingerprint = (await openpgp.readPrivateKey({ armoredKey: armored })).getFingerprint().toUpperCase();
  const file = path.join(dir, `${fingerprint}.asc`);
  fs.writeFileSync(file, armored, { mode: 0o600 });
  loaded = null;
  return file;
}

export function loadedSigningKeys() {
  loaded ??= loadKeys();
  return loaded;
}

/** Records every key this instance holds (public half only) so it can be activated and verified. */
export async function registerSigningKeys(tx: Tx = db as unknown as Tx) {
  const keys = await loadedSigningKeys();
  for (const key of keys.values()) {
    await tx.signingKey.upsert({
      where: { fingerprint: key.fingerprint },
      create: { fingerprint: key.fingerprint, algorithm: "EdDSA (Ed25519), OpenPGP v4", armoredPublicKey: key.armoredPublicKey },
      update: {},
    });
  }
  return keys;
}

export async function activeSigningKeyRow(tx: Tx = db as unknown as Tx) {
  return tx.signingKey.findFirst({
    where: { activatedAt: { not: null }, retiredAt: null },
    orderBy: { activatedAt: "desc" },
  });
}
