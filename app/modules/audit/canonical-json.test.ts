import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";

describe("RFC 8785 canonical JSON", () => {
  it("sorts members by UTF-16 code units and drops insignificant whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], "€": 1, "\u0080": 2, A: 3 })).toBe('{"A":3,"a":[true,null,"x"],"b":1,"\u0080":2,"€":1}');
  });

  it("writes numbers as ECMAScript does (RFC 8785 §3.2.2.3 examples)", () => {
    expect(canonicalJson([1e21, 1e-7, 0.000001, -0, 333333333.3333333, 4.5, 2e-3])).toBe("[1e+21,1e-7,0.000001,0,333333333.3333333,4.5,0.002]");
  });

  it("escapes strings minimally", () => {
    expect(canonicalJson({ s: 'line\nbreak "quoted" \u001f é' })).toBe('{"s":"line\\nbreak \\"quoted\\" \\u001f é"}');
  });

  it("refuses values with no JSON form, naming where they are", () => {
    expect(() => canonicalJson({ at: new Date(0) })).toThrow("$.at");
    expect(() => canonicalJson({ n: [1, Number.NaN] })).toThrow("$.n[1]");
    expect(() => canonicalJson({ big: 1n })).toThrow("$.big");
  });
});
