import { createAbilityFactory } from "@casl/prisma/runtime";
import { describe, expect, it } from "vitest";
import { decisionSqlColumns } from "~/modules/decisions/decision-page.server";
import type { Role } from "~/generated/prisma/enums";
import { defineAbilityFor, type AppAbility } from "./ability.server";
import { accessibleSql, SqlParameters, UnsupportedAccessCondition, whereSql } from "./accessible-sql.server";
import { accessPolicy } from "./policy.server";

// The explorer page sends the viewer's access conditions as SQL (accessibleSql). What matters: every
// role's real policy translates to the regions it names, and any shape the translation does not know
// stops the page instead of widening it. tests/integration/decision-page-sql.test.ts checks the rows.

const translate = (where: unknown) => {
  const parameters = new SqlParameters();
  return { sql: whereSql(where, decisionSqlColumns, parameters), values: parameters.values };
};

describe("every role's real policy for reading decisions", () => {
  const roles = Object.keys(accessPolicy.roles) as Role[];
  const readers = roles.filter((role) => defineAbilityFor({ id: "u", role, regions: ["SE"] }).can("read", "Decision"));

  it("covers the roles that read decisions (and only admin does not)", () => {
    expect(readers.length).toBeGreaterThanOrEqual(5);
    expect(roles.filter((role) => !readers.includes(role))).toEqual(["admin"]);
  });

  it.each(readers)("%s: exactly the actor's regions, as parameters", (role) => {
    const ability = defineAbilityFor({ id: "u", role, regions: ["SE", "DE"] });
    const parameters = new SqlParameters();
    const sql = accessibleSql(ability, "read", "Decision", decisionSqlColumns, parameters);
    expect(sql.replace(/[()]/g, "")).toBe("d.region_code IN $1::text, $2::text");
    expect(parameters.values).toEqual(["SE", "DE"]);
  });

  it("an actor without regions matches nothing", () => {
    const ability = defineAbilityFor({ id: "u", role: "compliance_officer", regions: [] });
    expect(accessibleSql(ability, "read", "Decision", decisionSqlColumns, new SqlParameters())).toContain("FALSE");
  });
});

describe("the shapes CASL produces", () => {
  const factory = createAbilityFactory();
  const abilityOf = (rules: unknown[]) => factory(rules as never) as unknown as AppAbility;

  it("translates an inverted rule as AND NOT", () => {
    const ability = abilityOf([
      { action: "read", subject: "Decision", conditions: { regionCode: { in: ["SE"] } } },
      { action: "read", subject: "Decision", conditions: { regionCode: "DE", kind: "fraud" } },
      { action: "read", subject: "Decision", inverted: true, conditions: { outcome: "declined" } },
    ]);
    const parameters = new SqlParameters();
    const sql = accessibleSql(ability, "read", "Decision", decisionSqlColumns, parameters);
    expect(sql).toMatch(/NOT/);
    expect(sql).toMatch(/ OR /);
    expect(parameters.values).toEqual(expect.arrayContaining(["SE", "DE", "fraud", "declined"]));
  });

  it("writes equality, lists, negation and comparisons with typed parameters", () => {
    expect(translate({ kind: "credit" })).toEqual({ sql: '((d.kind = $1::"DecisionKind"))', values: ["credit"] });
    expect(translate({ score: { gte: 0.2, lt: 0.6 } })).toEqual({ sql: "((d.score >= $1::float8 AND d.score < $2::float8))", values: [0.2, 0.6] });
    expect(translate({ regionCode: { notIn: ["SE"] } })).toEqual({ sql: "((NOT d.region_code IN ($1::text)))", values: ["SE"] });
    expect(translate({ regionCode: { not: "SE" } })).toEqual({ sql: "((NOT (d.region_code = $1::text)))", values: ["SE"] });
    expect(translate({ AND: [] }).sql).toBe("TRUE");
    expect(translate({ regionCode: { in: [] } }).sql).toBe("((FALSE))");
    expect(translate({ NOT: [{ kind: "fraud" }, { outcome: "declined" }] }).sql).toBe('(NOT ((d.kind = $1::"DecisionKind")) AND NOT ((d.outcome = $2::"DecisionOutcome")))');
  });
});

describe("fails closed", () => {
  it.each([
    ["a relation", { customer: { is: { isRestricted: false } } }],
    ["a list relation", { reasons: { some: { code: "CH01" } } }],
    ["a nullable column", { ruleSetVersionId: "x" }],
    ["an unknown column", { secret: 1 }],
    ["null", { regionCode: null }],
    ["a string mode", { regionCode: { equals: "se", mode: "insensitive" } }],
    ["a string operator", { externalId: { startsWith: "ENG" } }],
    ["an empty NOT", { NOT: [] }],
    ["an empty OR (Prisma 7 reads it as no condition)", { OR: [] }],
    ["an empty field filter", { regionCode: {} }],
    ["OR that is not a list", { OR: { kind: "credit" } }],
    ["an object in a list", { regionCode: { in: [{ code: "SE" }] } }],
    ["a nested unknown shape", { AND: [{ OR: [{ kind: "credit" }, { customer: { reference: "x" } }] }] }],
  ])("throws on %s", (_, where) => {
    expect(() => translate(where)).toThrow(UnsupportedAccessCondition);
  });

  it("names where the shape was found", () => {
    expect(() => translate({ AND: [{ customer: { is: {} } }] })).toThrow(/where\.AND\[0\]\.customer/);
  });
});
