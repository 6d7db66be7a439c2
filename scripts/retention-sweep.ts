// npm run retention:sweep [-- --now 2031-01-01T00:00:00Z] [-- --json]
// Erases the retained records (policies/retention.yaml) whose retention period has ended, each group
// in its own transaction with its audit event. The app runs the same sweep hourly; this is for cron,
// operations and back-dated re-runs. Exit 0 when it ran (even with nothing due), 2 if it could not run.
import { disconnectDatabase } from "../app/utils/db.server";
import { runRetentionSweep } from "../app/modules/privacy/retention.server";

const args = process.argv.slice(2);
const nowIndex = args.indexOf("--now");
const now = nowIndex >= 0 ? new Date(args[nowIndex + 1] ?? "") : new Date();

async function main() {
  if (Number.isNaN(now.getTime())) throw new Error(`--now ${args[nowIndex + 1] ?? ""} is not a date (use ISO 8601, e.g. 2031-01-01T00:00:00Z)`);
  const result = await runRetentionSweep(now, { actorType: "system", actorId: null, actorLabel: "retention:sweep (command line)", actorRole: null, requestId: null, ipAddress: null });
  if (args.includes("--json")) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(`retention sweep at ${now.toISOString()}: ${result.erased.length} retained group(s) erased, ${result.skipped.length} skipped`);
    for (const item of result.erased) console.log(`  erased ${item.category} of customer ${item.customerId} (kept until ${item.retainUntil}, ${item.records} record(s))`);
    for (const item of result.skipped) console.log(`  skipped ${item.retainedRecordId}: ${item.reason}`);
  }
}

main()
  .then(async () => {
    await disconnectDatabase();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    console.error(`retention sweep could not run: ${error instanceof Error ? error.message : String(error)}`);
    await disconnectDatabase().catch(() => {});
    process.exit(2);
  });
