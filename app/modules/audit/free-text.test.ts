import { describe, expect, it } from "vitest";
import { separateFreeText } from "./ledger.server";

// Free text about a customer never enters the append-only ledger in clear (AuditEventInput.freeTextSubject).

const customerId = "8b0c7f4e-6d0b-4a43-9d7c-2f1b4a9c1e01";
const base = { action: "review.decided", subjectType: "Review", subjectId: "r1" } as const;

describe("separateFreeText", () => {
  it("keeps staff text about no customer in clear when no subject is named", () => {
    expect(separateFreeText({ ...base, justification: "token leaked in a CI log", changes: { a: 1 } })).toEqual({
      justification: "token leaked in a CI log",
      changes: { a: 1 },
      sealed: null,
    });
  });

  it("seals the justification and named free text under the customer, leaving a marker in clear", () => {
    const result = separateFreeText({
      ...base,
      justification: "Called Anna on +46 70 123",
      sealedText: { withdrawnRefusalReason: "Anna asked twice", empty: "  ", none: null },
      freeTextSubject: { customerId },
      changes: { before: { status: "claimed" } },
      personalData: { customerId, fields: { grounds: "moved house" } },
    });
    expect(result.justification).toBeNull();
    expect(result.changes).toEqual({ before: { status: "claimed" }, sealedFields: ["justification", "withdrawnRefusalReason"] });
    expect(result.sealed).toEqual({ customerId, fields: { grounds: "moved house", justification: "Called Anna on +46 70 123", withdrawnRefusalReason: "Anna asked twice" } });
    expect(JSON.stringify(result.changes)).not.toContain("Anna");
  });

  it("writes no free text at all while the requester is not identified", () => {
    const result = separateFreeText({ ...base, justification: "Letter from anna@example.se", freeTextSubject: { customerId: null } });
    expect(result).toEqual({ justification: null, changes: { withheldFields: ["justification"] }, sealed: null });
  });

  it("adds no marker when there is no text, and refuses ambiguous input", () => {
    expect(separateFreeText({ ...base, justification: null, freeTextSubject: { customerId } })).toEqual({ justification: null, changes: null, sealed: null });
    expect(() => separateFreeText({ ...base, sealedText: { reason: "x" } })).toThrow(/freeTextSubject/);
    expect(() =>
      separateFreeText({ ...base, justification: "text", freeTextSubject: { customerId }, personalData: { customerId: "another", fields: {} } }),
    ).toThrow(/same customer/);
    expect(() =>
      separateFreeText({ ...base, justification: "text", freeTextSubject: { customerId }, personalData: { customerId, fields: { justification: "x" } } }),
    ).toThrow(/clashes/);
  });
});
