// Every kind of background job the app runs (ADR 008). The migration step installs one pg-boss queue per
// kind, so the app's database role never needs to create tables at run time: add a kind here, then
// declare it with registerJobHandler in its domain's *.jobs.server.ts and list that file in handlers.server.ts.
export const jobKinds: readonly string[] = [
  "ruleset.backtest",
  "evidence_pack.build",
];

/** The pg-boss schema (kept apart from the datamodel, like the ledger's staging schema). */
export const JOB_QUEUE_SCHEMA = "pgboss";
