import { readPersonalDataForSystem } from "~/modules/customers/personal-data.server";
import { decryptRequestTexts } from "~/modules/customers/subject-text.server";
import { db, type Tx } from "~/utils/db.server";

// Personal data and free text are stored encrypted (ADR 009): tests read what is held through the same
// functions the app uses, so an assertion on a stored value still reads the value.

/** A privacy request's stored free text and contact details, decrypted (null where none, or erased). */
export async function storedRequestText(requestId: string) {
  const row = await db.privacyRequest.findUniqueOrThrow({
    where: { id: requestId },
    select: { id: true, customerId: true, details: true, requesterName: true, requesterEmail: true, refusalReason: true, extensionReason: true },
  });
  const [details, requesterName, requesterEmail, refusalReason, extensionReason] = await decryptRequestTexts(
    db,
    [row.details, row.requesterName, row.requesterEmail, row.refusalReason, row.extensionReason].map((value) => ({ request: row, value })),
  );
  return { details, requesterName, requesterEmail, refusalReason, extensionReason };
}

/** The bodies of a request's notes, decrypted, oldest first. */
export async function storedNoteBodies(requestId: string) {
  const request = await db.privacyRequest.findUniqueOrThrow({ where: { id: requestId }, select: { id: true, customerId: true } });
  const notes = await db.privacyRequestNote.findMany({ where: { requestId }, orderBy: { createdAt: "asc" }, select: { body: true } });
  return (await decryptRequestTexts(db, notes.map((note) => ({ request, value: note.body })))).map((body) => body ?? "");
}

/** A customer's personal data as held, decrypted; null when none is held. */
export function storedPersonalData(customerId: string) {
  return db.$transaction((tx: Tx) => readPersonalDataForSystem(tx, customerId, "test"));
}
