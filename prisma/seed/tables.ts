// The tables the seed fills and the columns it writes, in foreign-key order: a batch is written table
// by table in this order, so every row's parents are already there. Columns with database defaults
// are written explicitly too, because a default such as now() would make two runs differ.

export const seedTables = {
  rule_set: ["id", "region_code", "name", "created_at", "next_version"],
  rule_set_version: [
    "id", "rule_set_id", "region_code", "version", "state", "parameters", "change_note", "author_id", "created_at",
    "submitted_at", "approver_id", "approved_at", "effective_from", "retired_at", "backtest", "submitted_by_id",
  ],
  customer: ["id", "reference", "region_code", "created_at", "is_restricted", "erased_at"],
  // Written by SealingRowSink (prisma/seed/seal-personal-data.ts): keys wrapped, personal data encrypted.
  subject_data_key: [
    "subject_id", "subject_kind", "kek_id", "data_key", "ledger_key", "created_at", "data_key_destroyed_at",
    "ledger_key_destroyed_at",
  ],
  customer_personal_data: [
    "customer_id", "full_name", "email", "phone", "date_of_birth", "street", "postal_code", "city", "country",
    "updated_at", "email_index", "phone_index",
  ],
  decision: [
    "id", "external_id", "customer_id", "kind", "region_code", "model_name", "model_version", "score", "outcome",
    "amount", "currency", "features", "rule_set_version_id", "decided_at", "ingested_at", "review_state",
  ],
  decision_reason: ["decision_id", "position", "code", "contribution"],
  repayment_outcome: ["id", "external_id", "decision_id", "status", "observed_at", "outstanding_amount"],
  fraud_outcome: ["id", "external_id", "decision_id", "outcome", "reported_at", "loss_amount"],
  privacy_request: [
    "id", "reference", "type", "customer_id", "decision_id", "region_code", "regime", "channel", "received_at",
    "clock_started_at", "due_at", "extended_due_at", "extension_reason", "identity_state", "identity_evidence",
    "state", "assignee_id", "refusal_reason", "completed_at", "created_at", "updated_at", "version",
    "identity_information_received_at",
  ],
  privacy_request_note: ["id", "request_id", "author_id", "body", "created_at"],
  privacy_request_pause: ["id", "request_id", "reason", "started_at", "ended_at", "started_by_id"],
  review: [
    "id", "decision_id", "region_code", "trigger", "status", "priority", "opened_at", "due_at", "claimed_by_id",
    "claimed_at", "reviewer_id", "verdict", "verdict_reason", "justification", "decided_at", "approver_id",
    "approved_at", "closed_at", "privacy_request_id", "version",
  ],
} as const satisfies Record<string, readonly string[]>;

export type SeedTable = keyof typeof seedTables;

export const seedTableOrder = Object.keys(seedTables) as SeedTable[];

/** Tables that grow with --decisions; their indexes are rebuilt after a large load. */
export const bulkTables: readonly SeedTable[] = [
  "customer",
  "subject_data_key",
  "customer_personal_data",
  "decision",
  "decision_reason",
  "repayment_outcome",
  "fraud_outcome",
  "privacy_request",
  "privacy_request_note",
  "review",
];

/**
 * Domain tables emptied by --reset. The ledger (audit_event, checkpoint) refuses TRUNCATE by trigger
 * and is left alone, as are staff accounts (upserted instead) and evidence packs.
 */
export const resetTables = [
  "decision_notice",
  "retained_record",
  "privacy_artefact",
  "privacy_request_pause",
  "review",
  "privacy_request_note",
  "privacy_request",
  "fraud_outcome",
  "repayment_outcome",
  "decision_reason",
  "decision",
  "subject_data_key",
  "customer_personal_data",
  "customer",
  "rule_set_version",
  "rule_set",
] as const;

/** A value in PostgreSQL's text input form; null is SQL NULL. */
export type Cell = string | null;
