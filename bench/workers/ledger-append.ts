// One app process appending audited actions from several concurrent writers while the checkpoint
// worker signs in the background, exactly as in the server. Prints {"ms":…,"events":…,"checkpoints":…,
// "cpuMicrosPerAction":…} (this process's user + system CPU over the timed part, per action).
//   tsx bench/workers/ledger-append.ts <events> <writers> [--without-ledger]
import { db, disconnectDatabase } from "../../app/utils/db.server";
import { appendAuditEvent } from "../../app/modules/audit/ledger.server";
import { createCheckpoint, ensureActiveSigningKey, startCheckpointWorker } from "../../app/modules/audit/checkpoints.server";

const [eventsArg = "20000", writersArg = "8", mode] = process.argv.slice(2);
const total = Number(eventsArg);
const writers = Number(writersArg);
const isWithoutLedger = mode === "--without-ledger";
const context = { actorType: "staff" as const, actorId: "7d3c5f0e-1111-4222-8333-944455556666", actorLabel: "bench@attest.test", actorRole: "compliance_officer", requestId: null, ipAddress: "127.0.0.1" };

await ensureActiveSigningKey();
const stopCheckpoints = isWithoutLedger ? () => {} : startCheckpointWorker();
let next = 0;
const cpuAtStart = process.cpuUsage();
const startedAt = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: writers }, async () => {
    while (next < total) {
      const n = next++;
      await db.$transaction(async (tx) => {
        // The business change this action stands for, then (unless measuring the floor) its audit event.
        await tx.loginAttempt.create({ data: { email: `bench-${n}@attest.test`, ipAddress: "127.0.0.1", succeeded: true } });
        if (isWithoutLedger) {
          await tx.loginAttempt.create({ data: { email: `bench-${n}-second@attest.test`, ipAddress: "127.0.0.1", succeeded: true } });
        } else {
          await appendAuditEvent(tx, context, { action: "staff.signed_in", subjectType: "StaffUser", subjectId: context.actorId, changes: { n } });
        }
      });
    }
  }),
);
const ms = Number(process.hrtime.bigint() - startedAt) / 1e6;
const cpu = process.cpuUsage(cpuAtStart);
stopCheckpoints();
if (!isWithoutLedger) await createCheckpoint();
const checkpoints = await db.checkpoint.count();
console.log(JSON.stringify({ ms, events: total, checkpoints, cpuMicrosPerAction: (cpu.user + cpu.system) / total }));
await disconnectDatabase();
