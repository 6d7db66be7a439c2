import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { env, isDemoMode } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { parseEventTagKeys, type EventTagKey } from "./event-tag";

// Where the event tag keys come from (docs/ledger.md "Authenticated events"): ATTEST_LEDGER_HMAC_KEY
// and/or ATTEST_LEDGER_HMAC_KEY_FILE, like the signing keys provisioned by operations and never written
// to the database. In demo mode, with neither set, one is generated into the signing-key directory.

export const DEMO_TAG_KEY_FILE = "ledger-hmac.key";

export class NoEventTagKeyError extends Error {}

let loaded: EventTagKey[] | null = null;

/** Writes a new key unless the file exists already (another process won the race: use theirs). */
function generateKeyFile(file: string) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    logger.warn(`no ledger event tag key was configured: generated ${file} (demo mode). Production must provide ATTEST_LEDGER_HMAC_KEY or ATTEST_LEDGER_HMAC_KEY_FILE.`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

function loadKeys(): EventTagKey[] {
  const keys: EventTagKey[] = [];
  if (env.ATTEST_LEDGER_HMAC_KEY) keys.push(...parseEventTagKeys(env.ATTEST_LEDGER_HMAC_KEY, "ATTEST_LEDGER_HMAC_KEY"));
  let file = env.ATTEST_LEDGER_HMAC_KEY_FILE;
  if (!file && keys.length === 0 && isDemoMode) {
    file = path.resolve(env.ATTEST_SIGNING_KEYS_DIR, DEMO_TAG_KEY_FILE);
    if (!fs.existsSync(file)) generateKeyFile(file);
  }
  if (file) keys.push(...parseEventTagKeys(fs.readFileSync(file, "utf8"), file));
  return keys;
}

/** Every configured key: the first tags new events, all of them verify. */
export function eventTagKeys(): EventTagKey[] {
  loaded ??= loadKeys();
  return loaded;
}

export function currentEventTagKey(): EventTagKey {
  const key = eventTagKeys()[0];
  if (!key) throw new NoEventTagKeyError("no ledger event tag key is configured: set ATTEST_LEDGER_HMAC_KEY or ATTEST_LEDGER_HMAC_KEY_FILE (docs/ledger.md)");
  return key;
}
