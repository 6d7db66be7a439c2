import { z } from "zod";
import { db } from "~/utils/db.server";
import { isDemoMode } from "~/utils/env.server";
import { forbidden, notFound, type Actor } from "~/modules/access/actor.server";
import { CHECKPOINT_LOCK, createCheckpoint, ledgerOrigin } from "./checkpoints.server";
import { KEY_TRANSITION_FORMAT, keyTransitionBody } from "./key-trust";
import { signDetached } from "./openpgp";
import { appendAuditEvent } from "./ledger.server";
import { activeSigningKeyRow, loadedSigningKeys, registerSigningKeys, writeGeneratedKey } from "./signing-keys.server";

// Signing-key rotation, four-eyes (DESIGN.md §5, §6): one administrator asks to move checkpoint
// signing to a staged key, a different administrator approves; both steps are in the ledger. The old
// key is retired at the instant the new one is activated, so every checkpoint has exactly one valid key.

export const RequestRotationSchema = z.object({
  intent: z.literal("request"),
  toFingerprint: z.string().trim().min(1, "Choose the key to rotate to"),
  justification: z.string().trim().min(10, "Say why the key is rotated (at least 10 characters)").max(500),
});

export const DecideRotationSchema = z.object({
  intent: z.enum(["approve", "reject"]),
  rotationId: z.string().uuid(),
  justification: z.string().trim().min(5, "Say why (at least 5 characters)").max(500),
});

export class RotationRefusedError extends Error {}

export async function listSigningKeys(actor: Actor) {
  if (!actor.ability.can("read", "SigningKey")) throw forbidden("read", "SigningKey");
  await registerSigningKeys();
  const loaded = await loadedSigningKeys();
  const [keys, rotations] = await Promise.all([
    db.signingKey.findMany({ orderBy: { createdAt: "asc" }, include: { _count: { select: { checkpoints: true } } } }),
    db.signingKeyRotation.findMany({
      orderBy: { requestedAt: "desc" },
      take: 20,
      include: { fromKey: { select: { fingerprint: true } }, toKey: { select: { fingerprint: true } } },
    }),
  ]);
  const staff = await db.staffUser.findMany({
    where: { id: { in: rotations.flatMap((rotation) => [rotation.requestedById, rotation.decidedById].filter((id): id is string => Boolean(id))) } },
    select: { id: true, displayName: true },
  });
  const nameOf = (id: string | null) => staff.find((member) => member.id === id)?.displayName ?? null;
  return {
    canGenerate: isDemoMode,
    keys: keys.map((key) => ({
      id: key.id,
      fingerprint: key.fingerprint,
      algorithm: key.algorithm,
      createdAt: key.createdAt,
      activatedAt: key.activatedAt,
      retiredAt: key.retiredAt,
      status: key.retiredAt ? "retired" : key.activatedAt ? "active" : "staged",
      checkpoints: key._count.checkpoints,
      isAvailableHere: loaded.has(key.fingerprint),
    })),
    rotations: rotations.map((rotation) => ({
      id: rotation.id,
      state: rotation.state,
      from: rotation.fromKey?.fingerprint ?? null,
      to: rotation.toKey.fingerprint,
      justification: rotation.justification,
      requestedAt: rotation.requestedAt,
      requestedBy: nameOf(rotation.requestedById),
      requestedById: rotation.requestedById,
      decidedAt: rotation.decidedAt,
      decidedBy: nameOf(rotation.decidedById),
    })),
  };
}

/** Demo mode only: stages a freshly generated key (production keys are provisioned by operations). */
export async function stageGeneratedKey(actor: Actor) {
  if (!actor.ability.can("rotate", "SigningKey")) throw forbidden("rotate", "SigningKey");
  if (!isDemoMode) throw new RotationRefusedError("keys are provisioned by operations in production (ATTEST_SIGNING_KEYS_DIR); generation is for demos only");
  await writeGeneratedKey();
  await registerSigningKeys();
}

export async function requestRotation(actor: Actor, input: z.infer<typeof RequestRotationSchema>) {
  if (!actor.ability.can("rotate", "SigningKey")) throw forbidden("rotate", "SigningKey");
  const loaded = await loadedSigningKeys();
  return db.$transaction(async (tx) => {
    const target = await tx.signingKey.findUnique({ where: { fingerprint: input.toFingerprint } });
    if (!target) throw new RotationRefusedError(`no signing key has the fingerprint ${input.toFingerprint}`);
    if (target.activatedAt || target.retiredAt) throw new RotationRefusedError("only a staged key (never active) can become the new signing key");
    if (!loaded.has(target.fingerprint)) throw new RotationRefusedError("the private half of that key is not available to this instance");
    const pending = await tx.signingKeyRotation.findFirst({ where: { state: "pending" } });
    if (pending) throw new RotationRefusedError("another rotation is already waiting for approval");
    const current = await activeSigningKeyRow(tx);
    const rotation = await tx.signingKeyRotation.create({
      data: { fromKeyId: current?.id ?? null, toKeyId: target.id, justification: input.justification, requestedById: actor.user.id },
    });
    await appendAuditEvent(tx, actor.audit, {
      action: "signing_key.rotation_requested",
      subjectType: "SigningKey",
      subjectId: target.id,
      justification: input.justification,
      changes: { from: current?.fingerprint ?? null, to: target.fingerprint, rotationId: rotation.id },
    });
    return rotation;
  });
}

export async function decideRotation(actor: Actor, input: z.infer<typeof DecideRotationSchema>) {
  if (!actor.ability.can("approve", "SigningKey")) throw forbidden("approve", "SigningKey");
  const result = await db.$transaction(async (tx) => {
    // No checkpoint is being signed while the active key changes (same lock as the signer).
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHECKPOINT_LOCK})`;
    const rotation = await tx.signingKeyRotation.findUnique({ where: { id: input.rotationId }, include: { toKey: true } });
    if (!rotation) throw notFound("That rotation request");
    if (rotation.state !== "pending") throw new RotationRefusedError(`this rotation was already ${rotation.state}`);
    // Four-eyes: the approver is never the requester (DESIGN.md §5).
    if (rotation.requestedById === actor.user.id) {
      throw forbidden("approve", "SigningKey", "a second administrator must decide a rotation you requested");
    }
    const now = new Date();
    if (input.intent === "reject") {
      await tx.signingKeyRotation.update({ where: { id: rotation.id }, data: { state: "rejected", decidedById: actor.user.id, decidedAt: now } });
      await appendAuditEvent(tx, actor.audit, {
        action: "signing_key.rotation_rejected",
        subjectType: "SigningKey",
        subjectId: rotation.toKeyId,
        justification: input.justification,
        changes: { rotationId: rotation.id },
      });
      return { isApproved: false };
    }
    const current = await activeSigningKeyRow(tx);
    // The outgoing key introduces its successor with a signed key-transition statement: verifiers that
    // pinned the first key follow the chain from it, and trust no key the database merely lists.
    let transition: { body: string; signature: string } | null = null;
    if (current) {
      const outgoing = (await loadedSigningKeys()).get(current.fingerprint);
      if (!outgoing) throw new RotationRefusedError(`the outgoing key ${current.fingerprint} must sign the transition, but this instance does not hold it`);
      const body = keyTransitionBody({ format: KEY_TRANSITION_FORMAT, origin: await ledgerOrigin(tx), fromFingerprint: current.fingerprint, toFingerprint: rotation.toKey.fingerprint, effectiveAt: now.toISOString() });
      transition = { body, signature: await signDetached(outgoing.privateKey, body) };
    }
    // Retires the outgoing key and activates the new one at the same instant, with the transition.
    await tx.$executeRaw`SELECT attest_activate_signing_key(${rotation.toKeyId}::uuid, ${now}::timestamptz, ${transition?.body ?? null}, ${transition?.signature ?? null})`;
    await tx.signingKeyRotation.update({ where: { id: rotation.id }, data: { state: "approved", decidedById: actor.user.id, decidedAt: now } });
    await appendAuditEvent(tx, actor.audit, {
      action: "signing_key.rotation_approved",
      subjectType: "SigningKey",
      subjectId: rotation.toKeyId,
      justification: input.justification,
      changes: { before: { activeKey: current?.fingerprint ?? null }, after: { activeKey: rotation.toKey.fingerprint }, rotationId: rotation.id, transition },
    });
    return { isApproved: true };
  });
  // The first checkpoint under the new key covers the approval itself.
  if (result.isApproved) await createCheckpoint();
  return result;
}
