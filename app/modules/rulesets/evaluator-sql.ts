import type { RuleSetParameters } from "./schema";

// evaluateRules (./evaluator.ts) as one SQL CASE over a decision row, so a backtest aggregates in the
// database instead of streaming a million rows to Node (ADR 010). Same order, same comparisons, in
// double precision as JavaScript compares; tests/integration/ruleset-backtest.test.ts holds the two
// equal row by row. Parameters become numeric literals: they were validated as finite numbers.

function literal(value: number) {
  if (!Number.isFinite(value)) throw new Error(`rule-set parameter ${value} is not a finite number`);
  return `(${String(value)})::float8`;
}

/** The SQL text of the outcome enum evaluateRules would give the decision row aliased `alias`. */
export function ruleOutcomeSql(parameters: RuleSetParameters, alias = "d") {
  const feature = (name: string) => `(${alias}.features->>'${name}')`;
  const number = (name: string) => `${feature(name)}::float8`;
  const orderAmount = `coalesce(${number("orderAmount")}, ${alias}.amount::float8)`;
  const requestedLimit = `coalesce(${number("requestedLimit")}, ${alias}.amount::float8)`;
  const bands = `CASE WHEN ${alias}.score >= ${literal(parameters.scoreBands.approveAbove)} THEN 'approved'
      WHEN ${alias}.score < ${literal(parameters.scoreBands.declineBelow)} THEN 'declined' ELSE 'referred' END`;
  return `(CASE
    WHEN ${alias}.kind = 'fraud' THEN CASE WHEN ${alias}.score >= ${literal(parameters.fraudHoldAbove)} THEN 'fraud_hold' ELSE 'approved' END
    WHEN ${number("age")} < ${literal(parameters.minimumAge)} THEN 'declined'
    WHEN ${alias}.kind = 'limit' THEN CASE WHEN ${requestedLimit} > ${literal(parameters.creditLimit)} THEN 'declined' ELSE ${bands} END
    WHEN ${feature("identityVerified")} = 'false' THEN 'declined'
    WHEN ${orderAmount} > ${literal(parameters.maxOrderAmount)} THEN 'declined'
    WHEN ${feature("bureauScore")} IS NULL AND ${orderAmount} > ${literal(parameters.bureauCheckAbove)} THEN 'declined'
    WHEN coalesce(${number("existingExposure")}, 0) + ${orderAmount} > ${literal(parameters.creditLimit)} THEN 'declined'
    WHEN ${orderAmount} > ${literal(parameters.affordabilityCheckAbove)} AND ${feature("incomeVerified")} IS DISTINCT FROM 'true' THEN 'referred'
    ELSE ${bands} END)::"DecisionOutcome"`;
}
