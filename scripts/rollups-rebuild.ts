// npm run rollups:rebuild
// Recomputes the dashboard rollups (decision_fact and rollup_*) from the raw tables in one transaction
// and records it in the ledger (ADR 011). Ingestion, reviews and outcomes keep them up to date on their
// own; run this after a bulk load that deferred them, a restore, or a change of a metric's definition.
// Safe while the app runs (ADR 017): writers of decisions and outcomes, and dashboards, wait for it
// (≈ 10 s at a million decisions).
// Exit 0 when rebuilt, 2 if it could not run.
import { disconnectDatabase } from "../app/utils/db.server";
import { rebuildRollups } from "../app/modules/dashboards/rollups.server";

rebuildRollups()
  .then(async (result) => {
    console.log(`dashboard rollups rebuilt from ${result.decisions.toLocaleString("en")} decisions in ${(result.milliseconds / 1000).toFixed(1)} s`);
    await disconnectDatabase();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    console.error(`rollups could not be rebuilt: ${error instanceof Error ? error.message : String(error)}`);
    await disconnectDatabase().catch(() => {});
    process.exit(2);
  });
