import { accessibleSql, SqlParameters, type SqlColumn } from "~/modules/access/accessible-sql.server";
import type { Actor } from "~/modules/access/actor.server";
import { regionScope } from "~/modules/access/region-scope.server";
import { PAGE_SIZE } from "~/components/data-table/url-state";
import type { DecisionListQuery, DecisionSortKey } from "./schema";

// One explorer page as ONE statement: the page of decisions (keyset on (sort column, id)), each row's
// customer reference and principal reason. Prisma sends the page and the details as separate queries
// and adds its own per-query work (1–3 ms against a sub-millisecond statement, issue 4 §9); this is
// the same SQL a person would write, sent once. The conditions are those of `filtersOf` (which the
// CSV export still uses through Prisma): the viewer's access from the CASL ability (accessibleSql,
// failing closed on shapes it does not know), their region filter, then the validated filters.

/** Decision's own non-null columns, as access conditions and filters may name them. */
export const decisionSqlColumns: Readonly<Record<string, SqlColumn>> = {
  id: { sql: "d.id", type: "uuid" },
  externalId: { sql: "d.external_id", type: "text" },
  customerId: { sql: "d.customer_id", type: "uuid" },
  kind: { sql: "d.kind", type: '"DecisionKind"' },
  regionCode: { sql: "d.region_code", type: "text" },
  modelName: { sql: "d.model_name", type: "text" },
  modelVersion: { sql: "d.model_version", type: "text" },
  score: { sql: "d.score", type: "float8" },
  outcome: { sql: "d.outcome", type: '"DecisionOutcome"' },
  amount: { sql: "d.amount", type: "numeric" },
  currency: { sql: "d.currency", type: "text" },
  decidedAt: { sql: "d.decided_at", type: "timestamptz" },
  ingestedAt: { sql: "d.ingested_at", type: "timestamptz" },
  reviewState: { sql: "d.review_state", type: '"ReviewState"' },
};

const sortColumns: Record<DecisionSortKey, string> = { decidedAt: "decided_at", score: "score", amount: "amount" };

export type SortValue = Date | number | string;
export interface PageCursor {
  value: SortValue;
  id: string;
}

/** A page row as the statement returns it (amount as its exact numeric(14,2) text). */
export interface DecisionPageRow {
  id: string;
  externalId: string;
  decidedAt: Date;
  regionCode: string;
  kind: string;
  outcome: string;
  score: number;
  amount: string;
  currency: string;
  modelName: string;
  modelVersion: string;
  reviewState: string;
  reference: string | null;
  principal: string | null;
}

/** The WHERE of a page: access, region filter, filters and — past a cursor — the keyset bound. */
function conditionsOf(actor: Actor, query: DecisionListQuery, parameters: SqlParameters) {
  const p = (value: unknown, field: keyof typeof decisionSqlColumns) => parameters.add(value, decisionSqlColumns[field]!.type);
  const conditions = [accessibleSql(actor.ability, "read", "Decision", decisionSqlColumns, parameters)];
  conditions.push(parameters.in("d.region_code", regionScope(actor, query.region).regionCode.in, "text"));
  // Customers who restricted processing are left out (GDPR Art. 18, ADR 007; filtersOf's unrestrictedSubjectFilter).
  conditions.push("NOT EXISTS (SELECT 1 FROM customer rc WHERE rc.id = d.customer_id AND rc.is_restricted)");
  if (query.kind) conditions.push(`d.kind = ${p(query.kind, "kind")}`);
  if (query.outcome) conditions.push(`d.outcome = ${p(query.outcome, "outcome")}`);
  if (query.review) conditions.push(`d.review_state = ${p(query.review, "reviewState")}`);
  if (query.ruleSet === "not_in_force") conditions.push("d.rule_set_version_not_in_force");
  if (query.ageBand) conditions.push(`rollup_age_band(d.features) = ${parameters.add(query.ageBand, "text")}`);
  if (query.fraudOutcome) conditions.push(`EXISTS (SELECT 1 FROM fraud_outcome fo WHERE fo.decision_id = d.id AND fo.outcome::text = ${parameters.add(query.fraudOutcome, "text")})`);
  if (query.delinquency) conditions.push(`EXISTS (SELECT 1 FROM repayment_outcome ro WHERE ro.decision_id = d.id AND ro.status::text = ANY(${parameters.add(query.delinquency === "30" ? ["late_30", "default_90"] : ["default_90"], "text[]")}))`);
  if (query.model) {
    conditions.push(`d.model_version = ${p(query.model.version, "modelVersion")}`);
    if (query.model.name) conditions.push(`d.model_name = ${p(query.model.name, "modelName")}`);
  }
  if (query.customer) conditions.push(`d.customer_id = ${p(query.customer, "customerId")}`);
  if (query.customerRef) conditions.push(`d.customer_id IN (SELECT c.id FROM customer c WHERE c.reference = ${parameters.add(query.customerRef, "text")})`);
  if (query.scoreMin !== undefined) conditions.push(`d.score >= ${p(query.scoreMin, "score")}`);
  if (query.scoreMax !== undefined) conditions.push(`d.score <= ${p(query.scoreMax, "score")}`);
  if (query.amountMin !== undefined) conditions.push(`d.amount >= ${p(query.amountMin, "amount")}`);
  if (query.amountMax !== undefined) conditions.push(`d.amount <= ${p(query.amountMax, "amount")}`);
  if (query.reason) conditions.push(`EXISTS (SELECT 1 FROM decision_reason r WHERE r.decision_id = d.id AND r.code = ${parameters.add(query.reason, "text")})`);
  if (query.from) conditions.push(`d.decided_at >= ${p(query.from, "decidedAt")}`);
  // `to` is a calendar day: include all of it.
  if (query.to) conditions.push(`d.decided_at < ${p(new Date(query.to.getTime() + 86_400_000), "decidedAt")}`);
  return conditions;
}

/**
 * The statement for one page walked in `direction`, PAGE_SIZE + 1 rows (the extra one tells whether
 * another page follows). Past a cursor: `column ≤ value AND (column < value OR id < id)` rather than a
 * plain OR, because PostgreSQL turns only the first conjunct into an index bound; with the OR alone it
 * filters every row from the start of the index, and a deep page took seconds instead of milliseconds.
 */
export function decisionPageStatement(
  actor: Actor,
  query: DecisionListQuery,
  direction: "asc" | "desc",
  options: { cursor?: PageCursor; canReadReference: boolean },
) {
  const parameters = new SqlParameters();
  const conditions = conditionsOf(actor, query, parameters);
  const column = sortColumns[query.sort];
  const order = direction === "desc" ? "DESC" : "ASC";
  if (options.cursor) {
    const [bound, strict] = direction === "desc" ? ["<=", "<"] : [">=", ">"];
    const value = parameters.add(options.cursor.value, decisionSqlColumns[query.sort]!.type);
    const id = parameters.add(options.cursor.id, "uuid");
    conditions.push(`d.${column} ${bound} ${value} AND (d.${column} ${strict} ${value} OR d.id ${strict} ${id})`);
  }
  const reference = options.canReadReference ? "(SELECT c.reference FROM customer c WHERE c.id = p.customer_id)" : "NULL::text";
  const text = `SELECT p.id::text AS id, p.external_id AS "externalId", p.decided_at AS "decidedAt", p.region_code AS "regionCode",
  p.kind::text AS kind, p.outcome::text AS outcome, p.score, p.amount::text AS amount, p.currency,
  p.model_name AS "modelName", p.model_version AS "modelVersion", p.review_state::text AS "reviewState",
  ${reference} AS reference,
  (SELECT r.code FROM decision_reason r WHERE r.decision_id = p.id ORDER BY r.position LIMIT 1) AS principal
FROM (
  SELECT d.id, d.customer_id, d.external_id, d.decided_at, d.region_code, d.kind, d.outcome, d.score, d.amount, d.currency,
    d.model_name, d.model_version, d.review_state
  FROM decision d
  WHERE ${conditions.join("\n    AND ")}
  ORDER BY d.${column} ${order}, d.id ${order}
  LIMIT ${PAGE_SIZE + 1}
) p
ORDER BY p.${column} ${order}, p.id ${order}`;
  return { text, values: parameters.values };
}
