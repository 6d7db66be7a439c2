import type pg from "pg";
import { encodeCursor } from "../../app/components/data-table/url-state";

// The explorer pages the benchmark times, and the same SQL sent by `pg` directly: the database work of
// a loader whose filter-bar choices are cached (decisions.server.ts), without CASL, zod or shaping.

type Params = Record<string, string>;

const deepOffset = 500_000;

async function cursorAt(pool: pg.Pool, regions: string[], column: "decided_at" | "score", order: "asc" | "desc", offset: number) {
  const { rows } = await pool.query<{ value: Date | number; id: string }>(
    `SELECT ${column} AS value, id FROM decision WHERE region_code = ANY($1) ORDER BY ${column} ${order}, id ${order} OFFSET $2 LIMIT 1`,
    [regions, offset],
  );
  const row = rows[0]!;
  return encodeCursor([row.value instanceof Date ? row.value.toISOString() : row.value, row.id]);
}

export const explorerScenarios = {
  first: { label: "first page, newest first", params: async (): Promise<Params> => ({}) },
  deep: {
    label: `page at row ${deepOffset.toLocaleString("en")}, newest first`,
    params: async (pool: pg.Pool, regions: string[]): Promise<Params> => ({ after: await cursorAt(pool, regions, "decided_at", "desc", deepOffset) }),
  },
  filtered: {
    label: "SE declined credit with reason CH01, score 0.2–0.6, newest first",
    params: async (): Promise<Params> => ({ region: "SE", kind: "credit", outcome: "declined", reason: "CH01", scoreMin: "0.2", scoreMax: "0.6" }),
  },
  "score-deep": {
    label: `sorted by score, page at row ${(deepOffset / 2).toLocaleString("en")}`,
    params: async (pool: pg.Pool, regions: string[]): Promise<Params> => ({ sort: "score", order: "asc", after: await cursorAt(pool, regions, "score", "asc", deepOffset / 2) }),
  },
} as const;

export type ScenarioName = keyof typeof explorerScenarios;

function decodeCursor(cursor: string) {
  return JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [string | number, string];
}

/**
 * The statement the loader sends for one page (decision-page.server.ts): the page of decisions with
 * each row's customer reference and principal reason, in one round trip. Written out here by hand
 * and sent by `pg` with the same parameters, so the ratio measures what the loader adds (zod, CASL,
 * building the statement, shaping the rows). The access condition (the compliance officer's regions)
 * and the region filter are both sent, as the loader sends them.
 */
export async function rawPage(pool: pg.Pool, params: Params, regions: string[]) {
  const values: unknown[] = [];
  const param = (value: unknown, type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const inList = (items: string[]) => items.map((item) => param(item, "text")).join(", ");
  const where = [`(d.region_code IN (${inList(regions)}))`, `d.region_code IN (${inList(params.region ? [params.region] : regions)})`];
  if (params.kind) where.push(`d.kind = ${param(params.kind, '"DecisionKind"')}`);
  if (params.outcome) where.push(`d.outcome = ${param(params.outcome, '"DecisionOutcome"')}`);
  if (params.scoreMin) where.push(`d.score >= ${param(Number(params.scoreMin), "float8")}`);
  if (params.scoreMax) where.push(`d.score <= ${param(Number(params.scoreMax), "float8")}`);
  if (params.reason) where.push(`EXISTS (SELECT 1 FROM decision_reason r WHERE r.decision_id = d.id AND r.code = ${param(params.reason, "text")})`);
  const column = params.sort === "score" ? "score" : "decided_at";
  const order = params.order === "asc" ? "ASC" : "DESC";
  if (params.after) {
    const [raw, id] = decodeCursor(params.after);
    const value = param(column === "decided_at" ? new Date(raw as string) : raw, column === "decided_at" ? "timestamptz" : "float8");
    const [bound, strict] = order === "DESC" ? ["<=", "<"] : [">=", ">"];
    where.push(`d.${column} ${bound} ${value} AND (d.${column} ${strict} ${value} OR d.id ${strict} ${param(id, "uuid")})`);
  }
  const { rows } = await pool.query<{ id: string }>(
    `SELECT p.id::text AS id, p.external_id AS "externalId", p.decided_at AS "decidedAt", p.region_code AS "regionCode",
       p.kind::text AS kind, p.outcome::text AS outcome, p.score, p.amount::text AS amount, p.currency,
       p.model_name AS "modelName", p.model_version AS "modelVersion", p.review_state::text AS "reviewState",
       (SELECT c.reference FROM customer c WHERE c.id = p.customer_id) AS reference,
       (SELECT r.code FROM decision_reason r WHERE r.decision_id = p.id ORDER BY r.position LIMIT 1) AS principal
     FROM (
       SELECT d.id, d.customer_id, d.external_id, d.decided_at, d.region_code, d.kind, d.outcome, d.score, d.amount, d.currency,
         d.model_name, d.model_version, d.review_state
       FROM decision d WHERE ${where.join(" AND ")}
       ORDER BY d.${column} ${order}, d.id ${order} LIMIT 51
     ) p
     ORDER BY p.${column} ${order}, p.id ${order}`,
    values,
  );
  return rows.map((row) => row.id);
}

/** The filter bar's model versions uncached: a loose index scan, then one probe per pair within the regions. */
export async function rawOptionsSql(pool: pg.Pool, regions: string[]) {
  const { rows } = await pool.query<{ model_name: string; model_version: string }>(`
    WITH RECURSIVE pairs AS (
      (SELECT model_name, model_version FROM decision ORDER BY model_name, model_version LIMIT 1)
      UNION ALL
      SELECT next.model_name, next.model_version FROM pairs, LATERAL (
        SELECT d.model_name, d.model_version FROM decision d
        WHERE (d.model_name, d.model_version) > (pairs.model_name, pairs.model_version)
        ORDER BY d.model_name, d.model_version LIMIT 1) next)
    SELECT model_name, model_version FROM pairs`);
  return Promise.all(
    rows.map((pair) =>
      pool.query("SELECT id FROM decision WHERE region_code = ANY($1) AND model_name = $2 AND model_version = $3 LIMIT 1", [regions, pair.model_name, pair.model_version]),
    ),
  );
}
