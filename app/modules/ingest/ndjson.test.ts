import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeLineError, fieldPath, parseNdjson, PayloadTooLargeError, readBodyWithin } from "./ndjson";
import { DecisionLineSchema, FraudOutcomeLineSchema } from "./schema";

const line = {
  externalId: "ENG-SE-1",
  customerReference: "CUS-SE-1",
  region: "SE",
  kind: "credit",
  outcome: "declined",
  modelName: "credit-gbm",
  modelVersion: "4.2.0",
  score: 0.2,
  amount: 1299.5,
  currency: "SEK",
  decidedAt: "2026-11-28T09:15:00+01:00",
  features: { age: 40 },
  reasonCodes: ["CH01", { code: "AF01", contribution: 0.3 }],
};

describe("NDJSON batches", () => {
  it("parses each line with its number, skipping blank lines and CRLF endings", () => {
    const text = `${JSON.stringify(line)}\r\n\n${JSON.stringify({ ...line, externalId: "ENG-SE-2" })}\n`;
    const { lines, parsed, errors } = parseNdjson(text, DecisionLineSchema, 10);
    expect(errors).toEqual([]);
    expect(lines).toBe(2);
    expect(parsed.map((entry) => [entry.line, entry.value.externalId])).toEqual([[1, "ENG-SE-1"], [3, "ENG-SE-2"]]);
    expect(parsed[0]!.value.amount).toBe("1299.5");
    expect(parsed[0]!.value.decidedAt.toISOString()).toBe("2026-11-28T08:15:00.000Z");
    expect(parsed[0]!.value.reasonCodes).toEqual([{ code: "CH01", contribution: null }, { code: "AF01", contribution: 0.3 }]);
  });

  it("names the line and the field, in bracket notation for array items", () => {
    const text = [{ ...line, outcome: "fraud_hold" }, { ...line, reasonCodes: ["CH01", { code: "AF01" }] }, { ...line, reasonCodes: ["CH01", "CH01"] }]
      .map((entry) => JSON.stringify(entry))
      .join("\n");
    const { errors } = parseNdjson(text, DecisionLineSchema, 10);
    const messages = errors.map(describeLineError);
    expect(messages).toContain('line 1: outcome "fraud_hold" is only an outcome of kind "fraud" (got kind "credit")');
    expect(errors.some((error) => error.line === 2 && error.field?.startsWith("reasonCodes[1]"))).toBe(true);
    expect(messages).toContain('line 3: reasonCodes[1] "CH01" is listed twice');
    expect(fieldPath(["reasonCodes", 2, "code"])).toBe("reasonCodes[2].code");
  });

  it("refuses a cleared fraud outcome that claims a loss", () => {
    const { errors } = parseNdjson(
      JSON.stringify({ externalId: "F1", decisionExternalId: "D1", outcome: "cleared", reportedAt: "2026-11-01T00:00:00Z", lossAmount: "10.00" }),
      FraudOutcomeLineSchema,
      10,
    );
    expect(errors.map(describeLineError)).toEqual(["line 1: lossAmount must be empty or 0 when the outcome is cleared"]);
  });

  it("never repeats the text of a broken line (it may hold personal data), and ignores a byte-order mark", () => {
    const { errors } = parseNdjson('{"fullName": Anna Svensson}\n', DecisionLineSchema, 10);
    expect(errors).toHaveLength(1);
    expect(describeLineError(errors[0]!)).toMatch(/^line 1: is not valid JSON/);
    expect(describeLineError(errors[0]!)).not.toContain("Anna");
    const withBom = parseNdjson(`\uFEFF${JSON.stringify(line)}`, DecisionLineSchema, 10);
    expect(withBom.errors).toEqual([]);
  });

  it("stops at the line limit with a 413-class error", () => {
    const text = Array.from({ length: 4 }, () => "{}").join("\n");
    expect(() => parseNdjson(text, DecisionLineSchema, 3)).toThrow(PayloadTooLargeError);
  });

  it("never throws on arbitrary text: every non-blank line either parses or has an error naming it", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.json()), { maxLength: 20 }), (rows) => {
        const text = rows.join("\n");
        const { lines, parsed, errors } = parseNdjson(text, DecisionLineSchema, 100);
        const failedLines = new Set(errors.map((error) => error.line));
        expect(parsed.length + failedLines.size).toBe(lines);
        for (const error of errors) expect(error.line).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it("reads a body within the limit and refuses one over it, with or without Content-Length", async () => {
    const small = new Request("http://x/", { method: "POST", body: "abc" });
    expect((await readBodyWithin(small, 3)).toString()).toBe("abc");
    await expect(readBodyWithin(new Request("http://x/", { method: "POST", body: "abcd" }), 3)).rejects.toThrow(PayloadTooLargeError);
    const declared = new Request("http://x/", { method: "POST", body: "a", headers: { "Content-Length": "999" } });
    await expect(readBodyWithin(declared, 3)).rejects.toThrow(/the body is 999 bytes/);
  });
});
