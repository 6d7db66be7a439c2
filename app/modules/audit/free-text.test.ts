import { describe, expect, it } from "vitest";
import { freeTextNote } from "./free-text";

describe("freeTextNote", () => {
  it("says why an event's justification is empty", () => {
    expect(freeTextNote({ sealedFields: ["justification"] })).toMatch(/^sealed under the customer's key/);
    expect(freeTextNote({ withheldFields: ["justification", "reason"] })).toMatch(/^not in the ledger/);
    expect(freeTextNote({ sealedFields: ["reason"] })).toBe("—");
    expect(freeTextNote(null)).toBe("—");
  });
});
