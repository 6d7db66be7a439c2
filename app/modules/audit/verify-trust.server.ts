import fs from "node:fs";
import path from "node:path";
import { env } from "~/utils/env.server";
import { eventTagKeys } from "./event-tag-keys.server";
import { parseTrustedFingerprints } from "./key-trust";
import type { TrustedCheckpointInput } from "./trusted-checkpoint";

// What the verifier trusts from outside the database, as this process is configured
// (docs/ledger.md "Trusted keys"): pinned fingerprints, the event tag keys, the pending-event bound and
// the newest checkpoint in the external sink directory.

export interface VerifierConfiguration {
  pinnedFingerprints: string[];
  /** Where the pins came from, for the report. */
  pinSource: string;
  tagKeys: { id: string; secret: Buffer }[];
  maxPendingMs: number;
  trustedCheckpoints: TrustedCheckpointInput[];
}

/** The directory signed checkpoints are published to (ATTEST_CHECKPOINT_SINK_DIR, default ./data/checkpoints). */
export function checkpointSinkDir(): string | null {
  return env.ATTEST_CHECKPOINT_SINK_DIR === "off" || env.ATTEST_CHECKPOINT_SINK_DIR === "" ? null : path.resolve(env.ATTEST_CHECKPOINT_SINK_DIR);
}

/** The newest checkpoint published to the sink directory, as a trusted-checkpoint input. */
export function newestSinkCheckpoint(): TrustedCheckpointInput | null {
  const dir = checkpointSinkDir();
  if (!dir || !fs.existsSync(dir)) return null;
  const newest = fs
    .readdirSync(dir)
    .filter((name) => /^checkpoint-\d{12}\.json$/.test(name))
    .sort()
    .at(-1);
  return newest ? { source: path.join(dir, newest), text: fs.readFileSync(path.join(dir, newest), "utf8") } : null;
}

export async function pinnedFingerprints(): Promise<{ fingerprints: string[]; source: string }> {
  const pins: string[] = [];
  const sources: string[] = [];
  if (env.ATTEST_TRUSTED_KEYS) {
    pins.push(...parseTrustedFingerprints(env.ATTEST_TRUSTED_KEYS, "ATTEST_TRUSTED_KEYS"));
    sources.push("ATTEST_TRUSTED_KEYS");
  }
  if (env.ATTEST_TRUSTED_KEYS_FILE) {
    pins.push(...parseTrustedFingerprints(fs.readFileSync(env.ATTEST_TRUSTED_KEYS_FILE, "utf8"), env.ATTEST_TRUSTED_KEYS_FILE));
    sources.push(env.ATTEST_TRUSTED_KEYS_FILE);
  }
  if (pins.length > 0) return { fingerprints: pins, source: sources.join(", ") };
  // No pins configured: the keys this process holds privately are outside the database too. (Loaded
  // only then: the signing keys bring the app's database client, which `npm run ledger:verify` loads
  // after the verification.)
  const { loadedSigningKeys } = await import("./signing-keys.server");
  const held = [...(await loadedSigningKeys()).keys()];
  return { fingerprints: held, source: held.length > 0 ? "the signing keys this process holds (ATTEST_TRUSTED_KEYS is not set)" : "none" };
}

export async function verifierConfiguration(options: { trustedCheckpointFiles?: string[]; useSink?: boolean } = {}): Promise<VerifierConfiguration> {
  const pins = await pinnedFingerprints();
  const trustedCheckpoints: TrustedCheckpointInput[] = (options.trustedCheckpointFiles ?? []).map((file) => ({ source: file, text: fs.readFileSync(file, "utf8") }));
  const sink = options.useSink === false ? null : newestSinkCheckpoint();
  if (sink) trustedCheckpoints.push(sink);
  return {
    pinnedFingerprints: pins.fingerprints,
    pinSource: pins.source,
    tagKeys: eventTagKeys(),
    maxPendingMs: env.ATTEST_LEDGER_MAX_PENDING_SECONDS * 1000,
    trustedCheckpoints,
  };
}
