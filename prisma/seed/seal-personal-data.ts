import { blindIndex, encryptField, newDataKey, wrapKey } from "~/modules/customers/field-crypto";
import type { Keyring } from "~/modules/customers/key-encryption-keys.server";
import type { RowSink } from "./generate";
import { seedTables, type Cell, type SeedTable } from "./tables";

// The generator writes personal data as it would read; this sink encrypts it on its way to the
// database (ADR 009), in Node, so COPY stays one stream: each customer gets a data key and a ledger key
// (wrapped by the key-encryption key), their identity and contact columns and the free text of their
// privacy requests and reviews' justifications become ciphertext under the data key, and e-mail and
// phone get blind indexes.
// An erased customer's row is a tombstone: their keys were destroyed with the erasure.

const column = (table: SeedTable, name: string) => {
  const index = (seedTables[table] as readonly string[]).indexOf(name);
  if (index < 0) throw new Error(`${table}.${name} is not a seed column (prisma/seed/tables.ts)`);
  return index;
};

const personalColumns = ["full_name", "email", "phone", "date_of_birth", "street", "postal_code", "city"].map((name) => column("customer_personal_data", name));
const at = {
  customerId: column("customer", "id"),
  customerCreatedAt: column("customer", "created_at"),
  customerErasedAt: column("customer", "erased_at"),
  personalCustomerId: column("customer_personal_data", "customer_id"),
  email: column("customer_personal_data", "email"),
  phone: column("customer_personal_data", "phone"),
  emailIndex: column("customer_personal_data", "email_index"),
  phoneIndex: column("customer_personal_data", "phone_index"),
  requestId: column("privacy_request", "id"),
  requestCustomerId: column("privacy_request", "customer_id"),
  requestTexts: ["extension_reason", "refusal_reason"].map((name) => column("privacy_request", name)),
  noteRequestId: column("privacy_request_note", "request_id"),
  noteBody: column("privacy_request_note", "body"),
  pauseRequestId: column("privacy_request_pause", "request_id"),
  pauseReason: column("privacy_request_pause", "reason"),
  decisionId: column("decision", "id"),
  decisionCustomerId: column("decision", "customer_id"),
  reviewDecisionId: column("review", "decision_id"),
  reviewJustification: column("review", "justification"),
};

/** Bytes as PostgreSQL's text input of bytea ("\x…"), which COPY and the array insert both accept. */
const asBytea = (bytes: Buffer | null) => (bytes ? `\\x${bytes.toString("hex")}` : null);

export class SealingRowSink implements RowSink {
  private readonly dataKeys = new Map<string, Buffer>();
  private readonly customerOfRequest = new Map<string, string>();
  private readonly customerOfDecision = new Map<string, string>();
  private readonly erasedCustomers = new Set<string>();

  constructor(
    private readonly inner: RowSink,
    private readonly keyring: Keyring,
  ) {}

  add(table: SeedTable, row: Cell[]) {
    if (table === "customer") return this.addCustomer(row);
    if (table === "customer_personal_data") return this.inner.add(table, this.sealPersonalData(row));
    if (table === "privacy_request") {
      const requestId = row[at.requestId]!;
      const customerId = row[at.requestCustomerId];
      if (customerId) this.customerOfRequest.set(requestId, customerId);
      return this.inner.add(table, this.sealColumns(row, customerId ?? null, at.requestTexts));
    }
    if (table === "privacy_request_note") return this.inner.add(table, this.sealColumns(row, this.customerOfRequest.get(row[at.noteRequestId]!) ?? null, [at.noteBody]));
    if (table === "privacy_request_pause") return this.inner.add(table, this.sealColumns(row, this.customerOfRequest.get(row[at.pauseRequestId]!) ?? null, [at.pauseReason]));
    if (table === "decision") this.customerOfDecision.set(row[at.decisionId]!, row[at.decisionCustomerId]!);
    if (table === "review") return this.inner.add(table, this.sealReview(row));
    this.inner.add(table, row);
  }

  customerDone(decisionCount: number) {
    // One customer's rows arrive together: their keys are not needed once the next one starts.
    this.dataKeys.clear();
    this.customerOfRequest.clear();
    this.customerOfDecision.clear();
    this.erasedCustomers.clear();
    return this.inner.customerDone(decisionCount);
  }

  private addCustomer(row: Cell[]) {
    const customerId = row[at.customerId]!;
    const erasedAt = row[at.customerErasedAt];
    this.inner.add("customer", row);
    const dataKey = newDataKey();
    this.dataKeys.set(customerId, dataKey);
    if (erasedAt) {
      this.erasedCustomers.add(customerId);
      // As after a real erasure: what was written about them stays as ciphertext nobody can read.
      this.inner.add("subject_data_key", [customerId, "customer", null, null, null, row[at.customerCreatedAt]!, erasedAt, erasedAt]);
      return;
    }
    const kek = this.keyring.current;
    this.inner.add("subject_data_key", [
      customerId,
      "customer",
      kek.kid,
      asBytea(wrapKey(kek.key, customerId, "data", dataKey)),
      asBytea(wrapKey(kek.key, customerId, "ledger", newDataKey())),
      row[at.customerCreatedAt]!,
      null,
      null,
    ]);
  }

  private keyOf(customerId: string) {
    const key = this.dataKeys.get(customerId);
    if (!key) throw new Error(`customer ${customerId} has no data key in this batch (rows out of order)`);
    return key;
  }

  private sealPersonalData(row: Cell[]) {
    const customerId = row[at.personalCustomerId]!;
    const key = this.keyOf(customerId);
    const sealed = [...row];
    sealed[at.emailIndex] = asBytea(blindIndex(this.keyring.currentIndexKey, "email", row[at.email]));
    sealed[at.phoneIndex] = asBytea(blindIndex(this.keyring.currentIndexKey, "phone", row[at.phone]));
    for (const index of personalColumns) sealed[index] = asBytea(encryptField(key, customerId, row[index]!));
    return sealed;
  }

  /**
   * A review's justification under its customer's data key (ADR 020); an erased customer's kept review
   * holds, as after a real erasure, its text in clear (the generator's texts name nobody).
   */
  private sealReview(row: Cell[]) {
    const text = row[at.reviewJustification];
    if (text === null || text === undefined) return row;
    const customerId = this.customerOfDecision.get(row[at.reviewDecisionId]!);
    if (!customerId) throw new Error(`review of decision ${row[at.reviewDecisionId]} arrived before its decision (rows out of order)`);
    const sealed = [...row];
    sealed[at.reviewJustification] = asBytea(this.erasedCustomers.has(customerId) ? Buffer.from(text, "utf8") : encryptField(this.keyOf(customerId), customerId, text));
    return sealed;
  }

  private sealColumns(row: Cell[], customerId: string | null, indexes: number[]) {
    if (indexes.every((index) => row[index] === null)) return row;
    if (!customerId) throw new Error("the seed writes free text only on requests matched to a customer");
    const key = this.keyOf(customerId);
    const sealed = [...row];
    for (const index of indexes) if (row[index] !== null) sealed[index] = asBytea(encryptField(key, customerId, row[index]!));
    return sealed;
  }
}
