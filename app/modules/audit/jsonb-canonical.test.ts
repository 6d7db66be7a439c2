import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";
import { writeCanonicalJsonb } from "./jsonb-canonical";

// PostgreSQL's jsonb text output as it looks on the wire: keys ordered by length then bytes, ", " and
// ": " between members. (Numbers here are written as JavaScript writes them; PostgreSQL's own numeric
// forms of non-integers take the general path, which the verifier's integration tests exercise.)
function jsonbText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jsonbText).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort((a, b) => Buffer.byteLength(a) - Buffer.byteLength(b) || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((key) => `${JSON.stringify(key)}: ${jsonbText((value as Record<string, unknown>)[key])}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

function canonicalise(text: string) {
  const src = Buffer.from(text, "utf8");
  const out = Buffer.alloc(src.length + 16);
  const end = writeCanonicalJsonb(src, 0, src.length, out, 0);
  return end < 0 ? null : out.toString("utf8", 0, end);
}

describe("canonical JSON from jsonb text", () => {
  it("removes jsonb's spaces and re-sorts its members by UTF-16 order, not by length", () => {
    expect(canonicalise('{"role": "admin", "email": "a@b.c", "n": 12, "list": [1, -3, true, null, {"z": [], "a": {}}]}')).toBe(
      '{"email":"a@b.c","list":[1,-3,true,null,{"a":{},"z":[]}],"n":12,"role":"admin"}',
    );
    expect(canonicalise('{"a": 1, "a!": 2, "a ": 3}')).toBe('{"a":1,"a ":3,"a!":2}');
  });

  it("leaves to the general canonicaliser what it cannot prove canonical", () => {
    for (const text of ['{"n": 1.50}', '{"n": 0.00000015}', '{"n": -0}', '{"n": 12345678901234567890}', '{"é": 1}', '{"a\\"b": 1}', '{"n": 1e21}']) {
      expect(canonicalise(text), text).toBeNull();
    }
  });

  it("agrees with canonicalJson wherever it answers, and answers for plain audit changes", () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), (value) => {
        const plain = JSON.parse(JSON.stringify(value)) as unknown;
        const fast = canonicalise(jsonbText(plain));
        if (fast !== null) expect(fast).toBe(canonicalJson(plain));
      }),
      { numRuns: 2000 },
    );
    expect(canonicalise(jsonbText({ before: { reviewState: "queued", note: 'say "hi"\n' }, after: { reviewState: "upheld", count: 3 } }))).not.toBeNull();
  });
});
