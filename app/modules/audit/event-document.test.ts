import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";
import { eventContent, eventContentSha256, eventEnvelope, eventLeafBytes, eventLeafDocuments, eventLeafTemplate, type AuditEventFields } from "./event-document";
import { computeEventTag, EventTagChecker, eventTagKeyId, parseEventTagKeys } from "./event-tag";

// The database completes each leaf from this template (migration …_ledger_sequence_at_commit); the
// verifier recomputes it from scratch. Both must produce the same bytes for any event.

const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 4 }),
  object: fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
})).value;

const nullable = (arbitrary: fc.Arbitrary<string>) => fc.option(arbitrary, { nil: null });

const eventArbitrary = fc.record({
  seq: fc.integer({ min: 1, max: 2 ** 40 }),
  id: fc.uuid(),
  occurredAt: fc.date({ min: new Date("2000-01-01"), max: new Date("2999-12-31"), noInvalidDate: true }),
  actorType: fc.constantFrom("staff", "api_token", "system", "anonymous"),
  actorId: nullable(fc.string()),
  actorLabel: nullable(fc.string()),
  actorRole: nullable(fc.string()),
  action: fc.string({ minLength: 1 }),
  subjectType: fc.string({ minLength: 1 }),
  subjectId: nullable(fc.string()),
  regionCode: nullable(fc.constantFrom("SE", "DE", "UK")),
  justification: nullable(fc.string()),
  changes: fc.oneof(fc.constant(null), fc.dictionary(fc.string(), json, { maxKeys: 5 })),
  requestId: nullable(fc.string()),
  ipAddress: nullable(fc.string()),
  businessTime: fc.option(fc.date({ min: new Date("1900-01-01"), max: new Date("2999-12-31"), noInvalidDate: true }), { nil: null }),
}) as fc.Arbitrary<AuditEventFields & { seq: number; occurredAt: Date }>;

const tagKey = parseEventTagKeys(Buffer.alloc(32, 7).toString("base64"), "test")[0]!;

describe("the leaf template", () => {
  it("splices time and sequence into exactly the canonical JSON of the v2 leaf (the envelope)", () => {
    fc.assert(
      fc.property(eventArbitrary, (event) => {
        const contentSha256 = eventContentSha256(event);
        const tag = { kid: tagKey.id, mac: computeEventTag(tagKey, contentSha256) };
        const template = eventLeafTemplate(contentSha256, tag);
        const spliced = `${template.prefix}${event.occurredAt.toISOString()}${template.middle}${event.seq}${template.suffix}`;
        const tagged = { ...event, tagKeyId: tag.kid, tag: tag.mac };
        expect(spliced).toBe(canonicalJson(eventEnvelope(tagged)));
        expect(Buffer.from(spliced)).toEqual(eventLeafBytes(tagged));
      }),
      { numRuns: 300 },
    );
  });
});

describe("leaf format v2", () => {
  const event = {
    seq: 42,
    id: "8a7c0f3e-1b2d-4c5e-8f90-a1b2c3d4e5f6",
    occurredAt: "2026-11-28T09:14:03.271Z",
    actorType: "staff",
    actorId: "7d3c5f0e-1111-4222-8333-944455556666",
    actorLabel: "compliance@attest.test",
    actorRole: "compliance_officer",
    action: "review.decided",
    subjectType: "Review",
    subjectId: "r-1",
    regionCode: "SE",
    justification: null,
    changes: { after: { verdict: "upheld" } },
    requestId: "req-1",
    ipAddress: "10.0.0.1",
    businessTime: "2025-03-14T10:00:00.000Z",
  };

  it("hashes the content on its own and names that hash, the time, the position and the tag in the leaf", () => {
    const contentSha256 = eventContentSha256(event);
    const mac = computeEventTag(tagKey, contentSha256);
    const documents = eventLeafDocuments({ ...event, tagKeyId: tagKey.id, tag: mac });
    expect(documents.content).toEqual(eventContent(event));
    expect(canonicalJson(documents.content)).toBe(
      '{"action":"review.decided","actor":{"id":"7d3c5f0e-1111-4222-8333-944455556666","label":"compliance@attest.test","role":"compliance_officer","type":"staff"},' +
        '"businessTime":"2025-03-14T10:00:00.000Z","changes":{"after":{"verdict":"upheld"}},"id":"8a7c0f3e-1b2d-4c5e-8f90-a1b2c3d4e5f6","ipAddress":"10.0.0.1",' +
        '"justification":null,"regionCode":"SE","requestId":"req-1","subject":{"id":"r-1","type":"Review"}}',
    );
    expect(canonicalJson(documents.leaf)).toBe(
      `{"content":"${contentSha256.toString("hex")}","occurredAt":"2026-11-28T09:14:03.271Z","seq":42,"tag":{"kid":"${tagKey.id}","mac":"${mac}"},"v":2}`,
    );
  });

  it("tags with HMAC-SHA-256 of the content hash, and the verifier's fast HMAC agrees", () => {
    const contentSha256 = eventContentSha256(event);
    const expected = computeEventTag(tagKey, contentSha256);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    const checker = new EventTagChecker([tagKey]);
    expect(checker.tagHex(tagKey.id, contentSha256)).toBe(expected);
    expect(checker.tagHex(tagKey.id, contentSha256.toString("latin1"))).toBe(expected);
    // RFC 4231 test case 2 (HMAC-SHA-256 itself), and the fast path for a key longer than the block.
    expect(computeEventTag({ id: "x", secret: Buffer.from("Jefe") }, Buffer.from("what do ya want for nothing?"))).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const longKey = { id: "long", secret: Buffer.alloc(100, 9) };
    expect(new EventTagChecker([longKey]).tagHex("long", contentSha256)).toBe(computeEventTag(longKey, contentSha256));
  });

  it("checks a stored tag in place: the right key and tag pass, any other key, byte or length does not", () => {
    const contentSha256 = eventContentSha256(event);
    const otherKey = parseEventTagKeys(Buffer.alloc(32, 8).toString("base64"), "test")[0]!;
    const checker = new EventTagChecker([tagKey, otherKey]);
    // Key id and tag inside a larger buffer, as they arrive from a COPY stream.
    const stored = (kid: string, mac: string) => {
      const buffer = Buffer.from(`..${kid}..${mac}..`, "latin1");
      return [buffer, 2, 2 + kid.length, buffer, 4 + kid.length, 4 + kid.length + mac.length] as const;
    };
    const check = (kid: string, mac: string) => checker.check(...stored(kid, mac), contentSha256.toString("latin1"));
    const mac = computeEventTag(tagKey, contentSha256);
    expect(check(tagKey.id, mac)).toBeNull();
    expect(check(tagKey.id, mac)).toBeNull();
    expect(check(otherKey.id, computeEventTag(otherKey, contentSha256))).toBeNull();
    expect(check(otherKey.id, mac)).toBe("mismatch");
    expect(check(tagKey.id, `${mac.slice(0, 63)}${mac[63] === "0" ? "1" : "0"}`)).toBe("mismatch");
    expect(check(tagKey.id, mac.toUpperCase())).toBe(mac === mac.toUpperCase() ? null : "mismatch");
    expect(check(tagKey.id, mac.slice(0, 62))).toBe("mismatch");
    expect(check("0123456789abcdef", mac)).toBe("unknown_key");
    expect(checker.check(Buffer.alloc(0), -1, -1, Buffer.from(mac), 0, 64, contentSha256.toString("latin1"))).toBe("unknown_key");
  });

  it("names a tag key after its secret and refuses short or malformed keys", () => {
    expect(tagKey.id).toBe(eventTagKeyId(Buffer.alloc(32, 7)));
    expect(tagKey.id).toMatch(/^[0-9a-f]{16}$/);
    expect(() => parseEventTagKeys(Buffer.alloc(16).toString("base64"), "ATTEST_LEDGER_HMAC_KEY")).toThrow(/ATTEST_LEDGER_HMAC_KEY: key 1 has 16 bytes/);
    expect(() => parseEventTagKeys("not base64!", "file")).toThrow(/file: key 1 is not base64/);
    const keys = parseEventTagKeys(`# current\n${Buffer.alloc(32, 1).toString("base64")}\n${Buffer.alloc(32, 2).toString("base64")} # retired\n`, "file");
    expect(keys.map((key) => key.id)).toEqual([eventTagKeyId(Buffer.alloc(32, 1)), eventTagKeyId(Buffer.alloc(32, 2))]);
  });
});
