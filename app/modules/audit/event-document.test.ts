import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";
import { eventDocument, eventLeafTemplate, type AuditEventFields } from "./event-document";

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
}) as fc.Arbitrary<AuditEventFields & { seq: number; occurredAt: Date }>;

describe("the leaf template", () => {
  it("splices time and sequence into exactly the canonical JSON of the whole event", () => {
    fc.assert(
      fc.property(eventArbitrary, (event) => {
        const { seq, occurredAt, ...rest } = event;
        const template = eventLeafTemplate(rest);
        const spliced = `${template.prefix}${occurredAt.toISOString()}${template.middle}${seq}${template.suffix}`;
        expect(spliced).toBe(canonicalJson(eventDocument(event)));
      }),
      { numRuns: 300 },
    );
  });
});
