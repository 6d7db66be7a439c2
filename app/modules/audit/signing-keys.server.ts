import fs from "node:fs";
import path from "node:path";
import type { KeyObject } from "node:crypto";
import * as openpgp from "openpgp";
import { db, type Tx } from "~/utils/db.server";
import { env, isDemoMode } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { ed25519KeyMaterial, generateSigningKey } from "./openpgp";
import { ed25519PrivateKeyObject, SIGNATURE_TYPE_ED25519, verifierKey } from "./signed-note";

// Checkpoint signing keys (DESIGN.md §6). Private keys come from the environment, a file or a key
// directory and never enter the database; their public halves and validity history are recorded in
// signing_key so anyone can verify any checkpoint with `gpg`. The active key is the one activated
// last and not retired; rotation is a four-eyes admin action (signing-key-rotation.server.ts).

export interface LoadedSigningKey {
  fingerprint: string;
  privateKey: openpgp.PrivateKey;
  armoredPublicKey: string;
  source: string;
  /** The same Ed25519 key for C2SP note signatures (node:crypto signs with it directly). */
  noteKey: { publicKey: Buffer; privateKey: KeyObject };
}

async function readKey(armored: string, source: string): Promise<LoadedSigningKey> {
  let privateKey = await openpgp.readPrivateKey({ armoredKey: armored });
  if (!privateKey.isDecrypted()) {
    if (!env.ATTEST_SIGNING_KEY_PASSPHRASE) throw new Error(`${source}: the key is encrypted; set ATTEST_SIGNING_KEY_PASSPHRASE`);
    privateKey = await openpgp.decryptKey({ privateKey, passphrase: env.ATTEST_SIGNING_KEY_PASSPHRASE });
  }
  const material = ed25519KeyMaterial(privateKey);
  if (!material.seed) throw new Error(`${source}: the key's Ed25519 secret could not be read`);
  return {
    fingerprint: privateKey.getFingerprint().toUpperCase(),
    privateKey,
    armoredPublicKey: privateKey.toPublic().armor(),
    source,
    noteKey: { publicKey: material.publicKey, privateKey: ed25519PrivateKeyObject(material.seed, material.publicKey) },
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
    // Through the ledger's own function: the runtime role cannot write signing_key directly.
    await tx.$executeRaw`SELECT attest_register_signing_key(${key.fingerprint}, ${"EdDSA (Ed25519), OpenPGP v4"}, ${key.armoredPublicKey})`;
  }
  return keys;
}

export async function activeSigningKeyRow(tx: Tx = db as unknown as Tx) {
  return tx.signingKey.findFirst({
    where: { activatedAt: { not: null }, retiredAt: null },
    orderBy: { activatedAt: "desc" },
  });
}

/** The C2SP verifier key (vkey) of an OpenPGP Ed25519 public key, named after the ledger's origin. */
export async function noteVerifierKeyOf(armoredPublicKey: string, origin: string) {
  const key = await openpgp.readKey({ armoredKey: armoredPublicKey });
  return verifierKey(origin, SIGNATURE_TYPE_ED25519, ed25519KeyMaterial(key).publicKey);
}

export interface PublicKeyChainEntry {
  fingerprint: string;
  algorithm: string;
  armoredPublicKey: string;
  /** The key's C2SP note verifier key under the ledger's origin (null for a key that is not Ed25519). */
  noteVerifierKey: string | null;
  status: "staged" | "active" | "retired";
  createdAt: string;
  validFrom: string | null;
  validUntil: string | null;
  /**
   * The statement that introduced this key, signed by the outgoing key (canonical JSON and its armored
   * OpenPGP signature); null for the ledger's first key, which verifiers pin by fingerprint.
   */
  transition: { body: string; signature: string } | null;
}

/**
 * Every signing key the database knows, oldest first, with what a client needs to check the chain
 * from the first key it pins: the public keys and the transition statements between them. What the
 * database says about keys is not trusted by itself: verifiers accept a key only when a pinned
 * fingerprint or a verified transition from a trusted key introduces it (docs/ledger.md).
 */
export async function publicKeyChain(origin: string): Promise<PublicKeyChainEntry[]> {
  const keys = await db.signingKey.findMany({ orderBy: [{ activatedAt: { sort: "asc", nulls: "last" } }, { createdAt: "asc" }] });
  return Promise.all(
    keys.map(async (key) => ({
      fingerprint: key.fingerprint,
      algorithm: key.algorithm,
      armoredPublicKey: key.armoredPublicKey,
      noteVerifierKey: await noteVerifierKeyOf(key.armoredPublicKey, origin).then(
        (vkey) => vkey.text,
        () => null,
      ),
      status: key.retiredAt ? ("retired" as const) : key.activatedAt ? ("active" as const) : ("staged" as const),
      createdAt: key.createdAt.toISOString(),
      validFrom: key.activatedAt?.toISOString() ?? null,
      validUntil: key.retiredAt?.toISOString() ?? null,
      transition: key.transitionBody && key.transitionSignature ? { body: key.transitionBody, signature: key.transitionSignature } : null,
    })),
  );
}
