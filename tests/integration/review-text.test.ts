import { afterAll, describe, expect, it } from "vitest";
import { isEncryptedField } from "~/modules/customers/field-crypto";
import { destroySubjectKeys } from "~/modules/customers/subject-keys.server";
import { decryptReviewText, encryptReviewText, reviewTextSubject } from "~/modules/decisions/review-text.server";
import { db, type Tx } from "~/utils/db.server";
import { createErasureSubject, deleteErasureSubject } from "../fixtures/erasure-subject";
import { personas } from "../fixtures/staff";

// ADR 020: a review's free text is ciphertext under its customer's data key; after their erasure, what
// staff write on a kept decision's contest review goes under the contest's requester key, or stays
// plain with no request; what the erasure left in clear reads as it is.

const created: string[] = [];
afterAll(async () => {
  for (const customerId of created) await deleteErasureSubject(db, customerId);
});

describe("review free text", () => {
  it("is sealed under the customer's key while they exist, and under the contest's own key after their erasure", async () => {
    const subject = await createErasureSubject(db, { tag: "V", staffId: personas.dpo.id, withErasureRequest: false });
    created.push(subject.ids.customer);
    const owner = { customerId: subject.ids.customer, privacyRequestId: subject.ids.requests.access };
    const text = `Spoke to ${subject.personal.fullName} on ${subject.personal.phone}`;

    const before = (await encryptReviewText(db, owner, text))!;
    expect(isEncryptedField(before)).toBe(true);
    expect(before.toString("latin1")).not.toContain(subject.personal.fullName);
    expect(await reviewTextSubject(db, owner)).toEqual({ id: subject.ids.customer, kind: "customer" });
    expect(await decryptReviewText(db, owner, before)).toBe(text);

    // The erasure: the customer's key destroyed, the customer marked erased.
    await db.$transaction(async (tx) => {
      await destroySubjectKeys(tx as unknown as Tx, subject.ids.customer, { data: true, ledger: true });
      await tx.customer.update({ where: { id: subject.ids.customer }, data: { erasedAt: new Date() } });
    });
    expect(await decryptReviewText(db, owner, before)).toBeNull();

    expect(await reviewTextSubject(db, owner)).toEqual({ id: subject.ids.requests.access, kind: "requester" });
    const after = (await encryptReviewText(db, owner, "The customer's new evidence was reviewed"))!;
    expect(isEncryptedField(after)).toBe(true);
    expect(await decryptReviewText(db, owner, after)).toBe("The customer's new evidence was reviewed");

    // No request to tie it to: nobody's key is left, the text is stored as written.
    const noRequest = { customerId: subject.ids.customer, privacyRequestId: null };
    const plain = (await encryptReviewText(db, noRequest, "Sampled for quality; decision stands"))!;
    expect(isEncryptedField(plain)).toBe(false);
    expect(await decryptReviewText(db, noRequest, plain)).toBe("Sampled for quality; decision stands");
    // What an erasure left in clear reads as it is.
    expect(await decryptReviewText(db, owner, Buffer.from("Spoke to [erased] on [erased]", "utf8"))).toBe("Spoke to [erased] on [erased]");
  });
});
