import PgBoss from "pg-boss";
import { JOB_QUEUE_SCHEMA, jobKinds } from "./kinds";

// Installs (or upgrades) pg-boss's own schema and one queue per job kind. Run by the migration step
// (scripts/db-migrate.ts) as the database owner, so app instances only read and write queue rows.
// Imports nothing of the app's database module: the migration script runs before the app can.

export function queueOptions(kind: string) {
  // pg-boss never retries on its own: a job whose worker died is restarted by the app's supervisor,
  // which knows how many attempts the job has had (app/modules/jobs/worker.server.ts).
  return { name: kind, policy: "standard" as const, retryLimit: 0 };
}

export async function installJobQueue(connectionString: string, kinds: readonly string[] = jobKinds) {
  const boss = new PgBoss({ connectionString, schema: JOB_QUEUE_SCHEMA, max: 1, supervise: false, schedule: false, migrate: true });
  boss.on("error", () => {});
  await boss.start();
  try {
    for (const kind of kinds) await boss.createQueue(kind, queueOptions(kind));
  } finally {
    await boss.stop({ graceful: false, close: true });
  }
  return kinds.length;
}
