// One app process appending audited actions from several concurrent writers while the checkpoint
// worker signs in the background, exactly as in the server. Prints {"ms":…,"events":…,"checkpoints":…,
// "cpuMicrosPerAction":…} (this process's user + system CPU over the timed part, per action).
//   tsx bench/workers/ledger-append.ts <events> <writers> [--without-ledger] [--sql]
// --sql sends the same statements over plain pg connections instead of Prisma interactive
// transactions: what the database side sustains when the app's per-transaction CPU is taken away.
import pg from "pg";
import { databaseUrl, db, disconnectDatabase } from "../../app/utils/db.server";
import { appendAuditEvent, stagedAuditEvent } from "../../app/modules/audit/ledger.server";
import { createCheckpoint, ensureActiveSigningKey, startCheckpointWorker } from "../../app/modules/audit/checkpoints.server";
import { checkpointCadence } from "../lib/checkpoint-cadence";

const [eventsArg = "20000", writersArg = "8", ...modes] = process.argv.slice(2);
const total = Number(eventsArg);
const writers = Number(writersArg);
const isWithoutLedger = modes.includes("--without-ledger");
const isSql = modes.includes("--sql");
const context = { actorType: "staff" as const, actorId: "7d3c5f0e-1111-4222-8333-944455556666", actorLabel: "bench@attest.test", actorRole: "compliance_officer", requestId: null, ipAddress: "127.0.0.1" };

await ensureActiveSigningKey();
const stopCheckpoints = isWithoutLedger ? () => {} : startCheckpointWorker();
let next = 0;
const cpuAtStart = process.cpuUsage();
const startedAtDate = new Date();
const startedAt = process.hrtime.bigint();
const pool = isSql ? new pg.Pool({ connectionString: databaseUrl, max: writers }) : null;

/** One audited action: the business change this action stands for, then (unless measuring the floor) its audit event. */
async function auditedAction(n: number) {
  const event = { action: "staff.signed_in" as const, subjectType: "StaffUser", subjectId: context.actorId, changes: { n } };
  if (!pool) {
    await db.$transaction(async (tx) => {
      await tx.loginAttempt.create({ data: { email: `bench-${n}@attest.test`, ipAddress: "127.0.0.1", succeeded: true } });
      if (isWithoutLedger) {
        await tx.loginAttempt.create({ data: { email: `bench-${n}-second@attest.test`, ipAddress: "127.0.0.1", succeeded: true } });
      } else {
        await appendAuditEvent(tx, context, event);
      }
    });
    return;
  }
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("INSERT INTO login_attempt (email, ip_address, succeeded) VALUES ($1, $2, true)", [`bench-${n}@attest.test`, "127.0.0.1"]);
    if (isWithoutLedger) {
      await client.query("INSERT INTO login_attempt (email, ip_address, succeeded) VALUES ($1, $2, true)", [`bench-${n}-second@attest.test`, "127.0.0.1"]);
    } else {
      await client.query("SELECT attest_stage_audit_event($1::jsonb)", [JSON.stringify(stagedAuditEvent(context, event, event.changes))]);
    }
    await client.query("COMMIT");
  } finally {
    client.release();
  }
}

await Promise.all(
  Array.from({ length: writers }, async () => {
    while (next < total) await auditedAction(next++);
  }),
);
const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
const cpu = process.cpuUsage(cpuAtStart);
stopCheckpoints();
// The last events are covered by one forced checkpoint, which is no part of the cadence.
const forced = isWithoutLedger ? null : await createCheckpoint();
const checkpoints = await db.checkpoint.count();
// Checkpoint cadence while events arrived (bench/lib/checkpoint-cadence.ts): each checkpoint signed
// during the timed part, against the one before it; the forced one excluded.
const cadence = isWithoutLedger ? null : await checkpointCadence(databaseUrl, { from: startedAtDate, to: new Date(), excludeNumbers: forced ? [forced.number] : [] });
console.log(JSON.stringify({ ms, events: total, checkpoints, cpuMicrosPerAction: (cpu.user + cpu.system) / total, cadence }));
await pool?.end();
await disconnectDatabase();
