import type pg from "pg";
import { countSlice, mergeCells, sampleChanged, slicesOf, summariseBacktest } from "~/modules/rulesets/backtest.server";
import { RuleSetParametersSchema } from "~/modules/rulesets/schema";
import { parametersHash } from "~/modules/rulesets/versions.server";
import { dayMs } from "./calendar";
import type { RuleSetPlan } from "./rule-sets";

// Each region's submitted version gets a stored backtest over the last 90 days of the seeded book, run
// by the app's own backtest statements, so a newcomer can open it and approve it (issue 9).

export async function storeSubmittedBacktests(client: pg.ClientBase, ruleSets: ReadonlyMap<string, RuleSetPlan>, now: number) {
  const query = { $queryRawUnsafe: async <T>(text: string, ...values: unknown[]) => (await client.query(text, values)).rows as T } as never;
  const to = new Date(now);
  const from = new Date(now - 90 * dayMs);
  let stored = 0;
  for (const plan of ruleSets.values()) {
    for (const version of plan.versions.filter((entry) => entry.state === "submitted")) {
      const parameters = RuleSetParametersSchema.parse(version.parameters);
      const regions = [plan.regionCode];
      const cells = [];
      for (const slice of slicesOf(from, to, 3)) cells.push(...(await countSlice(query, parameters, regions, slice.from, slice.to)));
      const hash = parametersHash(version.parameters);
      const result = summariseBacktest({ cells: mergeCells(cells), parametersHash: hash, from, to, regions, sample: await sampleChanged(query, parameters, regions, from, to), ranAt: new Date(version.submittedAt! - dayMs) });
      await client.query(`UPDATE rule_set_version SET backtest = $2::jsonb, backtest_parameters_hash = $3, backtested_at = $4 WHERE id = $1::uuid`, [version.id, JSON.stringify(result), hash, new Date(version.submittedAt! - dayMs)]);
      stored++;
    }
  }
  return stored;
}
