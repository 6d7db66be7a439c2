import type { Tx } from "~/utils/db.server";
import type { Actor } from "~/modules/access/actor.server";

// TODO(merge): use completePrivacyRequest
// Marks a request completed inside the caller's transaction (the erasure and the access export close
// their request). The privacy request workflow's completePrivacyRequest(tx, actor, requestId, { note })
// replaces this at merge; the caller's own audit event records the completion.
export async function completeRequestLocally(tx: Tx, actor: Actor, requestId: string, now: Date, note: string) {
  await tx.privacyRequest.update({ where: { id: requestId }, data: { state: "completed", completedAt: now, completedById: actor.user.id, pendingAction: null } });
  await tx.privacyRequestNote.create({ data: { requestId, authorId: actor.user.id, body: note, createdAt: now } });
}
