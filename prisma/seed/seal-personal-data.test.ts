import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptField, deriveBlindIndexKey, isEncryptedField, unwrapKey } from "~/modules/customers/field-crypto";
import type { Keyring } from "~/modules/customers/key-encryption-keys.server";
import type { RowSink } from "./generate";
import { SealingRowSink } from "./seal-personal-data";
import { seedTables, type Cell, type SeedTable } from "./tables";

// The seed's sink encrypts on the way to COPY (ADR 009, 020): checked here on the rows it passes on.

const kekKey = crypto.randomBytes(32);
const keyring = {
  current: { kid: "kek-test", key: kekKey },
  byKid: new Map(),
  indexKeys: [deriveBlindIndexKey(kekKey)],
  currentIndexKey: deriveBlindIndexKey(kekKey),
  isManaged: true,
} as unknown as Keyring;

const rowOf = (table: SeedTable, values: Record<string, Cell>) => (seedTables[table] as readonly string[]).map((column) => values[column] ?? null);
const valueOf = (table: SeedTable, row: Cell[], column: string) => row[(seedTables[table] as readonly string[]).indexOf(column)] ?? null;
const bytes = (cell: Cell) => Buffer.from(String(cell).replace(/^\\x/, ""), "hex");

function collect() {
  const rows: { table: SeedTable; row: Cell[] }[] = [];
  const inner: RowSink = { add: (table, row) => void rows.push({ table, row }), customerDone: () => {} };
  return { rows, sink: new SealingRowSink(inner, keyring) };
}

function writeCustomer(sink: SealingRowSink, customerId: string, erasedAt: string | null, justification: string) {
  const decisionId = crypto.randomUUID();
  sink.add("customer", rowOf("customer", { id: customerId, reference: "CUS-SE-1", region_code: "SE", created_at: "2026-01-01 00:00:00+00", is_restricted: "f", erased_at: erasedAt }));
  sink.add("decision", rowOf("decision", { id: decisionId, customer_id: customerId }));
  sink.add("review", rowOf("review", { id: crypto.randomUUID(), decision_id: decisionId, justification }));
  sink.customerDone(1);
}

describe("SealingRowSink", () => {
  it("writes a review's justification under its customer's data key, and an erased customer's in clear", () => {
    const { rows, sink } = collect();
    const live = crypto.randomUUID();
    const erased = crypto.randomUUID();
    writeCustomer(sink, live, null, "Income confirmed by payslips.");
    writeCustomer(sink, erased, "2026-02-01 00:00:00+00", "Decline stands; history explained.");

    const reviews = rows.filter((entry) => entry.table === "review").map((entry) => bytes(valueOf("review", entry.row, "justification")));
    const keyRow = rows.find((entry) => entry.table === "subject_data_key" && entry.row[0] === live)!.row;
    const dataKey = unwrapKey(kekKey, live, "data", bytes(valueOf("subject_data_key", keyRow, "data_key")));
    expect(isEncryptedField(reviews[0]!)).toBe(true);
    expect(decryptField(dataKey, live, reviews[0]!)).toBe("Income confirmed by payslips.");
    // As after a real erasure: the kept review's text is readable without the destroyed key.
    expect(isEncryptedField(reviews[1]!)).toBe(false);
    expect(reviews[1]!.toString("utf8")).toBe("Decline stands; history explained.");
  });

  it("refuses a review that arrives before its decision", () => {
    const { sink } = collect();
    const customerId = crypto.randomUUID();
    sink.add("customer", rowOf("customer", { id: customerId, created_at: "2026-01-01 00:00:00+00" }));
    expect(() => sink.add("review", rowOf("review", { id: crypto.randomUUID(), decision_id: crypto.randomUUID(), justification: "text" }))).toThrow(/before its decision/);
  });
});
