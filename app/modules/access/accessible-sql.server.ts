import { accessibleWhere, type AppAbility } from "./ability.server";
import type { Action } from "./policy.server";

// The viewer's access conditions (accessibleBy, compiled from policies/access.yaml) as a SQL condition
// with parameters, for the few hot reads that send one hand-written statement instead of a Prisma
// query (the decision explorer's page). Only the shapes CASL's Prisma interpreter can produce from
// conditions on the model's own non-null columns are translated: AND/OR/NOT, equality, in/notIn, not
// and the four comparisons. Anything else — a relation, a nullable or unknown column, a string mode,
// null — throws, so a policy change the translation does not understand fails closed (a 500 on the
// page) rather than showing rows the policy would hide.

export class UnsupportedAccessCondition extends Error {
  constructor(path: string, detail: string) {
    super(`access condition at ${path} cannot be translated to SQL (${detail}); the page refuses to run rather than guess`);
    this.name = "UnsupportedAccessCondition";
  }
}

/** A column a condition may name: its SQL expression and the type its parameters are cast to. */
export interface SqlColumn {
  sql: string;
  type: string;
}

/** Positional parameters ($1, $2, …) collected while a statement is written. */
export class SqlParameters {
  readonly values: unknown[] = [];

  add(value: unknown, type: string) {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  /**
   * `column IN ($1, $2, …)`, one parameter per value as Prisma writes it: PostgreSQL folds a
   * one-value list into an equality an index can also be ordered by, which `= ANY($1)` never is (a
   * filtered explorer page took 60 ms instead of 2). No values: nothing matches.
   */
  in(column: string, values: readonly unknown[], type: string) {
    return values.length === 0 ? "FALSE" : `${column} IN (${values.map((value) => this.add(value, type)).join(", ")})`;
  }
}

const comparisons = { lt: "<", lte: "<=", gt: ">", gte: ">=" } as const;

function isScalar(value: unknown): value is string | number | boolean | Date {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean" || value instanceof Date;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function scalarOf(value: unknown, path: string) {
  if (!isScalar(value)) throw new UnsupportedAccessCondition(path, value === null ? "null" : `a ${typeof value} value`);
  return value;
}

function listOf(value: unknown, path: string) {
  if (!Array.isArray(value)) throw new UnsupportedAccessCondition(path, "a list was expected");
  return value.map((item, index) => scalarOf(item, `${path}[${index}]`));
}

function fieldSql(column: SqlColumn, filter: unknown, parameters: SqlParameters, path: string): string {
  if (!isPlainObject(filter)) return `(${column.sql} = ${parameters.add(scalarOf(filter, path), column.type)})`;
  const parts: string[] = [];
  for (const [operator, operand] of Object.entries(filter)) {
    if (operand === undefined) continue;
    const at = `${path}.${operator}`;
    if (operator === "equals") parts.push(`${column.sql} = ${parameters.add(scalarOf(operand, at), column.type)}`);
    else if (operator === "in") parts.push(parameters.in(column.sql, listOf(operand, at), column.type));
    else if (operator === "notIn") parts.push(`NOT ${parameters.in(column.sql, listOf(operand, at), column.type)}`);
    else if (operator === "not") parts.push(`NOT ${fieldSql(column, operand, parameters, at)}`);
    else if (Object.hasOwn(comparisons, operator)) {
      parts.push(`${column.sql} ${comparisons[operator as keyof typeof comparisons]} ${parameters.add(scalarOf(operand, at), column.type)}`);
    } else throw new UnsupportedAccessCondition(at, `operator ${operator}`);
  }
  if (parts.length === 0) throw new UnsupportedAccessCondition(path, "an empty filter");
  return `(${parts.join(" AND ")})`;
}

/** A Prisma `where` over one model's own columns as SQL; throws on any shape it does not handle. */
export function whereSql(where: unknown, columns: Readonly<Record<string, SqlColumn>>, parameters: SqlParameters, path = "where"): string {
  if (!isPlainObject(where)) throw new UnsupportedAccessCondition(path, "an object was expected");
  const parts: string[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    const at = `${path}.${key}`;
    if (key === "AND") {
      const items = Array.isArray(value) ? value : [value];
      parts.push(...items.map((item, index) => whereSql(item, columns, parameters, `${at}[${index}]`)));
    } else if (key === "OR") {
      if (!Array.isArray(value)) throw new UnsupportedAccessCondition(at, "a list was expected");
      // CASL never writes an empty OR (no rule: accessibleBy throws), and Prisma 7 reads one as "no
      // condition" where logic says "nothing": refuse it rather than pick a meaning.
      if (value.length === 0) throw new UnsupportedAccessCondition(at, "an empty OR");
      parts.push(`(${value.map((item, index) => whereSql(item, columns, parameters, `${at}[${index}]`)).join(" OR ")})`);
    } else if (key === "NOT") {
      const items = Array.isArray(value) ? value : [value];
      if (items.length === 0) throw new UnsupportedAccessCondition(at, "an empty NOT");
      parts.push(...items.map((item, index) => `NOT ${whereSql(item, columns, parameters, `${at}[${index}]`)}`));
    } else if (Object.hasOwn(columns, key)) {
      parts.push(fieldSql(columns[key]!, value, parameters, at));
    } else {
      throw new UnsupportedAccessCondition(at, `${key} is not one of the columns the statement can filter on`);
    }
  }
  return parts.length === 0 ? "TRUE" : `(${parts.join(" AND ")})`;
}

/** What the actor may `action` on `model`, as a SQL condition over `columns` (see whereSql). */
export function accessibleSql(
  ability: AppAbility,
  action: Action,
  model: Parameters<typeof accessibleWhere>[2],
  columns: Readonly<Record<string, SqlColumn>>,
  parameters: SqlParameters,
) {
  return whereSql(accessibleWhere(ability, action, model), columns, parameters, `accessibleBy(${action}).${model}`);
}
