import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eventContentBytes, eventContentSha256, eventLeafBytes, eventLeafHash, type AuditEventFields } from "./event-document";
import { computeEventTag, parseEventTagKeys } from "./event-tag";
import { EVENT_COLUMN_COUNT, EventLeafWriter, type RawColumns } from "./event-leaf-writer";

// The verifier's byte-level leaf builder must produce exactly the leaf the published format defines
// (eventLeafBytes: canonical JSON of the leaf document, v2 or v1), for any text, any JSON and any time.

const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

/** The event's columns as PostgreSQL sends them in binary format (COPY … (FORMAT binary)). */
function binaryColumns(event: AuditEventFields, leaf: Buffer | null = null): RawColumns {
  const int8 = (value: number) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64BE(BigInt(value));
    return buffer;
  };
  const text = (value: string | null) => (value === null ? null : Buffer.from(value, "utf8"));
  const occurredAt = typeof event.occurredAt === "string" ? new Date(event.occurredAt) : event.occurredAt;
  const businessTime = typeof event.businessTime === "string" ? new Date(event.businessTime) : (event.businessTime ?? null);
  const values = [
    int8(Number(event.seq)),
    Buffer.from(event.id.replace(/-/g, ""), "hex"),
    int8((occurredAt.getTime() - POSTGRES_EPOCH_MS) * 1000),
    text(event.actorType),
    text(event.actorId),
    text(event.actorLabel),
    text(event.actorRole),
    text(event.action),
    text(event.subjectType),
    text(event.subjectId),
    text(event.regionCode),
    text(event.justification),
    event.changes === null ? null : Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(event.changes), "utf8")]),
    text(event.requestId),
    text(event.ipAddress),
    leaf,
    businessTime ? int8((businessTime.getTime() - POSTGRES_EPOCH_MS) * 1000) : null,
    text(event.tagKeyId ?? null),
    text(event.tag ?? null),
  ];
  // Every value in one buffer, as COPY delivers them.
  const buffer = Buffer.concat(values.filter((value): value is Buffer => value !== null));
  const columns: RawColumns = { buffers: new Array(EVENT_COLUMN_COUNT).fill(buffer), starts: new Int32Array(EVENT_COLUMN_COUNT), ends: new Int32Array(EVENT_COLUMN_COUNT) };
  let at = 0;
  values.forEach((value, column) => {
    columns.starts[column] = value === null ? -1 : at;
    columns.ends[column] = value === null ? -1 : at + value.length;
    at += value?.length ?? 0;
  });
  return columns;
}

const sample: AuditEventFields = {
  seq: 1207,
  id: "8a7c0f3e-1b2d-4c5e-8f90-a1b2c3d4e5f6",
  occurredAt: new Date("2026-11-28T09:14:03.271Z"),
  actorType: "staff",
  actorId: "7d3c5f0e-1111-4222-8333-944455556666",
  actorLabel: "compliance@attest.test",
  actorRole: "compliance_officer",
  action: "staff_user.updated",
  subjectType: "StaffUser",
  subjectId: "u-1",
  regionCode: "DE",
  justification: 'Quote " backslash \\ tab \t newline \n bell \u0007 del \u007f — ü 😀',
  changes: { before: { role: "auditor", n: 1.5e-7 }, after: { role: "admin", list: [1, "two", null, true, { z: 1, a: [] }] }, "é": 1, "\u0001": "x" },
  requestId: "req-1",
  ipAddress: "10.0.0.1",
};

const tagKey = parseEventTagKeys(Buffer.alloc(32, 3).toString("base64"), "test")[0]!;

/** The event as the app appends it today: leaf format v2, with its tag. */
function tagged(event: AuditEventFields): AuditEventFields {
  return { ...event, tagKeyId: tagKey.id, tag: computeEventTag(tagKey, eventContentSha256(event)) };
}

describe("EventLeafWriter", () => {
  it("writes the v2 content and leaf (envelope) bytes, with business time, escapes and nested JSON", () => {
    const event = tagged({ ...sample, businessTime: new Date("2025-02-03T04:05:06.789Z") });
    const writer = new EventLeafWriter();
    expect(Buffer.from(writer.contentBytes(binaryColumns(event))).toString("utf8")).toBe(eventContentBytes(event).toString("utf8"));
    expect(Buffer.from(writer.leafBytes(binaryColumns(event), Number(event.seq))).toString("utf8")).toBe(Buffer.concat([Buffer.from([0]), eventLeafBytes(event)]).toString("utf8"));
    expect(Buffer.from(writer.leafHashLatin1(binaryColumns(event)), "latin1")).toEqual(eventLeafHash(event));
    expect(Buffer.from(writer.contentSha256, "latin1")).toEqual(eventContentSha256(event));
    expect(Buffer.from(writer.leafHashAtLatin1(binaryColumns(event), 5), "latin1")).toEqual(eventLeafHash({ ...event, seq: 5 }));
  });

  it("writes the published v1 leaf bytes for an event appended before tags", () => {
    const writer = new EventLeafWriter();
    expect(Buffer.from(writer.leafBytes(binaryColumns(sample), Number(sample.seq))).toString("utf8")).toBe(Buffer.concat([Buffer.from([0]), eventLeafBytes(sample)]).toString("utf8"));
    expect(Buffer.from(writer.leafHashLatin1(binaryColumns(sample)), "latin1")).toEqual(eventLeafHash(sample));
  });

  it("writes nulls and recomputes a leaf at another sequence number, in both formats", () => {
    const bare = { ...sample, actorId: null, actorLabel: null, actorRole: null, subjectId: null, regionCode: null, justification: null, changes: null, requestId: null, ipAddress: null };
    const writer = new EventLeafWriter();
    for (const event of [bare, tagged(bare)]) {
      expect(Buffer.from(writer.leafHashLatin1(binaryColumns(event)), "latin1")).toEqual(eventLeafHash(event));
      expect(Buffer.from(writer.leafHashLatin1(binaryColumns(event), 9), "latin1")).toEqual(eventLeafHash({ ...event, seq: 9 }));
    }
  });

  it("matches eventLeafHash for arbitrary text, JSON and times", () => {
    const writer = new EventLeafWriter();
    const nullableText = fc.option(fc.string({ unit: "grapheme", maxLength: 40 }), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 1, max: 2 ** 40 }),
          id: fc.uuid(),
          occurredAt: fc.date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2199-12-31T23:59:59Z"), noInvalidDate: true }),
          actorType: fc.constantFrom("staff", "api_token", "system", "anonymous"),
          actorId: nullableText,
          actorLabel: nullableText,
          actorRole: nullableText,
          action: fc.string({ minLength: 1, maxLength: 30 }),
          subjectType: fc.string({ minLength: 1, maxLength: 20 }),
          subjectId: nullableText,
          regionCode: fc.option(fc.constantFrom("SE", "DE", "UK"), { nil: null }),
          justification: nullableText,
          changes: fc.option(fc.jsonValue({ noUnicodeString: false }).map((value) => JSON.parse(JSON.stringify(value)) as unknown), { nil: null }),
          requestId: nullableText,
          ipAddress: nullableText,
          businessTime: fc.option(fc.date({ min: new Date("1000-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }), { nil: null }),
          isTagged: fc.boolean(),
        }),
        ({ isTagged, ...event }) => {
          // PostgreSQL text cannot hold NUL; the database would have refused such an event.
          const fields = JSON.parse(JSON.stringify(event).replace(/\\u0000/g, "")) as AuditEventFields;
          fields.occurredAt = event.occurredAt;
          fields.businessTime = isTagged ? event.businessTime : null;
          const appended = isTagged ? tagged(fields) : fields;
          expect(Buffer.from(writer.leafHashLatin1(binaryColumns(appended)), "latin1")).toEqual(eventLeafHash(appended));
        },
      ),
      { numRuns: 500 },
    );
  });
});
