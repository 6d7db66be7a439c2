import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// Key-encryption key files (ADR 009): one JSON file per KEK in a directory kept apart from the
// database and its backups — {"kid", "createdAt", "key" (32 bytes, base64)}, mode 0600. No database,
// no environment: the app's keyring, the test set-up and the operations commands share this code.

export interface KeyEncryptionKey {
  kid: string;
  key: Buffer;
  createdAt: Date;
  /** The key file, when the KEK comes from ATTEST_KEK_DIR (Attest may then rotate and destroy it). */
  file: string | null;
}

export class KeyEncryptionKeyError extends Error {}

export const KID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/;

export function parseKeyBytes(text: string, source: string) {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32) throw new KeyEncryptionKeyError(`${source}: a key-encryption key is 32 bytes in base64 (got ${key.length} bytes)`);
  return key;
}

/** The KEK files in `dir`, newest first. */
export function keysFromDirectory(dir: string): KeyEncryptionKey[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith(".kek.json"))
    .map((name) => {
      const file = path.join(dir, name);
      const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { kid?: string; createdAt?: string; key?: string };
      if (!parsed.kid || !KID_PATTERN.test(parsed.kid) || !parsed.key || !parsed.createdAt) throw new KeyEncryptionKeyError(`${file}: expected {"kid", "createdAt", "key"}`);
      return { kid: parsed.kid, key: parseKeyBytes(parsed.key, file), createdAt: new Date(parsed.createdAt), file };
    })
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/** Writes a new KEK file into `dir` (demo start-up, a scheduled rotation, test set-up); returns it. */
export function generateKeyEncryptionKeyFile(dir: string, now = new Date()): KeyEncryptionKey {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const kid = `kek-${stamp}-${randomBytes(3).toString("hex")}`;
  const key = randomBytes(32);
  const file = path.join(dir, `${kid}.kek.json`);
  fs.writeFileSync(file, `${JSON.stringify({ kid, createdAt: now.toISOString(), key: key.toString("base64") })}\n`, { mode: 0o600, flag: "wx" });
  return { kid, key, createdAt: now, file };
}

/**
 * Destroys a KEK file: overwritten with random bytes, flushed, then removed. (A journaling file system
 * or an SSD may keep an old block; the key directory must therefore never be backed up with the
 * database, and should live on storage that is itself encrypted — docs/operations.md.)
 */
export function destroyKeyEncryptionKeyFile(file: string) {
  const size = fs.statSync(file).size;
  const handle = fs.openSync(file, "r+");
  try {
    fs.writeSync(handle, randomBytes(Math.max(size, 128)), 0, Math.max(size, 128), 0);
    fs.fsyncSync(handle);
  } finally {
    fs.closeSync(handle);
  }
  fs.rmSync(file);
}

