// npm run ledger:verify [-- --json] [-- --no-record] [-- --trusted-checkpoint FILE …] [-- --max-pending-seconds N]
// Recomputes every leaf and the whole RFC 6962 tree, checks every stored subtree, every checkpoint's
// OpenPGP signature and key validity, and that each checkpoint matches the events. Exit 0 when all
// hold; 1 naming the first event or checkpoint that does not match and why; 2 if it could not run.
import { availableParallelism } from "node:os";
import { VerifierWorkers } from "../app/modules/audit/verify-workers.server";

// --trusted-checkpoint FILE (repeatable): a checkpoint kept outside the database (the JSON of
// /api/v1/audit/checkpoints/latest or the signed note of /api/v1/audit/checkpoint) the current tree
// must extend. --no-sink: do not also use the newest checkpoint of the external sink directory.
const argv = process.argv.slice(2);
const trustedCheckpointFiles: string[] = [];
let maxPendingSeconds: number | null | undefined;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--trusted-checkpoint") {
    const file = argv[++i];
    if (!file) throw new Error("--trusted-checkpoint needs a file");
    trustedCheckpointFiles.push(file);
  } else if (argv[i] === "--max-pending-seconds") {
    const value = Number(argv[++i]);
    if (!Number.isFinite(value) || value < 0) throw new Error("--max-pending-seconds needs a number of seconds (0 = no bound)");
    maxPendingSeconds = value === 0 ? null : value;
  }
}
const args = new Set(argv);
const isJson = args.has("--json");

// Leaves are recomputed in worker threads, one per core, and the tree is rebuilt in this thread. The
// workers start first, so that they load their code while this thread loads its own below. Only with a
// database URL: the embedded database (PGlite, a single session) is read by this thread alone, and so
// is a PGlite server behind DATABASE_URL (the verifier recognises it and closes the workers unused).
const parallelism = Math.max(1, availableParallelism());
const serverUrl = process.env.DATABASE_URL;
const workers = serverUrl && parallelism > 1 ? new VerifierWorkers(parallelism) : undefined;
// Against a database server the verification needs pg and the verifier only, so the workers are told
// their snapshot sooner; the app's database client (Prisma) and the ledger writer, needed to record the
// run, are loaded once the events are being checked. Without DATABASE_URL the embedded database is
// started first (db.server).
const [{ verifyLedger }, { verifierConfiguration }, database] = await Promise.all([
  import("../app/modules/audit/verify.server"),
  import("../app/modules/audit/verify-trust.server"),
  serverUrl ? { databaseUrl: serverUrl } : import("../app/utils/db.server"),
]);
const { databaseUrl } = database;
const isRecorded = !args.has("--no-record");
let recorder: Promise<[typeof import("../app/utils/db.server"), typeof import("../app/modules/audit/ledger.server"), typeof import("../app/modules/audit/checkpoints.server")]> | null = null;
const loadRecorder = () =>
  (recorder ??= Promise.all([import("../app/utils/db.server"), import("../app/modules/audit/ledger.server"), import("../app/modules/audit/checkpoints.server")]));
/** Closes the app's database client if this run loaded it (and the embedded database it started). */
const disconnectDatabase = async () => {
  if (recorder || !serverUrl) await (await import("../app/utils/db.server")).disconnectDatabase();
};

async function main() {
  let lastShown = 0;
  const configuration = await verifierConfiguration({ trustedCheckpointFiles, useSink: !args.has("--no-sink") });
  const report = await verifyLedger({
    databaseUrl,
    ...configuration,
    ...(maxPendingSeconds !== undefined ? { maxPendingMs: maxPendingSeconds === null ? null : maxPendingSeconds * 1000 } : {}),
    parallelism,
    workers,
    onProgress: ({ checkedEvents, totalEvents }) => {
      // Called once the checkpoint chain holds and events are being checked: this thread mostly waits
      // for the workers then.
      if (isRecorded) void loadRecorder().catch(() => {});
      if (!isJson && process.stderr.isTTY && Date.now() - lastShown > 500) {
        lastShown = Date.now();
        process.stderr.write(`\rverifying… ${checkedEvents.toLocaleString("en")} / ${totalEvents.toLocaleString("en")} events`);
      }
    },
  });
  if (!isJson && process.stderr.isTTY) process.stderr.write("\r\x1b[K");

  if (isRecorded) {
    try {
      const [{ db }, { appendAuditEvent }, { createCheckpoint }] = await loadRecorder();
      await db.$transaction((tx) =>
        appendAuditEvent(tx, { actorType: "system", actorId: null, actorLabel: "ledger:verify (command line)", actorRole: null, requestId: null, ipAddress: null }, {
          action: "ledger.verified",
          subjectType: "Ledger",
          changes: { result: report.isValid ? "passed" : "failed", treeSize: report.treeSize, checkedCheckpoints: report.checkedCheckpoints, problem: report.problem?.message ?? null },
        }),
      );
      // Cover the record with a checkpoint when this process holds the active key, so that it is never
      // left pending (and a later run's pending bound is not tripped by this run's own event).
      await createCheckpoint().catch(() => null);
    } catch (error) {
      console.error(`warning: the verification could not be recorded in the ledger (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  if (isJson) {
    console.log(JSON.stringify(report, null, 2));
  } else if (report.isValid) {
    console.log(`ledger OK: ${report.checkedEvents.toLocaleString("en")} events, ${report.checkedTreeNodes.toLocaleString("en")} tree nodes and ${report.checkedCheckpoints} signed checkpoints verified in ${(report.elapsedMs / 1000).toFixed(2)} s`);
    if (report.uncoveredEvents > 0) console.log(`pending: the last ${report.uncoveredEvents} event(s) are not yet covered by a signed checkpoint (oldest ${Math.round((report.oldestPendingMs ?? 0) / 1000)} s)`);
    console.log(`trusted keys: ${report.trust.trustedKeys.map((key) => `${key.fingerprint}${key.introducedBy ? ` (introduced by ${key.introducedBy.slice(-16)})` : " (pinned)"}`).join(", ") || "none"}; pins from ${report.trust.pinSource}`);
    if (report.trust.stagedKeys.length > 0) console.log(`staged keys not yet introduced by a transition: ${report.trust.stagedKeys.join(", ")}`);
    for (const trusted of report.trustedCheckpoints) console.log(`consistent with the trusted checkpoint ${trusted.source} (tree size ${trusted.treeSize})`);
    if (!report.tagsChecked) console.log("event tags NOT checked: no ATTEST_LEDGER_HMAC_KEY is configured (events inserted through SQL are not detected)");
  } else {
    console.error(`ledger INVALID (${report.problem!.kind}): ${report.problem!.message}`);
    const where = [report.problem!.seq !== undefined ? `seq ${report.problem!.seq}` : null, report.problem!.checkpointNumber !== undefined ? `checkpoint ${report.problem!.checkpointNumber}` : null, report.problem!.keyFingerprint ? `key ${report.problem!.keyFingerprint}` : null].filter(Boolean);
    if (where.length > 0) console.error(`first bad: ${where.join(", ")}`);
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
    console.error(`ledger verification could not run: ${describeFailure(error)}`);
    await disconnectDatabase().catch(() => {});
    process.exit(2);
  });

/** Why the run could not happen; a database without the ledger's tables is named as not migrated. */
function describeFailure(error: unknown) {
  const message = error instanceof Error ? error.message : String(error);
  // 42P01: undefined_table.
  if ((error as { code?: unknown } | null)?.code !== "42P01") return message;
  return `${message}: this database has not been migrated — run \`npm run db:migrate\` against it (the same DATABASE_URL, or none for the embedded database) first`;
}
