// npm run ledger:verify [-- --json] [-- --no-record]
// Recomputes every leaf and the whole RFC 6962 tree, checks every stored subtree, every checkpoint's
// OpenPGP signature and key validity, and that each checkpoint matches the events. Exit 0 when all
// hold; 1 naming the first event or checkpoint that does not match and why; 2 if it could not run.
import { availableParallelism } from "node:os";
import { db, databaseUrl, disconnectDatabase, isSingleSessionDatabase } from "../app/utils/db.server";
import { appendAuditEvent } from "../app/modules/audit/ledger.server";
import { verifyLedger } from "../app/modules/audit/verify.server";

const args = new Set(process.argv.slice(2));
const isJson = args.has("--json");

async function main() {
  let lastShown = 0;
  const report = await verifyLedger({
    databaseUrl,
    // Leaves are recomputed in worker threads, one per core; the tree is rebuilt in this thread. A
    // single-session database (embedded PGlite) is read by one connection without a held snapshot.
    parallelism: isSingleSessionDatabase ? 1 : Math.max(1, availableParallelism()),
    useSnapshot: !isSingleSessionDatabase,
    onProgress: ({ checkedEvents, totalEvents }) => {
      if (!isJson && process.stderr.isTTY && Date.now() - lastShown > 500) {
        lastShown = Date.now();
        process.stderr.write(`\rverifying… ${checkedEvents.toLocaleString("en")} / ${totalEvents.toLocaleString("en")} events`);
      }
    },
  });
  if (!isJson && process.stderr.isTTY) process.stderr.write("\r\x1b[K");

  if (!args.has("--no-record")) {
    try {
      await db.$transaction((tx) =>
        appendAuditEvent(tx, { actorType: "system", actorId: null, actorLabel: "ledger:verify (command line)", actorRole: null, requestId: null, ipAddress: null }, {
          action: "ledger.verified",
          subjectType: "Ledger",
          changes: { result: report.isValid ? "passed" : "failed", treeSize: report.treeSize, checkedCheckpoints: report.checkedCheckpoints, problem: report.problem?.message ?? null },
        }),
      );
    } catch (error) {
      console.error(`warning: the verification could not be recorded in the ledger (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  if (isJson) {
    console.log(JSON.stringify(report, null, 2));
  } else if (report.isValid) {
    console.log(`ledger OK: ${report.checkedEvents.toLocaleString("en")} events, ${report.checkedTreeNodes.toLocaleString("en")} tree nodes and ${report.checkedCheckpoints} signed checkpoints verified in ${(report.elapsedMs / 1000).toFixed(2)} s`);
    if (report.uncoveredEvents > 0) console.log(`note: the last ${report.uncoveredEvents} event(s) are not yet covered by a signed checkpoint`);
  } else {
    console.error(`ledger INVALID (${report.problem!.kind}): ${report.problem!.message}`);
    console.error(`checked ${report.checkedEvents.toLocaleString("en")} events and ${report.checkedCheckpoints} checkpoints before the first problem`);
  }
  return report.isValid ? 0 : 1;
}

main()
  .then(async (code) => {
    await disconnectDatabase();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    console.error(`ledger verification could not run: ${error instanceof Error ? error.message : String(error)}`);
    await disconnectDatabase().catch(() => {});
    process.exit(2);
  });
