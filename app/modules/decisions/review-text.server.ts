import type { Tx } from "~/utils/db.server";
import { isEncryptedField, type StoredBytes } from "~/modules/customers/field-crypto";
import type { DbClient } from "~/modules/customers/subject-keys.server";
import { decryptTexts, encryptText, type TextSubject } from "~/modules/customers/subject-text.server";

// A review's free text (ADR 020): the reviewer's justification and the second approver's reason for
// sending a verdict back. Reviewers quote customers in it, so it is stored as ciphertext under the data
// key of the decision's customer, like the free text of a privacy request. A review outlives its
// customer's erasure (reviews-and-contests retention), so the erasure stores the text it scrubbed of
// the customer's personal data as plain UTF-8 on the kept review: readable without the destroyed key,
// and holding nothing of theirs. What staff write on a review after the customer's erasure (a contest of
// a kept decision) goes under the contest request's own requester key, or, with no request, stays plain.
// Callers decide who may read it; nothing here checks abilities.

export interface ReviewTextOwner {
  /** The decision's customer. */
  customerId: string;
  privacyRequestId: string | null;
}

const erasedCustomers = async (client: DbClient, customerIds: readonly string[]) => {
  if (customerIds.length === 0) return new Set<string>();
  const rows = await (client as Tx).customer.findMany({ where: { id: { in: [...new Set(customerIds)] }, erasedAt: { not: null } }, select: { id: true } });
  return new Set(rows.map((row) => row.id));
};

/** Whose key encrypts new text on a review: its customer's, or after their erasure the contest's requester key (null: stored plain). */
export async function reviewTextSubject(client: DbClient, owner: ReviewTextOwner): Promise<TextSubject | null> {
  if (!(await erasedCustomers(client, [owner.customerId])).has(owner.customerId)) return { id: owner.customerId, kind: "customer" };
  return owner.privacyRequestId ? { id: owner.privacyRequestId, kind: "requester" } : null;
}

/** Encrypts a review's free text under the key of whom it is about (reviewTextSubject). */
export async function encryptReviewText(client: DbClient, owner: ReviewTextOwner, text: string | null | undefined): Promise<StoredBytes | null> {
  if (text === null || text === undefined) return null;
  const subject = await reviewTextSubject(client, owner);
  return subject ? encryptText(client, subject, text) : Buffer.from(text, "utf8");
}

/**
 * Decrypts reviews' stored free text, many at once (one customer and one key look-up). Plain text — what
 * an erasure left on a kept review, or a row `npm run data:encrypt` has not reached yet — reads as it is;
 * ciphertext whose key was destroyed reads as null.
 */
export async function decryptReviewTexts(client: DbClient, items: readonly { owner: ReviewTextOwner; value: Uint8Array | null }[]): Promise<(string | null)[]> {
  const encrypted = items.filter((item) => item.value && isEncryptedField(item.value));
  const erased = await erasedCustomers(client, encrypted.map((item) => item.owner.customerId));
  const subjectOf = (owner: ReviewTextOwner) => (erased.has(owner.customerId) ? owner.privacyRequestId : owner.customerId);
  const texts = await decryptTexts(
    client,
    encrypted.flatMap((item) => {
      const subjectId = subjectOf(item.owner);
      return subjectId ? [{ subjectId, value: item.value }] : [];
    }),
  );
  let next = 0;
  return items.map((item) => {
    if (!item.value) return null;
    if (!isEncryptedField(item.value)) return Buffer.from(item.value).toString("utf8");
    return subjectOf(item.owner) ? (texts[next++] ?? null) : null;
  });
}

export async function decryptReviewText(client: DbClient, owner: ReviewTextOwner, value: Uint8Array | null) {
  return (await decryptReviewTexts(client, [{ owner, value }]))[0] ?? null;
}

/** Both free-text fields of many reviews, decrypted: `[justification, approvalRejectedReason]` per review. */
export async function decryptReviewFields(
  client: DbClient,
  reviews: readonly { owner: ReviewTextOwner; justification: Uint8Array | null; approvalRejectedReason?: Uint8Array | null }[],
) {
  const texts = await decryptReviewTexts(
    client,
    reviews.flatMap((review) => [
      { owner: review.owner, value: review.justification },
      { owner: review.owner, value: review.approvalRejectedReason ?? null },
    ]),
  );
  return reviews.map((_, index) => ({ justification: texts[index * 2] ?? null, approvalRejectedReason: texts[index * 2 + 1] ?? null }));
}
