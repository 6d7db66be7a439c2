import { db, type Tx } from "~/utils/db.server";
import { env } from "~/utils/env.server";
import { logger } from "~/utils/logger.server";
import { CHECKPOINT_FORMAT, checkpointBody } from "./checkpoint-statement";
import { appendAuditEvent, systemAuditContext } from "./ledger.server";
import { signDetached } from "./openpgp";
import { activeSigningKeyRow, loadedSigningKeys, registerSigningKeys } from "./signing-keys.server";
import { committedTreeSize, treeRoot } from "./tree.server";

// Signed checkpoints (DESIGN.md §6): the tree size, root hash, UTC time and signing key, as canonical
// JSON signed with an OpenPGP detached signature. One instance signs at a time (advisory lock); the
// others skip. Checkpoints are not audit events themselves — they are statements about the events.

export const CHECKPOINT_LOCK = 7_240_331; // pg advisory lock key: "one checkpoint signer at a time"

export class NoSigningKeyError extends Error {}

/** Activates the first available key when none is active (first start), recording it in the ledger. */
export async function ensureActiveSigningKey() {
  await registerSigningKeys();
  const active = await activeSigningKeyRow();
  if (active) return active;
  const keys = await loadedSigningKeys();
  const first = [...keys.values()][0];
  if (!first) throw new NoSigningKeyError("no checkpoint signing key is configured (ATTEST_SIGNING_KEY or ATTEST_SIGNING_KEY_FILE)");
  return db.$transaction(async (tx) => {
    const again = await activeSigningKeyRow(tx);
    if (again) return again;
    const key = await tx.signingKey.update({ where: { fingerprint: first.fingerprint }, data: { activatedAt: new Date() } });
    await appendAuditEvent(tx, systemAuditContext, {
      action: "signing_key.activated",
      subjectType: "SigningKey",
      subjectId: key.id,
      changes: { after: { fingerprint: key.fingerprint }, reason: "first key of this ledger" },
    });
    return key;
  });
}

/** Signs a checkpoint of the current committed tree when it has grown; returns it, or null. */
export async function createCheckpoint(options: { force?: boolean } = {}) {
  const keys = await loadedSigningKeys();
  return db.$transaction(async (tx: Tx) => {
    // Always a synchronous commit: flushing the checkpoint flushes every event it covers (ADR 004).
    await tx.$executeRaw`SET LOCAL synchronous_commit = on`;
    const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${CHECKPOINT_LOCK}) AS locked`;
    if (!lock?.locked) return null;
    const treeSize = await committedTreeSize(tx);
    const latest = await tx.checkpoint.findFirst({ orderBy: { treeSize: "desc" } });
    if (latest && Number(latest.treeSize) >= treeSize && !options.force) return null;
    if (latest && Number(latest.treeSize) === treeSize) return latest;
    const keyRow = await activeSigningKeyRow(tx);
    if (!keyRow) throw new NoSigningKeyError("no signing key is active; start the app once or approve a rotation");
    const signer = keys.get(keyRow.fingerprint);
    if (!signer) throw new NoSigningKeyError(`the active signing key ${keyRow.fingerprint} is not available to this instance`);
    const root = await treeRoot(tx, treeSize);
    const createdAt = new Date();
    const body = checkpointBody({
      format: CHECKPOINT_FORMAT,
      treeSize,
      rootHash: root.toString("hex"),
      timestamp: createdAt.toISOString(),
      keyFingerprint: keyRow.fingerprint,
    });
    const signature = await signDetached(signer.privateKey, body);
    return tx.checkpoint.create({
      data: { treeSize: BigInt(treeSize), rootHash: new Uint8Array(root), createdAt, signingKeyId: keyRow.id, body, signature },
    });
  });
}

/**
 * The background signer: a checkpoint at least every CHECKPOINT_INTERVAL_MS (≤ 1 s) while events
 * arrive. Errors are logged, never fatal.
 */
export function startCheckpointWorker() {
  let isRunning = false;
  let lastSize = -1;
  const tick = async () => {
    if (isRunning) return;
    isRunning = true;
    try {
      const size = await committedTreeSize(db);
      if (size !== lastSize) {
        const checkpoint = await createCheckpoint();
        if (checkpoint) lastSize = Number(checkpoint.treeSize);
      }
    } catch (error) {
      logger.error({ err: error }, "checkpoint signing failed");
    } finally {
      isRunning = false;
    }
  };
  const interval = setInterval(() => void tick(), env.CHECKPOINT_INTERVAL_MS);
  interval.unref();
  return () => clearInterval(interval);
}

export async function latestCheckpoint() {
  return db.checkpoint.findFirst({ orderBy: { treeSize: "desc" }, include: { signingKey: { select: { fingerprint: true } } } });
}
