// A separate app process appending audit events, for the concurrency and crash tests:
//   tsx tests/support/ledger-writer.ts <label> <events> <concurrency> [forever]
// Each event is appended in its own transaction through the single audit entry point, together with a
// business-like change (a login attempt row), exactly as an app instance would.
import { db, disconnectDatabase } from "~/utils/db.server";
import { appendAuditEvent } from "~/modules/audit/ledger.server";

const [label = "writer", eventsArg = "100", concurrencyArg = "4", mode] = process.argv.slice(2);
const total = Number(eventsArg);
const concurrency = Number(concurrencyArg);
const context = { actorType: "system" as const, actorId: null, actorLabel: label, actorRole: null, requestId: null, ipAddress: "127.0.0.1" };

let next = 0;
async function worker() {
  while (mode === "forever" || next < total) {
    const n = next++;
    await db.$transaction(async (tx) => {
      await tx.loginAttempt.create({ data: { email: `${label}-${n}@writer.test`, ipAddress: "127.0.0.1", succeeded: true } });
      await appendAuditEvent(tx, context, { action: "seed.loaded", subjectType: "LedgerWriter", subjectId: `${label}-${n}`, changes: { n } });
    });
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
console.log(`${label}: appended ${next}`);
await disconnectDatabase();
