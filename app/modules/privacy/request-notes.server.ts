import { type Tx } from "~/utils/db.server";
import { requireRecordPermission, type Actor } from "~/modules/access/actor.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";
import { encryptRequestText } from "~/modules/customers/subject-text.server";
import { PrivacyRequestRefusedError, handlersOf, type RequestRow, requireOpen, updateVersioned, event } from "./request-workflow.server";

// Who works a request, and the notes written on it (encrypted under the subject's data key).

export async function assign(tx: Tx, actor: Actor, row: RequestRow, input: { assigneeId: string }) {
  requireRecordPermission(actor, "assign", "PrivacyRequest", row);
  requireOpen(row);
  const handler = (await handlersOf(tx, row.regionCode)).find((candidate) => candidate.id === input.assigneeId);
  if (!handler) throw new PrivacyRequestRefusedError(`choose an active DPO or compliance officer who covers ${row.regionCode}`, "assigneeId", 422);
  if (row.assigneeId === handler.id) throw new PrivacyRequestRefusedError(`${handler.displayName} already works this request`, "assigneeId");
  await updateVersioned(tx, row, row.version, { assigneeId: handler.id });
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.assigned", { changes: { before: { assigneeId: row.assigneeId }, after: { assigneeId: handler.id } } }));
  return `Assigned to ${handler.displayName}.`;
}

export async function addNote(tx: Tx, actor: Actor, row: RequestRow, input: { body: string }) {
  requireRecordPermission(actor, "update", "PrivacyRequest", row);
  const note = await tx.privacyRequestNote.create({ data: { requestId: row.id, authorId: actor.user.id, body: await encryptRequestText(tx, row, input.body) }, select: { id: true } });
  await updateVersioned(tx, row, row.version, {});
  // The note's text may name the subject, so the event carries its id, not its body.
  await appendAuditEvent(tx, actor.audit, event(row, "privacy_request.note_added", { changes: { noteId: note.id } }));
  return "Note added.";
}
