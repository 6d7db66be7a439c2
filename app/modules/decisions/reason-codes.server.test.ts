import { describe, expect, it } from "vitest";
import { parsePolicyText } from "~/utils/policy-file.server";
import {
  ReasonCodeCatalogueSchema,
  findReasonCode,
  getCustomerText,
  reasonCodeCategories,
  reasonCodes,
} from "./reason-codes.server";

describe("reason-code catalogue", () => {
  it("loads policies/reason-codes.yaml with codes in every category", () => {
    expect(reasonCodes.length).toBeGreaterThanOrEqual(22);
    const categories = new Set(reasonCodes.map((reason) => reason.category));
    expect([...categories].sort()).toEqual([...reasonCodeCategories].sort());
  });

  it("never discloses a fraud reason to the customer", () => {
    const fraudCodes = reasonCodes.filter((reason) => reason.category === "fraud");
    expect(fraudCodes.length).toBeGreaterThan(0);
    for (const reason of fraudCodes) {
      expect(reason.disclosable, reason.code).toBe(false);
      // The notice text must not differ per signal, or it would reveal which one fired.
      expect(getCustomerText(reason, "en")).toBe(getCustomerText(fraudCodes[0]!, "en"));
    }
  });

  it("gives a customer text in English, Swedish and German for every code", () => {
    for (const reason of reasonCodes) {
      for (const language of ["en", "sv", "de"] as const) {
        expect(getCustomerText(reason, language).length, `${reason.code} ${language}`).toBeGreaterThan(10);
      }
    }
    expect(findReasonCode("CH01")?.category).toBe("credit_history");
    expect(findReasonCode("XX99")).toBeUndefined();
  });

  it("refuses a catalogue that would disclose a fraud reason, naming the line", () => {
    const text = [
      "version: 1",
      "neutralFraudText: { en: Sorry, sv: Tyvärr, de: Leider }",
      "codes:",
      "  - code: FR01",
      "    category: fraud",
      "    description: Device risk",
      "    customerText: { en: Your device looks risky, sv: Din enhet, de: Ihr Gerät }",
      "    disclosable: true",
      "    regulations: [GDPR Art. 22]",
      "    features: [deviceRisk]",
    ].join("\n");
    expect(() => parsePolicyText("reason-codes.yaml", text, ReasonCodeCatalogueSchema)).toThrow(
      /line 8: codes\.0\.disclosable: fraud reasons must not be disclosable/,
    );
  });
});
